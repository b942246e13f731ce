import { statfs } from "node:fs/promises";
import type { FreeSpaceProbe } from "./types.js";

/** Sleep that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Default {@link FreeSpaceProbe}: `statfs` → blocks available to unprivileged users × block size. */
export const statfsFreeSpace: FreeSpaceProbe = async (directory) => {
  const s = await statfs(directory);
  return s.bavail * s.bsize;
};

/** A promise with its resolve/reject exposed. Rejections are pre-handled (no crash if unobserved). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const d: Deferred<T> = {
    promise: new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    }),
    resolve: (v) => {
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      d.settled = true;
      reject(e);
    },
    settled: false,
  };
  d.promise.catch(() => {});
  return d;
}

/**
 * Shared token bucket: `take(n)` waits so that the bytes taken by all callers together stay
 * at or below `rate` bytes/s (a burst of ~100 ms is allowed). `rate` 0 = unlimited.
 */
export class BandwidthLimiter {
  private next = 0;
  constructor(public rate = 0) {}

  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (!this.rate || this.rate <= 0) return;
    const now = performance.now();
    const start = Math.max(now - 100, this.next);
    this.next = start + (n / this.rate) * 1000;
    const wait = this.next - now;
    if (wait > 1) await sleep(wait, signal);
  }
}

/** Rate over a sliding window of recent (time, bytes) samples. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 3000) {}

  reset(): void {
    this.samples = [];
  }

  /** Record the cumulative byte count now; returns bytes/s. */
  add(bytes: number, t = performance.now()): number {
    // Keep at most one sample per 100 ms: the window stays short however many chunks arrive.
    const last = this.samples[this.samples.length - 1];
    if (!last || t - last.t >= 100) this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[1]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0 ? Math.max(0, (bytes - first.bytes) / dt) : 0;
  }
}
