// zstd compression for the classic writer (`@foxglove/wasm-zstd`, MIT): in this thread for small
// chunks, on a small pool of helper threads for big ones. zstd in wasm is single-threaded and at
// level 5 takes ~35 ms per MiB of noisy float data: seconds per 1M-event file on one thread.

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

interface ZstdWasm {
  isLoaded: Promise<void>;
  compress: (src: Uint8Array, level?: number) => Uint8Array;
}

const require = createRequire(import.meta.url);
/** The package's CommonJS entry, for the helper threads (plain JS, no loader needed). */
const ZSTD_ENTRY = require.resolve("@foxglove/wasm-zstd");

let local: Promise<(buf: Uint8Array, level: number) => Uint8Array> | undefined;

/** zstd in this thread; the wasm module starts once. */
export function zstdLocal(): Promise<(buf: Uint8Array, level: number) => Uint8Array> {
  local ??= (async () => {
    const mod = require(ZSTD_ENTRY) as ZstdWasm;
    await mod.isLoaded;
    return (buf, level) => mod.compress(buf, level);
  })();
  return local;
}

const HELPER_SOURCE = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const z = require(workerData.entry);
parentPort.on("message", async ({ id, buf, level }) => {
  try {
    await z.isLoaded;
    const c = z.compress(buf, level);
    // Own, exactly sized buffer to transfer (the library may hand out a pooled Buffer).
    const out = new Uint8Array(c.length);
    out.set(c);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface Slot {
  w: Worker;
  /** Jobs sent and not answered. */
  busy: number;
}

interface Job {
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
  slot: Slot;
}

/** Chunks below this size are compressed in this thread (a round trip costs more). */
export const POOL_MIN_BYTES = 64 * 1024;

/** Helper threads compressing chunks; idle threads do not keep the process alive. */
export class ZstdPool {
  private readonly workers: Slot[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  constructor(readonly size: number) {}

  private start(): Slot {
    const w = new Worker(HELPER_SOURCE, { eval: true, workerData: { entry: ZSTD_ENTRY } });
    w.unref();
    const slot = { w, busy: 0 };
    w.on("message", (m: { id: number; out?: Uint8Array; error?: string }) => {
      const job = this.jobs.get(m.id);
      this.jobs.delete(m.id);
      slot.busy--;
      if (slot.busy === 0) w.unref();
      if (!job) return;
      if (m.out) job.resolve(m.out);
      else job.reject(new Error(`zstd: ${m.error ?? "compression failed"}`));
    });
    w.on("error", (err) => this.fail(slot, err));
    w.on("exit", () => this.fail(slot, new Error("zstd helper thread exited")));
    this.workers.push(slot);
    return slot;
  }

  /** A helper died: its jobs fail (the write fails cleanly), the next job starts a new one. */
  private fail(slot: Slot, err: Error): void {
    const i = this.workers.indexOf(slot);
    if (i < 0) return;
    this.workers.splice(i, 1);
    for (const [id, job] of this.jobs) {
      if (job.slot === slot) {
        this.jobs.delete(id);
        job.reject(err);
      }
    }
  }

  /** Compress `buf` (copied; the caller keeps it) at `level`. */
  compress(buf: Uint8Array, level: number): Promise<Uint8Array> {
    let slot = this.workers.reduce<Slot | undefined>(
      (best, s) => (!best || s.busy < best.busy ? s : best),
      undefined,
    );
    if (!slot || (slot.busy > 0 && this.workers.length < this.size)) slot = this.start();
    const id = this.nextId++;
    const copy = buf.slice();
    const chosen = slot;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, slot: chosen });
      if (chosen.busy === 0) chosen.w.ref();
      chosen.busy++;
      chosen.w.postMessage({ id, buf: copy, level }, [copy.buffer]);
    });
  }
}

let pool: ZstdPool | undefined;

/** The helper pool of this thread: one helper per core, at most 4; none on one core. */
export function zstdPool(): ZstdPool | undefined {
  const size = Math.min(4, availableParallelism());
  if (size < 2) return undefined;
  pool ??= new ZstdPool(size);
  return pool;
}
