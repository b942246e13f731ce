/**
 * Kernel tasks on worker threads. The workers run the source text of `createKernels` (one
 * self-contained function), so no worker file has to be located at run time — the same code works
 * from TypeScript sources, tests and the bundled package.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { RtdcError } from "../errors.js";
import { createKernels, type KernelTaskData, kernels } from "./kernels.js";

// `__name` neutralises esbuild's keepNames helper should a transpiler have inserted it.
const WORKER_SOURCE = `"use strict";
var __name = (target) => target;
const { parentPort } = require("node:worker_threads");
const kernels = (${createKernels.toString()})();
parentPort.on("message", (task) => {
  try {
    const out = kernels.runTask(task);
    parentPort.postMessage({ out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.stack) || err) });
  }
});
`;

/** Options for running KDE work on worker threads. */
export interface KdeParallelOptions {
  /**
   * Worker threads to use (1 = compute on the calling thread, still asynchronously scheduled).
   * At least 2 by default, so that large problems always leave the calling thread, even on one
   * CPU.
   * @default Math.max(2, os.availableParallelism())
   */
  threads?: number;
  /**
   * Abort the computation (the promise rejects with the signal's reason).
   * @default undefined
   */
  signal?: AbortSignal;
}

/** A worker failed (code "RTDC_KDE_WORKER"). */
export class KdeWorkerError extends RtdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RTDC_KDE_WORKER", message, { action: "kde" }, options);
    this.name = "KdeWorkerError";
  }
}

/** The default thread count: the CPU count, at least 2 (see {@link KdeParallelOptions.threads}). */
export function defaultThreads(): number {
  return Math.max(2, availableParallelism());
}

/**
 * Run tasks on up to `threads` workers (a queue: each worker takes the next task when done) and
 * return their results in task order. Workers are terminated afterwards and on abort.
 */
export async function runTasks(
  tasks: KernelTaskData[],
  opts: KdeParallelOptions = {},
): Promise<Float64Array[]> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), tasks.length));
  if (tasks.length === 0) return [];
  if (threads === 1) {
    const results: Float64Array[] = [];
    for (const t of tasks) {
      // Yield between tasks so that an abort can land.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      results.push(kernels.runTask(t));
    }
    return results;
  }
  const results: Float64Array[] = new Array(tasks.length);
  const workers: Worker[] = [];
  let next = 0;
  let onAbort: (() => void) | undefined;
  let done = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed || done) return;
        failed = true;
        reject(err);
      };
      onAbort = () => fail(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const startNext = (w: Worker) => {
        if (failed) return;
        if (next >= tasks.length) {
          if (running === 0) {
            done = true;
            resolve();
          }
          return;
        }
        const index = next++;
        running++;
        w.once("message", (msg: { out?: Float64Array; error?: string }) => {
          running--;
          if (msg.error !== undefined || !msg.out) {
            fail(new KdeWorkerError(`KDE worker failed: ${msg.error}`));
            return;
          }
          results[index] = msg.out;
          startNext(w);
        });
        w.postMessage(tasks[index]);
      };
      for (let i = 0; i < threads; i++) {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        w.on("error", (err) => fail(new KdeWorkerError("KDE worker crashed", { cause: err })));
        // A worker that dies without an error event (e.g. out of memory) must not leave us waiting.
        w.on("exit", (code) => {
          if (!done) fail(new KdeWorkerError(`KDE worker exited early (code ${code})`));
        });
        workers.push(w);
        startNext(w);
      }
    });
  } finally {
    done = true;
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
