// Main-thread side of the HDF5 worker: a plain async API over postMessage. One worker per
// process (lazily started, unref'd while idle). If the worker dies or a call times out, it is
// restarted and open files are re-opened transparently on their next use.
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import {
  deserializeError,
  RtdcClosedError,
  RtdcTimeoutError,
  type SerializedError,
} from "../errors.js";
import type {
  ContoursResult,
  FileSource,
  FileTree,
  GroupInfo,
  OpenResult,
  ReadResult,
  Request,
  Response,
  TableResult,
  WorkerStats,
  WritePlan,
} from "./protocol.js";
import { spawnWorker } from "./spawn.js";

/** Default watchdog for one worker call; a hung HDF5 call is killed after this. */
export const DEFAULT_CALL_TIMEOUT_MS = 10 * 60_000;

function workerEntry(): URL {
  const here = import.meta.url;
  // Source mode (vitest, tsx) runs src/hdf5/client.ts; the bundle runs dist/index.js.
  return here.endsWith(".ts") ? new URL("../worker.ts", here) : new URL("./worker.js", here);
}

export interface WorkerOptions {
  /** Plugin names to load (testing: simulate a missing filter). Default: all. */
  plugins?: string[];
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class Hdf5Worker {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Incremented on every (re)start; handles from older generations are stale. */
  generation = 0;

  /**
   * Reads assigned to this worker and not yet answered. Counted from the moment a read is
   * assigned (not when it is posted), so that reads started in one tick spread over workers.
   */
  assigned = 0;

  constructor(private readonly options: WorkerOptions = {}) {}

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const url = workerEntry();
    this.generation++;
    const w = spawnWorker(url, {
      role: "hdf5",
      entryUrl: url.href,
      ...(this.options.plugins ? { plugins: this.options.plugins } : {}),
    });
    this.worker = w;
    this.ready = new Promise<Worker>((resolve, reject) => {
      const onFirst = (msg: { ready?: boolean; message?: string }) => {
        if (msg.ready) {
          w.on("message", (m: Response) => this.onMessage(m));
          this.updateRef();
          resolve(w);
        } else {
          reject(new RtdcClosedError(`HDF5 worker failed to start: ${msg.message ?? "unknown"}`));
        }
      };
      w.once("message", onFirst);
      // Events of a replaced worker must not touch its successor.
      w.on("error", (err) => {
        reject(err);
        if (this.worker === w) this.crashed(err);
      });
      w.on("exit", () => {
        if (this.worker === w) this.crashed(new Error("HDF5 worker exited"));
      });
    });
    this.ready.catch(() => {
      if (this.worker === w) {
        this.worker = undefined;
        this.ready = undefined;
      }
    });
    return this.ready;
  }

  private crashed(err: Error): void {
    this.worker = undefined;
    this.ready = undefined;
    this.generation++;
    this.failPending(err);
  }

  private failPending(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RtdcClosedError(`HDF5 worker stopped: ${err.message}`));
      this.pending.delete(id);
    }
  }

  private updateRef(): void {
    // Keep the process alive only while calls are pending.
    if (!this.worker) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private onMessage(m: Response): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    this.updateRef();
    if (m.ok) p.resolve(m.result);
    else {
      p.reject(deserializeError(m.error as SerializedError));
      if (m.fatal) void this.restart();
    }
  }

  /** Kill the worker (e.g. after a wasm abort or hang); the next call starts a fresh one. */
  async restart(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    // Handles of the old worker are stale from now on.
    this.generation++;
    // Calls still pending belong to the old worker: they fail (files re-open on their next use).
    this.failPending(new Error("restarted"));
    if (w) await w.terminate();
  }

  async call<T>(
    req: Request,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    options.signal?.throwIfAborted();
    const w = await this.start();
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const p = this.pending.get(id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        this.updateRef();
        reject(options.signal?.reason);
      };
      const timer = setTimeout(() => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        reject(
          new RtdcTimeoutError(`HDF5 call '${req.op}' did not finish within ${timeoutMs} ms`, {
            action: req.op,
          }),
        );
        // The worker may be stuck in a synchronous call: replace it.
        void this.restart();
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (v) => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          options.signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
        timer,
      });
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.updateRef();
      w.postMessage({ id, req });
    });
  }

  async terminate(): Promise<void> {
    await this.restart();
  }
}

let shared: Hdf5Worker | undefined;
let helper: Hdf5Worker | undefined;

/** The process-wide HDF5 worker. */
export function sharedWorker(): Hdf5Worker {
  shared ??= new Hdf5Worker();
  return shared;
}

/**
 * A second worker for whole-feature reads of local files, so two features decode in parallel
 * (HDF5 decompression is single-threaded per wasm instance). Only on machines with 2+ cores.
 */
function helperWorker(): Hdf5Worker | undefined {
  if (availableParallelism() < 2) return undefined;
  helper ??= new Hdf5Worker();
  return helper;
}

/**
 * An open HDF5 file in the worker. Re-opens itself if the worker was restarted in between.
 */
export class Hdf5File {
  private handle: number;
  private gen: number;
  private closed = false;

  private constructor(
    private readonly worker: Hdf5Worker,
    readonly source: FileSource,
    opened: OpenResult,
    readonly tree: FileTree,
  ) {
    this.handle = opened.handle;
    this.gen = worker.generation;
  }

  static async open(
    source: FileSource,
    options: { worker?: Hdf5Worker; signal?: AbortSignal } = {},
  ): Promise<Hdf5File> {
    const worker = options.worker ?? sharedWorker();
    const opened = await worker.call<OpenResult>(
      { op: "open", source },
      options.signal ? { signal: options.signal } : {},
    );
    return new Hdf5File(worker, source, opened, opened.tree);
  }

  private async ensure(signal?: AbortSignal): Promise<number> {
    if (this.closed) throw new RtdcClosedError("the dataset is closed");
    if (this.gen !== this.worker.generation || this.handle < 0) {
      const opened = await this.worker.call<OpenResult>(
        { op: "open", source: this.source },
        signal ? { signal } : {},
      );
      this.handle = opened.handle;
      this.gen = this.worker.generation;
    }
    return this.handle;
  }

  private async run<T>(make: (h: number) => Request, signal?: AbortSignal): Promise<T> {
    const handle = await this.ensure(signal);
    try {
      return await this.worker.call<T>(make(handle), signal ? { signal } : {});
    } catch (err) {
      // The worker restarted under us: one more try with a fresh handle.
      if (err instanceof RtdcClosedError && !this.closed && this.gen !== this.worker.generation) {
        const h = await this.ensure(signal);
        return this.worker.call<T>(make(h), signal ? { signal } : {});
      }
      throw err;
    }
  }

  read(
    path: string,
    range?: { start: number; count: number },
    signal?: AbortSignal,
  ): Promise<ReadResult> {
    const other =
      !range && this.source.kind === "file" && this.worker === shared ? helperWorker() : undefined;
    const target = other && other.assigned < this.worker.assigned ? other : this.worker;
    target.assigned++;
    const done = () => {
      target.assigned--;
    };
    const p =
      target === this.worker
        ? this.run<ReadResult>((handle) => ({ op: "read", handle, path, ...(range ?? {}) }), signal)
        : this.readOn(target, path, signal);
    p.then(done, done);
    return p;
  }

  private replica: { worker: Hdf5Worker; gen: number; handle: Promise<number> } | undefined;

  /** Whole-dataset read on the helper worker, which opens the same (local) file itself. */
  private async readOn(
    worker: Hdf5Worker,
    path: string,
    signal?: AbortSignal,
  ): Promise<ReadResult> {
    if (this.closed) throw new RtdcClosedError("the dataset is closed");
    if (!this.replica || this.replica.gen !== worker.generation) {
      const handle = worker
        .call<OpenResult>({ op: "open", source: this.source, describe: false })
        .then((r) => r.handle);
      this.replica = { worker, gen: worker.generation, handle };
      handle.catch(() => {
        this.replica = undefined;
      });
    }
    const handle = await this.replica.handle;
    return worker.call<ReadResult>({ op: "read", handle, path }, signal ? { signal } : {});
  }

  strings(path: string, signal?: AbortSignal): Promise<string[]> {
    return this.run((handle) => ({ op: "strings", handle, path }), signal);
  }

  contours(path: string, start: number, count: number): Promise<ContoursResult> {
    return this.run((handle) => ({ op: "contours", handle, path, start, count }));
  }

  table(path: string, signal?: AbortSignal): Promise<TableResult> {
    return this.run((handle) => ({ op: "table", handle, path }), signal);
  }

  describeGroup(path: string): Promise<GroupInfo> {
    return this.run((handle) => ({ op: "describeGroup", handle, path }));
  }

  async setUrl(url: string, headers?: Record<string, string>): Promise<void> {
    if (this.source.kind === "http") {
      (this.source as { url: string }).url = url;
      if (headers) (this.source as { headers?: Record<string, string> }).headers = headers;
    }
    if (this.gen === this.worker.generation && !this.closed) {
      await this.worker.call({
        op: "setUrl",
        handle: this.handle,
        url,
        ...(headers ? { headers } : {}),
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const rep = this.replica;
    this.replica = undefined;
    if (rep && rep.gen === rep.worker.generation) {
      const h = await rep.handle.catch(() => -1);
      if (h >= 0) await rep.worker.call({ op: "close", handle: h }).catch(() => undefined);
    }
    if (this.gen === this.worker.generation) {
      await this.worker.call({ op: "close", handle: this.handle }).catch(() => undefined);
    }
  }
}

export async function writeHdf5(
  path: string,
  plan: WritePlan,
  worker: Hdf5Worker = sharedWorker(),
): Promise<void> {
  await worker.call({ op: "write", path, plan });
}

export function workerStats(worker: Hdf5Worker = sharedWorker()): Promise<WorkerStats> {
  return worker.call<WorkerStats>({ op: "stats" });
}
