// One HTTP/1.1 GET over a plain socket whose reads land in one reused 1 MiB buffer (`onread`),
// for the body transfer of a download. Measured here on 1 GiB over loopback: undici's stream()
// costs 1.7 CPU-s per GiB before any hashing or writing, this 0.3 (a fresh 64 KiB buffer per
// read, a copy into llhttp's wasm memory and the stream machinery are what it saves), which is
// what lets a verified download keep up with `curl -o` on two cores.
//
// It reads a status line, headers and a body framed by Content-Length, chunked encoding or the end
// of the connection (every request says `connection: close`). Header values it cannot send as
// they are resolve as `unsupported` before any byte is sent, so the caller uses undici instead.
// Errors carry undici's codes so that one mapping serves both paths.
import type { IncomingHttpHeaders } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import type { Writable } from "node:stream";
import { connect as tlsConnect } from "node:tls";

/** Statuses whose Location a client follows; their bodies are not read. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Largest response head accepted (undici's default maxHeaderSize is 16 KiB; be generous). */
const MAX_HEAD = 64 * 1024;
const READ_BUFFER = 1024 * 1024;

/** A sink that can take bytes synchronously without keeping them (see PartSink.borrow). */
export interface BorrowingSink {
  borrow(view: Buffer): true | Promise<void> | undefined;
}

export interface SocketHop {
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  signal: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
}

/** What `socketStream` did: streamed a response, or declined it (nothing reached a sink). */
export type SocketStreamResult = { kind: "done" } | { kind: "unsupported"; reason: string };

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Whether header values are safe to put on the wire as they are (no CR/LF/NUL). */
function safeHeaders(headers: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n\0]/.test(v)) return false;
  }
  return true;
}

interface ParsedHead {
  status: number;
  headers: IncomingHttpHeaders;
  /** Bytes of the head including the blank line. */
  length: number;
}

function parseHead(buf: Buffer): ParsedHead | "incomplete" | "bad" {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return buf.length > MAX_HEAD ? "bad" : "incomplete";
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
  if (!m) return "bad";
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    if (colon <= 0) return "bad";
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    if (prev === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = `${prev}, ${value}`;
  }
  return { status: Number(m[1]), headers, length: end + 4 };
}

/** Splits the bytes after the head into body parts (views of the input) by the framing. */
class BodyFramer {
  private state: "length" | "close" | "size" | "data" | "crlf" | "trailer" | "done";
  private left: number;
  private line = "";

  constructor(framing: "chunked" | "close" | number) {
    this.state =
      framing === "chunked"
        ? "size"
        : framing === "close"
          ? "close"
          : framing > 0
            ? "length"
            : "done";
    this.left = typeof framing === "number" ? framing : 0;
  }

  get done(): boolean {
    return this.state === "done";
  }

  /** Whether the connection's end is the body's regular end. */
  get endsWithClose(): boolean {
    return this.state === "close";
  }

  feed(bytes: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== "done") {
      switch (this.state) {
        case "close":
          parts.push(bytes.subarray(at));
          at = bytes.length;
          break;
        case "length":
        case "data": {
          const n = Math.min(this.left, bytes.length - at);
          parts.push(bytes.subarray(at, at + n));
          at += n;
          this.left -= n;
          if (this.left === 0) {
            if (this.state === "length") this.state = "done";
            else {
              this.state = "crlf";
              this.left = 2;
            }
          }
          break;
        }
        case "crlf":
          at++;
          if (--this.left === 0) this.state = "size";
          break;
        case "size":
        case "trailer": {
          const nl = bytes.indexOf(0x0a, at);
          const end = nl < 0 ? bytes.length : nl;
          this.line += bytes.subarray(at, end).toString("latin1");
          at = end;
          if (this.line.length > 4096) throw new Error("chunk header too long");
          if (nl < 0) break;
          at++;
          const line = this.line.replace(/\r$/, "");
          this.line = "";
          if (this.state === "trailer") {
            if (line === "") this.state = "done";
          } else {
            const m = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line.trim());
            if (!m) throw new Error("bad chunk size");
            const size = Number.parseInt(m[1] as string, 16);
            if (size === 0) this.state = "trailer";
            else {
              this.state = "data";
              this.left = size;
            }
          }
          break;
        }
      }
    }
    return parts;
  }
}

/**
 * GET (or HEAD) `url` and stream the body into the Writable that `sinkFor` returns for the head.
 * Resolves `done` once the sink finished, or `unsupported` (before calling `sinkFor`) for a
 * response this reader does not frame; rejects with a socket error (undici-style `code`), the
 * sink's own error, or the signal's reason.
 */
export function socketStream(
  url: URL,
  hop: SocketHop,
  sinkFor: (head: { statusCode: number; headers: IncomingHttpHeaders }) => Writable,
): Promise<SocketStreamResult> {
  if (!safeHeaders(hop.headers))
    return Promise.resolve({ kind: "unsupported", reason: "header value" });
  return new Promise<SocketStreamResult>((resolve, reject) => {
    const { signal } = hop;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const https = url.protocol === "https:";
    const port = Number(url.port || (https ? 443 : 80));
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    let head: Buffer | undefined = Buffer.alloc(0);
    let sink: Writable | undefined;
    let framer: BodyFramer | undefined;
    let settled = false;
    /** All body bytes are in the sink: the socket closing now is expected. */
    let complete = false;
    let timer: NodeJS.Timeout | undefined;

    const arm = (ms: number, message: string, code: string) => {
      if (timer) clearTimeout(timer);
      if (ms > 0) timer = setTimeout(() => fail(codedError(message, code)), ms);
    };
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (sink && !sink.destroyed)
        sink.destroy(err instanceof Error ? err : new Error(String(err)));
      reject(err);
    };
    const finishSink = () => {
      const s = sink as Writable;
      complete = true;
      if (timer) clearTimeout(timer);
      socket.destroy();
      s.end(() => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve({ kind: "done" });
      });
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });

    /** Hand body bytes to the sink; false pauses the socket until the sink drains. */
    const deliver = (bytes: Buffer): boolean => {
      const s = sink as Writable;
      let parts: Buffer[];
      try {
        parts = (framer as BodyFramer).feed(bytes);
      } catch (err) {
        fail(codedError(`malformed response body: ${(err as Error).message}`, "UND_ERR_SOCKET"));
        return false;
      }
      let ok = true;
      let waitFor: Promise<void> | undefined;
      for (const part of parts) {
        if (part.length === 0) continue;
        // The read buffer is reused after this call: a sink that can take the bytes at once
        // borrows them (no copy), any other gets its own copy.
        const taken = waitFor ? undefined : (s as Partial<BorrowingSink>).borrow?.(part);
        if (taken === undefined) ok = s.write(Buffer.from(part)) && ok;
        else if (taken !== true) waitFor = taken;
      }
      if ((framer as BodyFramer).done) {
        if (waitFor) waitFor.then(finishSink, fail);
        else finishSink();
        return false;
      }
      if (waitFor) {
        if (timer) clearTimeout(timer);
        waitFor.then(() => {
          if (settled || complete) return;
          arm(hop.bodyTimeout, "Body Timeout Error", "UND_ERR_BODY_TIMEOUT");
          if (!s.writableNeedDrain) socket.resume();
          else s.once("drain", () => !settled && !complete && socket.resume());
        }, fail);
        return false;
      }
      arm(hop.bodyTimeout, "Body Timeout Error", "UND_ERR_BODY_TIMEOUT");
      if (!ok) {
        // A slow sink (a slow disk) is not a stalled server: no body timer while paused.
        if (timer) clearTimeout(timer);
        s.once("drain", () => {
          if (settled || complete) return;
          arm(hop.bodyTimeout, "Body Timeout Error", "UND_ERR_BODY_TIMEOUT");
          socket.resume();
        });
        return false;
      }
      return true;
    };

    const onHead = (parsed: ParsedHead, rest: Buffer): boolean => {
      const { status, headers } = parsed;
      const noBody =
        hop.method === "HEAD" ||
        status === 204 ||
        status === 304 ||
        (status >= 100 && status < 200) ||
        REDIRECT_STATUSES.has(status);
      const te = headers["transfer-encoding"];
      const cl = headers["content-length"];
      if (noBody) framer = new BodyFramer(0);
      else if (te !== undefined) {
        if (!/(^|,)\s*chunked\s*$/i.test(String(te))) {
          fail(codedError(`unsupported transfer-encoding ${te}`, "UND_ERR_SOCKET"));
          return false;
        }
        framer = new BodyFramer("chunked");
      } else if (typeof cl === "string") {
        if (!/^\d+$/.test(cl)) {
          fail(codedError("invalid content-length", "UND_ERR_SOCKET"));
          return false;
        }
        framer = new BodyFramer(Number(cl));
      } else framer = new BodyFramer("close");
      try {
        sink = sinkFor({ statusCode: status, headers });
      } catch (err) {
        fail(err);
        return false;
      }
      sink.on("error", (err) => fail(err));
      arm(hop.bodyTimeout, "Body Timeout Error", "UND_ERR_BODY_TIMEOUT");
      if (framer.done) {
        finishSink();
        return false;
      }
      return rest.length > 0 ? deliver(rest) : true;
    };

    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      callback: (n: number, buf: Uint8Array): boolean => {
        if (settled) return false;
        const bytes = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (head === undefined) return deliver(bytes);
        head = Buffer.concat([head, bytes]);
        const parsed = parseHead(head);
        if (parsed === "incomplete") return true;
        if (parsed === "bad") {
          fail(codedError("malformed response head", "UND_ERR_SOCKET"));
          return false;
        }
        const rest = head.subarray(parsed.length);
        head = undefined;
        return onHead(parsed, rest);
      },
    };
    const socket: Socket = https
      ? tlsConnect({ host, port, servername: host.includes(":") ? "" : host, onread } as never)
      : netConnect({ host, port, onread } as never);
    socket.on("error", (err) => fail(err));
    socket.on("close", () => {
      if (settled || complete) return;
      if (framer?.endsWithClose && sink) {
        finishSink();
        return;
      }
      fail(
        codedError(
          head === undefined ? "other side closed before the body ended" : "other side closed",
          "UND_ERR_SOCKET",
        ),
      );
    });
    socket.once(https ? "secureConnect" : "connect", () => {
      const lines = [
        `${hop.method} ${url.pathname}${url.search} HTTP/1.1`,
        `host: ${url.host}`,
        "connection: close",
        "accept-encoding: identity",
      ];
      for (const [k, v] of Object.entries(hop.headers)) {
        const name = k.toLowerCase();
        if (name === "host" || name === "connection" || name === "accept-encoding") continue;
        lines.push(`${name}: ${v}`);
      }
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      arm(hop.headersTimeout, "Headers Timeout Error", "UND_ERR_HEADERS_TIMEOUT");
    });
  });
}
