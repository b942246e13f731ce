import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  CancelledError,
  DownloadError,
  fromReason,
  InvalidDestinationError,
  InvalidInputError,
  redactSecrets,
  type StateFileError,
  toReason,
} from "./errors.js";
import { DownloadJob } from "./job.js";
import { type DownloadManagerOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { type RunnerEnv, runJob } from "./runner.js";
import { pathKey, safeJoin, uniquePath } from "./sanitize.js";
import { type PersistedJob, StateStore } from "./state.js";
import type {
  DownloadProgress,
  DownloadResult,
  JobState,
  RestartInfo,
  RetryInfo,
  StateChange,
} from "./types.js";
import { BandwidthLimiter, RateMeter } from "./util.js";

/** What to download. Give either `destination`, or `directory` (+ optional `name`). */
export interface AddOptions {
  /** HTTP(S) URL. */
  url: string | URL;
  /** Full path of the final file (used as given, after basic checks). */
  destination?: string;
  /** Folder for the file; the name comes from `name` or the URL's last path segment, sanitized. */
  directory?: string;
  /** File name (may contain `/` for sub-folders) below `directory`; every segment is sanitized. */
  name?: string;
  /** Expected SHA-256 (hex). The strongest check; without it the S3 ETag or size is used. */
  sha256?: string;
  /** Expected S3 ETag (MD5 hex, or `md5hex-N` for multipart uploads). */
  etag?: string;
  /** Expected size in bytes. */
  size?: number;
  /** Job id (`[A-Za-z0-9._-]`, ≤ 128 chars); adding an id that exists returns the existing job. @default a random UUID */
  id?: string;
  /** JSON data kept with the job (and in its state file; never put secrets here). */
  meta?: Record<string, unknown>;
}

/** Events of a {@link DownloadManager} (each job's events, with the job). */
export interface DownloadManagerEvents {
  added: [DownloadJob];
  state: [DownloadJob, StateChange];
  progress: [DownloadJob, DownloadProgress];
  retry: [DownloadJob, RetryInfo];
  restart: [DownloadJob, RestartInfo];
  done: [DownloadJob, DownloadResult];
  /** A state file could not be written (e.g. disk full); the job itself carries on. */
  "state-error": [StateFileError];
}

/** Totals over all jobs. */
export interface ManagerSummary {
  counts: Record<JobState, number>;
  bytes: number;
  total: number;
  rate: number;
}

class Stop {
  constructor(readonly kind: "pause" | "cancel" | "close") {}
}

const ACTIVE: ReadonlySet<JobState> = new Set([
  "queued",
  "waiting-for-disk",
  "transferring",
  "verifying",
]);
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;

interface Runtime {
  controller?: AbortController;
  running?: Promise<void>;
  meter: RateMeter;
  lastEmit: number;
}

/**
 * A queue of resumable, verified downloads for any HTTP(S) URL.
 *
 * @example
 * ```ts
 * const dm = new DownloadManager({ stateDir: "./.downloads", concurrency: 3 });
 * const job = dm.add({ url, destination: "data/file.bin", sha256 });
 * job.on("progress", (p) => console.log(p.bytes, p.total));
 * await job.done;
 * ```
 */
export class DownloadManager extends EventEmitter<DownloadManagerEvents> {
  /** Resolved options. */
  readonly options: Readonly<ResolvedOptions>;
  private readonly store: StateStore;
  private readonly limiter: BandwidthLimiter;
  private readonly list: DownloadJob[] = [];
  private readonly byId = new Map<string, DownloadJob>();
  private readonly rt = new Map<string, Runtime>();
  private readonly secrets = new Set<string>();
  private readonly ready: Promise<void>;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: DownloadManagerOptions) {
    super();
    this.options = resolveOptions(options);
    this.limiter = new BandwidthLimiter(this.options.bandwidthLimit);
    this.store = new StateStore(this.options.stateDir, (e) => this.emit("state-error", e));
    this.ready = this.store.init();
    this.ready.catch(() => {});
  }

  /**
   * Load every job from `stateDir` and continue the unfinished ones (paused stay paused, errors
   * stay errors with their reason). Unreadable state files are listed in `restoreErrors`.
   */
  static async restore(options: DownloadManagerOptions): Promise<DownloadManager> {
    const dm = new DownloadManager(options);
    await dm.ready;
    const { jobs, errors } = await dm.store.loadAll();
    dm.restoreErrors = errors;
    for (const rec of jobs) {
      if (rec.state === "cancelled") {
        await dm.store.remove(rec.id);
        continue;
      }
      const state: JobState = ACTIVE.has(rec.state) ? "queued" : rec.state;
      const job = new DownloadJob({ ...rec, state });
      if (state !== "done") {
        // Show the bytes already on disk before the job runs again.
        const have = await stat(job.partPath).then(
          (st) => st.size,
          () => 0,
        );
        job._progress = { ...job._progress, bytes: have };
      }
      dm.register(job);
      if (state === "error") job._reject(rec.error ? fromReason(rec.error) : new Error("failed"));
      if (state === "done" && rec.result) job._resolve(rec.result);
    }
    dm.pump();
    return dm;
  }

  /** State files that could not be read by {@link DownloadManager.restore}. */
  restoreErrors: StateFileError[] = [];

  /** All jobs, in the order they were added. */
  get jobs(): readonly DownloadJob[] {
    return this.list;
  }

  /** The job with this id. */
  get(id: string): DownloadJob | undefined {
    return this.byId.get(id);
  }

  /** Change the bandwidth limit (bytes/s, 0 = unlimited) of running and future transfers. */
  setBandwidthLimit(bytesPerSecond: number): void {
    this.limiter.rate = Math.max(0, bytesPerSecond);
  }

  /** Queue a download. Throws {@link InvalidInputError}/{@link InvalidDestinationError} for bad input. */
  add(options: AddOptions): DownloadJob {
    if (this.closed) throw new InvalidInputError("the download manager is closed");
    const id = options.id ?? randomUUID();
    if (!SAFE_ID.test(id)) throw new InvalidInputError(`invalid job id ${JSON.stringify(id)}`);
    const existing = this.byId.get(id);
    if (existing) return existing;

    let url: URL;
    try {
      url = new URL(String(options.url));
    } catch {
      throw new InvalidInputError("invalid URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new InvalidInputError(`unsupported protocol ${url.protocol}`);
    }
    if (url.username || url.password) {
      throw new InvalidInputError("credentials in the URL are not allowed; use headersFor");
    }
    if (options.sha256 !== undefined && !SHA256.test(options.sha256)) {
      throw new InvalidInputError("sha256 must be 64 hex digits");
    }
    if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
      throw new InvalidInputError("size must be a non-negative integer");
    }
    let etag: string | undefined;
    if (options.etag !== undefined) {
      etag = options.etag.replace(/^"+|"+$/g, "").toLowerCase();
      if (!/^[0-9a-f]{32}(-[1-9][0-9]*)?$/.test(etag)) {
        throw new InvalidInputError("etag must be an S3 ETag (md5 hex or md5hex-N)");
      }
    }
    let destination = this.destinationFor(options, url);
    const taken = this.takenKeys();
    if (taken.has(pathKey(destination))) destination = uniquePath(destination, taken, false);

    const now = new Date().toISOString();
    const record: PersistedJob = {
      version: 1,
      id,
      url: url.href,
      destination,
      state: "queued",
      createdAt: now,
      updatedAt: now,
    };
    if (options.sha256) record.sha256 = options.sha256.toLowerCase();
    if (etag) record.etag = etag;
    if (options.size !== undefined) record.size = options.size;
    if (options.meta !== undefined) record.meta = JSON.parse(JSON.stringify(options.meta));
    const job = new DownloadJob(record);
    this.register(job);
    this.persist(job);
    this.emit("added", job);
    this.pump();
    return job;
  }

  private destinationFor(o: AddOptions, url: URL): string {
    if (o.destination !== undefined) {
      if (typeof o.destination !== "string" || o.destination === "") {
        throw new InvalidDestinationError("empty destination");
      }
      if (/[\u0000-\u001f\u007f]/.test(o.destination)) {
        throw new InvalidDestinationError("control characters in destination");
      }
      const base = path.basename(o.destination);
      if (base === "" || base === "." || base === ".." || /[/\\]$/.test(o.destination)) {
        throw new InvalidDestinationError("destination must name a file");
      }
      return path.resolve(o.destination);
    }
    if (o.directory === undefined) {
      throw new InvalidDestinationError("give destination or directory");
    }
    let name = o.name;
    if (name === undefined) {
      const last = url.pathname.split("/").filter(Boolean).pop() ?? "";
      try {
        name = decodeURIComponent(last);
      } catch {
        name = last;
      }
      if (name === "") name = "download";
      name = name.replace(/[/\\]/g, "_");
    }
    return safeJoin(o.directory, name);
  }

  private register(job: DownloadJob): void {
    this.list.push(job);
    this.byId.set(job.id, job);
    this.rt.set(job.id, { meter: new RateMeter(), lastEmit: 0 });
    this.reindex(job);
  }

  /** Destination keys of unfinished jobs (kept up to date in `persist`), so adds stay O(1). */
  private readonly destKeyOf = new Map<DownloadJob, string>();
  private readonly destCount = new Map<string, number>();

  private reindex(job: DownloadJob, drop = false): void {
    const old = this.destKeyOf.get(job);
    const active = !drop && job.state !== "done" && job.state !== "cancelled";
    const key = active ? pathKey(job.destination) : undefined;
    if (old === key) return;
    if (old !== undefined) {
      const n = (this.destCount.get(old) ?? 1) - 1;
      if (n > 0) this.destCount.set(old, n);
      else this.destCount.delete(old);
      this.destKeyOf.delete(job);
    }
    if (key !== undefined) {
      this.destCount.set(key, (this.destCount.get(key) ?? 0) + 1);
      this.destKeyOf.set(job, key);
    }
  }

  private takenKeys(except?: DownloadJob): { has(key: string): boolean } {
    const own = except ? this.destKeyOf.get(except) : undefined;
    return { has: (k) => (this.destCount.get(k) ?? 0) - (k === own ? 1 : 0) > 0 };
  }

  private persist(job: DownloadJob): void {
    this.reindex(job);
    void this.store.save(job.toRecord());
  }

  private setState(job: DownloadJob, state: JobState, extra: Partial<StateChange> = {}): void {
    const previous = job._setState(state);
    if (previous === state && state !== "waiting-for-disk") return;
    const change: StateChange = { state, previous, ...extra };
    this.persist(job);
    job.emit("state", change);
    this.emit("state", job, change);
  }

  private fail(job: DownloadJob, err: unknown): void {
    const e =
      err instanceof DownloadError
        ? err
        : new DownloadError("DOWNLOAD_UNKNOWN", err instanceof Error ? err.message : String(err), {
            cause: err,
          });
    e.jobId = job.id;
    const reason = toReason(e, this.secrets);
    if (e.message !== reason.message) {
      // Belt and braces: a secret slipped into a message; keep only the redacted text.
      Object.defineProperty(e, "message", { value: redactSecrets(e.message, this.secrets) });
    }
    const previous = job._setState("error", e, reason);
    const change: StateChange = { state: "error", previous, reason };
    this.persist(job);
    job.emit("state", change);
    this.emit("state", job, change);
    job._reject(e);
  }

  /** The runner's view of the manager; a stopped (aborted) runner can no longer change state. */
  private env(signal: AbortSignal): RunnerEnv {
    return {
      opts: this.options,
      limiter: this.limiter,
      secrets: this.secrets,
      othersRemaining: (job) => {
        let sum = 0;
        for (const j of this.list) {
          if (j === job || (j.state !== "transferring" && j.state !== "verifying")) continue;
          const total = j.progress.total ?? j.size;
          if (total !== undefined) sum += Math.max(0, total - j.progress.bytes);
        }
        return sum;
      },
      takenKeys: (job) => this.takenKeys(job),
      setState: (job, state, extra) => {
        if (!signal.aborted) this.setState(job, state, extra);
      },
      persist: (job) => this.persist(job),
      progress: (job, bytes, total, force) => {
        if (!signal.aborted) this.progress(job, bytes, total, force);
      },
      emitRetry: (job, attempt, delayMs, err) => {
        const info: RetryInfo = { attempt, delayMs, reason: toReason(err, this.secrets) };
        job.emit("retry", info);
        this.emit("retry", job, info);
      },
      emitRestart: (job, reason) => {
        const info: RestartInfo = { reason };
        this.rt.get(job.id)?.meter.reset();
        job.emit("restart", info);
        this.emit("restart", job, info);
      },
    };
  }

  private progress(
    job: DownloadJob,
    bytes: number,
    total: number | undefined,
    force = false,
  ): void {
    const rt = this.rt.get(job.id)!;
    const now = performance.now();
    const rate = rt.meter.add(bytes, now);
    const eta = total !== undefined && rate > 0 ? Math.max(0, total - bytes) / rate : undefined;
    job._progress = { bytes, total, rate, eta };
    if (!force && now - rt.lastEmit < this.options.progressIntervalMs) return;
    rt.lastEmit = now;
    job.emit("progress", job._progress);
    this.emit("progress", job, job._progress);
  }

  /** Start queued jobs while fewer than `concurrency` run. */
  private pump(): void {
    if (this.closed) return;
    let running = this.runningIds.size;
    for (const job of this.list) {
      if (running >= this.options.concurrency) break;
      const rt = this.rt.get(job.id)!;
      if (job.state !== "queued" || rt.controller) continue;
      running++;
      this.start(job, rt);
    }
    this.checkIdle();
  }

  private readonly runningIds = new Set<string>();

  private start(job: DownloadJob, rt: Runtime): void {
    const controller = new AbortController();
    rt.controller = controller;
    this.runningIds.add(job.id);
    rt.meter.reset();
    const previousRun = rt.running ?? Promise.resolve();
    rt.running = (async () => {
      await previousRun; // never two runners on one part file
      try {
        await this.ready;
        if (controller.signal.aborted) throw controller.signal.reason;
        const result = await runJob(job, this.env(controller.signal), controller.signal);
        if (controller.signal.aborted) {
          // The file reached its destination (verified) just as the job was stopped.
          const stop = controller.signal.reason as Stop | undefined;
          if (stop?.kind === "cancel") return;
          job._rearm();
        }
        job._resolve(result);
        this.setState(job, "done");
        this.progress(job, result.size, result.size, true);
        job.emit("done", result);
        this.emit("done", job, result);
        if (this.options.keepFinished) this.persist(job);
        else await this.store.remove(job.id);
      } catch (err) {
        const reason = controller.signal.aborted ? controller.signal.reason : undefined;
        if (reason instanceof Stop) {
          if (reason.kind === "cancel") {
            await rm(job.partPath, { force: true }).catch(() => {});
            await this.store.remove(job.id);
          }
        } else {
          this.fail(job, err);
        }
      } finally {
        // A resume may already have started the next run; only clear what is ours.
        if (rt.controller === controller) {
          rt.controller = undefined;
          this.runningIds.delete(job.id);
        }
        this.pump();
      }
    })();
  }

  /** Pause a job (its bytes are kept; `resume` continues from there). */
  pause(id: string): void {
    const job = this.need(id);
    if (!ACTIVE.has(job.state)) return;
    this.setState(job, "paused");
    this.rt.get(id)!.controller?.abort(new Stop("pause"));
    this.pump();
  }

  /** Continue a paused job. */
  resume(id: string): void {
    const job = this.need(id);
    if (job.state !== "paused") return;
    job._rearm();
    this.setState(job, "queued");
    this.pump();
  }

  /** Cancel a job: stops it, deletes its partial data and its state file; `done` rejects. */
  cancel(id: string): void {
    const job = this.need(id);
    if (job.state === "done" || job.state === "cancelled") return;
    const rt = this.rt.get(id)!;
    this.setState(job, "cancelled");
    job._reject(new CancelledError(id));
    if (rt.controller) rt.controller.abort(new Stop("cancel"));
    else {
      void rm(job.partPath, { force: true }).catch(() => {});
      void this.store.remove(id);
    }
    this.pump();
  }

  /** Queue a job in state `error` or `cancelled` again (a cancelled one starts from zero). */
  retry(id: string): void {
    const job = this.need(id);
    if (job.state !== "error" && job.state !== "cancelled") return;
    job._rearm();
    this.setState(job, "queued");
    this.pump();
  }

  /** Cancel (if unfinished) and forget a job. */
  async remove(id: string): Promise<void> {
    const job = this.need(id);
    if (job.state !== "done") this.cancel(id);
    await this.rt.get(id)?.running?.catch(() => {});
    await this.store.remove(id);
    this.list.splice(this.list.indexOf(job), 1);
    this.reindex(job, true);
    this.byId.delete(id);
    this.rt.delete(id);
    this.checkIdle();
  }

  /** Pause every active job. */
  pauseAll(): void {
    for (const j of this.list) this.pause(j.id);
  }

  /** Resume every paused job. */
  resumeAll(): void {
    for (const j of this.list) this.resume(j.id);
  }

  /** Totals over all jobs. */
  summary(): ManagerSummary {
    const counts = {
      queued: 0,
      "waiting-for-disk": 0,
      transferring: 0,
      verifying: 0,
      done: 0,
      error: 0,
      paused: 0,
      cancelled: 0,
    } satisfies Record<JobState, number>;
    let bytes = 0;
    let total = 0;
    let rate = 0;
    for (const j of this.list) {
      counts[j.state]++;
      bytes += j.progress.bytes;
      total += j.progress.total ?? j.size ?? 0;
      if (j.state === "transferring") rate += j.progress.rate;
    }
    return { counts, bytes, total, rate };
  }

  /** Resolves when no job is queued, waiting, transferring or verifying. */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.list.every((j) => !ACTIVE.has(j.state) && !this.rt.get(j.id)?.controller);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /**
   * Stop all transfers without changing their persisted state (so `restore` continues them),
   * and wait for state files to be written.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const rt of this.rt.values()) rt.controller?.abort(new Stop("close"));
    await Promise.all([...this.rt.values()].map((rt) => rt.running?.catch(() => {})));
    await this.store.release();
  }

  private need(id: string): DownloadJob {
    const job = this.byId.get(id);
    if (!job) throw new InvalidInputError(`no job ${id}`);
    return job;
  }
}
