import { EventEmitter } from "node:events";
import type { DownloadError, ErrorReason } from "./errors.js";
import type { PersistedJob } from "./state.js";
import type { DownloadJobEvents, DownloadProgress, DownloadResult, JobState } from "./types.js";
import { type Deferred, deferred } from "./util.js";

/**
 * One download. Created by {@link DownloadManager.add}; observe it with
 * `job.on("state" | "progress" | "retry" | "restart" | "done", …)` and `await job.done`.
 */
export class DownloadJob extends EventEmitter<DownloadJobEvents> {
  /** Job id (unique in its manager; also the state file name). */
  readonly id: string;
  /** The URL to download (as given; auth headers are never part of the job). */
  readonly url: string;
  /** Expected SHA-256 (lower-case hex), if known. */
  readonly sha256: string | undefined;
  /** Expected S3 ETag (MD5 or `md5-N`), if known. */
  readonly etag: string | undefined;
  /** Expected size in bytes, if known. */
  size: number | undefined;
  /** Free-form JSON data stored with the job (e.g. a DCOR resource id). Never put secrets here. */
  readonly meta: Record<string, unknown> | undefined;
  /** When the job was created (ISO 8601). */
  readonly createdAt: string;

  private _destination: string;
  private _state: JobState;
  private _error: DownloadError | undefined;
  private _reason: ErrorReason | undefined;
  private _result: DownloadResult | undefined;
  private _deferred: Deferred<DownloadResult> = deferred();
  /** @internal validators of the remote file behind the `.part` bytes */
  remote: PersistedJob["remote"];
  /** @internal last progress */
  _progress: DownloadProgress;

  /** @internal use {@link DownloadManager.add} */
  constructor(record: PersistedJob) {
    super();
    this.id = record.id;
    this.url = record.url;
    this.sha256 = record.sha256;
    this.etag = record.etag;
    this.size = record.size;
    this.meta = record.meta;
    this.createdAt = record.createdAt;
    this._destination = record.destination;
    this._state = record.state;
    this._reason = record.error;
    this.remote = record.remote;
    this._progress = { bytes: 0, total: record.size, rate: 0, eta: undefined };
  }

  /** Final path of the file. May change once if a different file already sits there (`onConflict: "rename"`). */
  get destination(): string {
    return this._destination;
  }

  /** The temporary file next to the destination that receives the bytes. */
  get partPath(): string {
    return `${this._destination}.part`;
  }

  /** Current state. */
  get state(): JobState {
    return this._state;
  }

  /** The error of a job in state `error` (token-free). */
  get error(): DownloadError | undefined {
    return this._error;
  }

  /** JSON form of the error (as persisted). */
  get reason(): ErrorReason | undefined {
    return this._reason;
  }

  /** The result once `done`. */
  get result(): DownloadResult | undefined {
    return this._result;
  }

  /** Last progress values. */
  get progress(): DownloadProgress {
    return this._progress;
  }

  /**
   * Resolves with the {@link DownloadResult} once the file is verified and at its destination;
   * rejects with the error when the job fails or with a `CancelledError`. After `retry` or
   * `resume` a new promise is returned. Unobserved rejections never crash the process.
   */
  get done(): Promise<DownloadResult> {
    return this._deferred.promise;
  }

  /** @internal */
  _setDestination(p: string): void {
    this._destination = p;
  }

  /** @internal */
  _setState(state: JobState, error?: DownloadError, reason?: ErrorReason): JobState {
    const previous = this._state;
    this._state = state;
    if (state === "error") {
      this._error = error;
      this._reason = reason;
    } else if (state !== "cancelled") {
      this._error = undefined;
      this._reason = undefined;
    }
    return previous;
  }

  /** @internal fresh `done` promise if the previous one settled (after retry/resume) */
  _rearm(): void {
    if (this._deferred.settled) this._deferred = deferred();
  }

  /** @internal */
  _resolve(result: DownloadResult): void {
    this._result = result;
    this._deferred.resolve(result);
  }

  /** @internal */
  _reject(err: unknown): void {
    this._deferred.reject(err);
  }

  /** @internal */
  toRecord(): PersistedJob {
    const r: PersistedJob = {
      version: 1,
      id: this.id,
      url: this.url,
      destination: this._destination,
      state: this._state,
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
    };
    if (this.sha256 !== undefined) r.sha256 = this.sha256;
    if (this.etag !== undefined) r.etag = this.etag;
    if (this.size !== undefined) r.size = this.size;
    if (this._reason !== undefined) r.error = this._reason;
    if (this.remote !== undefined) r.remote = this.remote;
    if (this.meta !== undefined) r.meta = this.meta;
    if (this._state === "done" && this._result) r.result = this._result;
    return r;
  }
}
