// The helper thread of the HDF5 worker: performs HTTP range GETs asynchronously while the
// HDF5 worker blocks in Atomics.wait (HDF5 reads are synchronous). Answers go back through
// a MessagePort, then the shared flag is set and notified.
import type { MessagePort } from "node:worker_threads";

export interface RangeRequest {
  id: number;
  url: string;
  headers: Record<string, string>;
  /** First byte (inclusive). */
  start: number;
  /** Last byte (inclusive). */
  end: number;
  timeoutMs: number;
  retries: number;
}

export type RangeResponse =
  | {
      id: number;
      ok: true;
      status: number;
      body: Uint8Array;
      /** Total size from Content-Range (206) or the body length (200). */
      total: number;
      etag: string | null;
    }
  | { id: number; ok: false; status?: number; message: string };

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function rangeGet(req: RangeRequest): Promise<RangeResponse> {
  let lastMessage = "no attempt";
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt <= req.retries; attempt++) {
    if (attempt > 0)
      await sleep(Math.min(4000, 200 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2));
    try {
      const res = await fetch(req.url, {
        headers: { ...req.headers, Range: `bytes=${req.start}-${req.end}` },
        signal: AbortSignal.timeout(req.timeoutMs),
        redirect: "follow",
      });
      if (res.status === 206 || res.status === 200) {
        const body = new Uint8Array(await res.arrayBuffer());
        let total = body.length;
        if (res.status === 206) {
          const m = /\/(\d+)\s*$/.exec(res.headers.get("content-range") ?? "");
          if (!m)
            return {
              id: req.id,
              ok: false,
              status: 206,
              message: "206 without Content-Range total",
            };
          total = Number(m[1]);
          const expected = Math.min(req.end, total - 1) - req.start + 1;
          if (body.length !== expected) {
            lastMessage = `short body: ${body.length} of ${expected} bytes`;
            continue;
          }
        }
        return {
          id: req.id,
          ok: true,
          status: res.status,
          body,
          total,
          etag: res.headers.get("etag"),
        };
      }
      await res.body?.cancel();
      lastStatus = res.status;
      lastMessage = `HTTP ${res.status}`;
      if (res.status === 416)
        return { id: req.id, ok: false, status: 416, message: "range not satisfiable" };
      if (!RETRY_STATUS.has(res.status)) break;
      const ra = Number(res.headers.get("retry-after"));
      if (Number.isFinite(ra) && ra > 0) await sleep(Math.min(ra, 10) * 1000);
    } catch (err) {
      lastStatus = undefined;
      const e = err as Error & { cause?: { code?: string } };
      lastMessage =
        e.name === "TimeoutError"
          ? `timeout after ${req.timeoutMs} ms`
          : (e.cause?.code ?? e.message);
    }
  }
  return {
    id: req.id,
    ok: false,
    ...(lastStatus ? { status: lastStatus } : {}),
    message: lastMessage,
  };
}

export function runFetcher(port: MessagePort, flag: Int32Array): void {
  port.on("message", (req: RangeRequest) => {
    rangeGet(req).then(
      (res) => {
        port.postMessage(res, res.ok ? [res.body.buffer as ArrayBuffer] : []);
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      },
      (err: unknown) => {
        port.postMessage({ id: req.id, ok: false, message: String(err) });
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      },
    );
  });
}
