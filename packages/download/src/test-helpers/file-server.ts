/**
 * A small two-origin HTTP file server for tests (not part of the public API): a "site" that
 * redirects `/r/<name>` to the "store" origin (and `/private/<name>` only with the right bearer
 * token, else 404, like DCOR), and a store that serves files with Range, If-Range, ETag and
 * Last-Modified, with one-shot fault injection.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Fault {
  /** Destroy the socket after this many body bytes. */
  resetAfterBytes?: number;
  /** Answer 200 with the full body even if a Range was asked. */
  ignoreRange?: boolean;
  /** Answer this status with an empty body. */
  status?: number;
  /** With status 429: Retry-After seconds. */
  retryAfter?: number;
  /** Flip the byte at this absolute file offset. */
  corruptAt?: number;
  /** Stop sending (without closing) after this many body bytes. */
  stallAfterBytes?: number;
  /** Send the body in small slices with pauses (a slow link). */
  slow?: boolean;
  /** Answer a 206 whose Content-Range starts at a different offset than asked. */
  wrongRangeStart?: boolean;
  /** Apply only to requests whose path contains this. */
  pathIncludes?: string;
}

export interface LogEntry {
  origin: "site" | "store";
  method: string;
  path: string;
  status: number;
  range?: string;
  ifRange?: string;
  authorization?: string;
}

export interface FileServer {
  siteUrl: string;
  storeUrl: string;
  /** Direct store URL of a file. */
  fileUrl(name: string): string;
  /** Site URL that 302-redirects to the store. */
  redirectUrl(name: string): string;
  /** Site URL that needs `Authorization: Bearer <token>` and 302-redirects to a signed store URL. */
  privateUrl(name: string): string;
  setFile(
    name: string,
    bytes: Buffer,
    opts?: { etag?: string | null; lastModified?: string },
  ): void;
  faults: Fault[];
  log: LogEntry[];
  token: string;
  close(): Promise<void>;
}

interface StoredFile {
  bytes: Buffer;
  etag: string | null;
  lastModified: string;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, StoredFile>();
  const faults: Fault[] = [];
  const log: LogEntry[] = [];
  const token = "test-token-0123456789abcdef";
  let storeUrl = "";

  const takeFault = (p: string): Fault | undefined => {
    const i = faults.findIndex((f) => !f.pathIncludes || p.includes(f.pathIncludes));
    return i === -1 ? undefined : faults.splice(i, 1)[0];
  };

  const record = (origin: "site" | "store", req: IncomingMessage, status: number) => {
    const e: LogEntry = { origin, method: req.method ?? "", path: req.url ?? "", status };
    if (req.headers.range) e.range = req.headers.range;
    if (req.headers["if-range"]) e.ifRange = String(req.headers["if-range"]);
    if (req.headers.authorization) e.authorization = req.headers.authorization;
    log.push(e);
  };

  const site = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const [, kind, ...rest] = url.pathname.split("/");
    const name = rest.join("/");
    if (kind === "r") {
      record("site", req, 302);
      res.writeHead(302, { location: `${storeUrl}/f/${name}` }).end();
      return;
    }
    if (kind === "loop") {
      record("site", req, 302);
      res.writeHead(302, { location: "/loop/again" }).end();
      return;
    }
    if (kind === "to") {
      // Redirect to an arbitrary URL given in ?u= (for protocol checks).
      record("site", req, 302);
      res.writeHead(302, { location: url.searchParams.get("u") ?? "/" }).end();
      return;
    }
    if (kind === "private") {
      if (req.headers.authorization !== `Bearer ${token}`) {
        record("site", req, 404);
        res.writeHead(404).end("not found");
        return;
      }
      record("site", req, 302);
      res.writeHead(302, { location: `${storeUrl}/f/${name}?X-Signature=sig${Date.now()}` }).end();
      return;
    }
    record("site", req, 404);
    res.writeHead(404).end();
  });

  const store = createServer((req, res) => serveFile(req, res));

  function serveFile(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://x");
    const name = decodeURIComponent(url.pathname.replace(/^\/f\//, ""));
    const file = files.get(name);
    const fault = takeFault(url.pathname);
    if (fault?.status) {
      record("store", req, fault.status);
      const h: Record<string, string> = {};
      if (fault.retryAfter !== undefined) h["retry-after"] = String(fault.retryAfter);
      res.writeHead(fault.status, h).end();
      return;
    }
    if (!file) {
      record("store", req, 404);
      res.writeHead(404).end();
      return;
    }
    const size = file.bytes.length;
    const headers: Record<string, string> = {
      "accept-ranges": "bytes",
      "last-modified": file.lastModified,
      "content-type": "application/octet-stream",
    };
    if (file.etag) headers.etag = `"${file.etag}"`;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers["if-range"] as string | undefined;
    const validatorOk =
      !ifRange ||
      ifRange === headers.etag ||
      (!ifRange.startsWith('"') && ifRange === file.lastModified);
    if (range && validatorOk && !fault?.ignoreRange) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (m) {
        start = Number(m[1]);
        if (m[2]) end = Math.min(Number(m[2]), size - 1);
        if (start >= size) {
          record("store", req, 416);
          res.writeHead(416, { "content-range": `bytes */${size}` }).end();
          return;
        }
        status = 206;
      }
    }
    let body = file.bytes.subarray(start, end + 1);
    if (fault?.corruptAt !== undefined && fault.corruptAt >= start && fault.corruptAt <= end) {
      body = Buffer.from(body);
      const i = fault.corruptAt - start;
      body[i] = body[i]! ^ 0xff;
    }
    if (status === 206) {
      const shown = fault?.wrongRangeStart ? Math.max(0, start - 1) : start;
      headers["content-range"] = `bytes ${shown}-${end}/${size}`;
    }
    headers["content-length"] = String(body.length);
    record("store", req, status);
    res.writeHead(status, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const limit = fault?.resetAfterBytes ?? fault?.stallAfterBytes;
    if (limit !== undefined) {
      res.write(body.subarray(0, Math.min(limit, body.length)), () => {
        if (fault?.resetAfterBytes !== undefined) setTimeout(() => req.socket.destroy(), 20);
        // stall: keep the socket open, send nothing more
      });
      return;
    }
    if (fault?.slow) {
      let off = 0;
      const step = Math.max(1, Math.ceil(body.length / 20));
      const tick = () => {
        if (res.destroyed) return;
        if (off >= body.length) return void res.end();
        res.write(body.subarray(off, off + step));
        off += step;
        setTimeout(tick, 10);
      };
      tick();
      return;
    }
    res.end(body);
  }

  const siteUrl = await listen(site);
  storeUrl = await listen(store);

  return {
    siteUrl,
    storeUrl,
    fileUrl: (n) => `${storeUrl}/f/${n}`,
    redirectUrl: (n) => `${siteUrl}/r/${n}`,
    privateUrl: (n) => `${siteUrl}/private/${n}`,
    setFile(name, bytes, opts = {}) {
      const etag =
        opts.etag === undefined ? createHash("md5").update(bytes).digest("hex") : opts.etag;
      files.set(name, {
        bytes,
        etag,
        lastModified: opts.lastModified ?? new Date(Date.now() - 60_000).toUTCString(),
      });
    },
    faults,
    log,
    token,
    async close() {
      site.closeAllConnections();
      store.closeAllConnections();
      await Promise.all([new Promise((r) => site.close(r)), new Promise((r) => store.close(r))]);
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift), so tests are reproducible. */
export function seededBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** Seeded RNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
