/** Writing responses: bodies from memory or files, with the fault plan's transforms and counting. */
import { open } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultPlan } from "./faults.js";
import type { EmulatorStats, RouteName } from "./stats.js";

/** A body read from a file: bytes `start..end` inclusive. */
export interface FileBody {
  path: string;
  start: number;
  end: number;
}

/**
 * A response as handlers produce it; `bodyOffset` is the absolute file offset of the body. A body
 * in pieces (a search page spliced from cached dataset JSON) is sent without joining them first.
 */
export interface Outgoing {
  status: number;
  headers: Record<string, string | number>;
  body?: Uint8Array | readonly Uint8Array[] | FileBody;
  bodyOffset?: number;
}

export function isFileBody(body: Outgoing["body"]): body is FileBody {
  return !!body && !(body instanceof Uint8Array) && !Array.isArray(body);
}

export function bodyLength(body: Outgoing["body"]): number {
  if (!body) return 0;
  if (isFileBody(body)) return Math.max(0, body.end - body.start + 1);
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const part of body as readonly Uint8Array[]) n += part.length;
  return n;
}

/** An in-memory body as one buffer (pieces joined); `undefined` for none or a file body. */
export function bodyBytes(body: Outgoing["body"]): Buffer | undefined {
  if (!body || isFileBody(body)) return undefined;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.length);
  return Buffer.concat(body as readonly Uint8Array[]);
}

/** JSON (text or UTF-8 bytes, possibly in pieces) spliced into a response as is (cached dicts). */
export class RawJson {
  constructor(readonly json: string | Uint8Array | readonly Uint8Array[]) {}
}

const RAW_MARK = /"\\u0000raw(\d+)\\u0000"/g;

/**
 * `JSON.stringify` as UTF-8 byte pieces, splicing `RawJson` values in without re-serialising
 * (or copying) them.
 */
export function serializeJsonParts(value: unknown): Uint8Array[] {
  const raws: RawJson[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v);
      return `\u0000raw${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (!raws.length) return [Buffer.from(text)];
  // split the (small) envelope at the markers and concatenate bytes: no big string is built
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const m of text.matchAll(RAW_MARK)) {
    parts.push(Buffer.from(text.slice(last, m.index)));
    const raw = (raws[Number(m[1])] as RawJson).json;
    if (typeof raw === "string") parts.push(Buffer.from(raw));
    else if (raw instanceof Uint8Array) parts.push(raw);
    else parts.push(...raw);
    last = (m.index as number) + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last)));
  return parts;
}

/** `serializeJsonParts` joined into a string. */
export function serializeJson(value: unknown): string {
  return Buffer.concat(serializeJsonParts(value)).toString("utf8");
}

export function jsonResponse(
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): Outgoing {
  return {
    status,
    headers: { "Content-Type": "application/json;charset=utf-8", ...extra },
    body: ((parts) => (parts.length === 1 ? (parts[0] as Uint8Array) : parts))(
      serializeJsonParts(value),
    ),
  };
}

export function htmlResponse(
  status: number,
  title: string,
  text: string,
  extra: Record<string, string> = {},
): Outgoing {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>\n`;
  return {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", ...extra },
    body: Buffer.from(html),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function corruptChunk(
  chunk: Buffer,
  chunkOffset: number,
  corrupt: NonNullable<FaultPlan["corrupt"]>,
  totalStart: number,
  total: number,
): Buffer {
  const start = corrupt.offset ?? totalStart + Math.floor(total / 2);
  const end = start + corrupt.count;
  const lo = Math.max(start, chunkOffset);
  const hi = Math.min(end, chunkOffset + chunk.length);
  if (lo >= hi) return chunk;
  const copy = Buffer.from(chunk);
  for (let i = lo; i < hi; i++) copy[i - chunkOffset] = (copy[i - chunkOffset] as number) ^ 0xff;
  return copy;
}

const BLOCK = 1 << 20;

async function* chunksOf(body: Outgoing["body"]): AsyncGenerator<Buffer> {
  if (!body) return;
  if (isFileBody(body)) {
    if (body.end < body.start) return;
    // 1 MiB reads: a typical HTTP-basin Range request is served by one read and one write
    const fh = await open(body.path, "r");
    try {
      let pos = body.start;
      while (pos <= body.end) {
        const n = Math.min(BLOCK, body.end - pos + 1);
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead } = await fh.read(buf, 0, n, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        yield bytesRead === n ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  } else {
    const bytes = bodyBytes(body) as Buffer;
    for (let i = 0; i < bytes.length; i += BLOCK)
      yield Buffer.from(bytes.buffer, bytes.byteOffset + i, Math.min(BLOCK, bytes.length - i));
  }
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error("socket closed"));
    const ok = res.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else {
      const onDrain = () => {
        res.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        res.off("drain", onDrain);
        reject(new Error("socket closed"));
      };
      res.once("drain", onDrain);
      res.once("close", onClose);
    }
  });
}

/** Whether a request carried an `Authorization` header (an empty one counts too). */
export function hasAuthorization(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined;
}

/**
 * Sends `out` applying the plan's body faults (throttle, reset, corruption) and records the
 * request in `stats`. Never throws.
 */
export async function send(
  req: IncomingMessage,
  res: ServerResponse,
  out: Outgoing,
  plan: FaultPlan,
  stats: EmulatorStats,
  route: RouteName,
): Promise<void> {
  let sent = 0;
  const length = bodyLength(out.body);
  const headers: Record<string, string | number> = { ...out.headers };
  if (headers["Content-Length"] === undefined) headers["Content-Length"] = length;
  const range = req.headers.range;
  const finish = () =>
    stats.record(route, {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: out.status,
      bytesSent: sent,
      ...(typeof range === "string" ? { range } : {}),
      authorization: hasAuthorization(req),
    });
  try {
    res.writeHead(out.status, headers);
    if (req.method === "HEAD" || !out.body || length === 0) {
      res.end();
      finish();
      return;
    }
    const bps = plan.bytesPerSecond;
    const resetAt = plan.resetAfterBytes;
    if (Array.isArray(out.body) && !bps && resetAt === undefined && !plan.corrupt) {
      // pieces in memory, no body fault: hand them all to the socket at once (one writev)
      res.cork();
      for (const part of out.body as readonly Uint8Array[]) if (part.length) res.write(part);
      sent = length;
      res.end();
      finish();
      return;
    }
    const started = Date.now();
    let offset = out.bodyOffset ?? 0;
    for await (let chunk of chunksOf(out.body)) {
      if (plan.corrupt)
        chunk = corruptChunk(chunk, offset, plan.corrupt, out.bodyOffset ?? 0, length);
      offset += chunk.length;
      // small slices when throttled, so the rate is smooth
      const slice = bps ? Math.max(1, Math.min(chunk.length, Math.ceil(bps / 20))) : chunk.length;
      for (let i = 0; i < chunk.length; i += slice) {
        let part = chunk.subarray(i, Math.min(chunk.length, i + slice));
        if (resetAt !== undefined && sent + part.length > resetAt) {
          part = part.subarray(0, Math.max(0, resetAt - sent));
          if (part.length) {
            await write(res, part);
            sent += part.length;
          }
          // let the bytes leave before the reset
          await sleep(10);
          res.socket?.resetAndDestroy?.();
          res.destroy();
          finish();
          return;
        }
        if (sent + part.length >= length && (resetAt === undefined || resetAt > length)) {
          // the last bytes go out with end(), and the request is counted in the same tick, so a
          // client never sees a complete response before the stats do
          sent += part.length;
          res.end(part);
          finish();
          return;
        }
        await write(res, part);
        sent += part.length;
        // pace the next slice (not after the last one: the response ends and is counted at once)
        if (bps && sent < length) {
          const due = started + (sent / bps) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await sleep(wait);
        }
      }
    }
    if (resetAt !== undefined && sent >= resetAt) {
      res.socket?.resetAndDestroy?.();
      res.destroy();
    } else res.end();
  } catch {
    res.destroy();
  }
  finish();
}

/** Reads a request body up to `limit` bytes; rejects with `RangeError` beyond. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new RangeError("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
