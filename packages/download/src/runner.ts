import { writeSync, writevSync } from "node:fs";
import { type FileHandle, link, mkdir, open, rename, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { isS3Etag, normalizeEtag, StreamHasher } from "./checksum.js";
import {
  ChecksumMismatchError,
  DestinationExistsError,
  DiskError,
  DownloadError,
  HTTPStatusError,
  InvalidDestinationError,
  NetworkError,
  RedirectError,
  SizeMismatchError,
} from "./errors.js";
import {
  discard,
  discardSink,
  headerValue,
  type OpenRequest,
  openResponse,
  parseContentRange,
  parseRetryAfter,
  SinkError,
  streamResponse,
} from "./http.js";
import type { DownloadJob } from "./job.js";
import type { ResolvedOptions } from "./options.js";
import { uniquePath } from "./sanitize.js";
import type { DownloadResult, JobState, RestartInfo, StateChange, VerifiedBy } from "./types.js";
import { type BandwidthLimiter, sleep } from "./util.js";

/** What the manager provides to a running job. */
export interface RunnerEnv {
  opts: ResolvedOptions;
  limiter: BandwidthLimiter;
  /** Bytes other active jobs still have to write (for the free-space check). */
  othersRemaining(job: DownloadJob): number;
  /** Destinations taken by other jobs (keys from pathKey). */
  takenKeys(job: DownloadJob): { has(key: string): boolean };
  setState(job: DownloadJob, state: JobState, extra?: Partial<StateChange>): void;
  persist(job: DownloadJob): void;
  progress(job: DownloadJob, bytes: number, total: number | undefined, force?: boolean): void;
  emitRetry(job: DownloadJob, attempt: number, delayMs: number, err: unknown): void;
  emitRestart(job: DownloadJob, reason: RestartInfo["reason"]): void;
  secrets: Set<string>;
}

/** A write to the part file failed; the hasher may be ahead of the file. */
class WriteFailure extends SinkError {
  constructor(readonly original: unknown) {
    super("write failed");
  }
}

/** The disk (nearly) ran full during a transfer: wait for space, then continue. */
class DiskFull extends SinkError {}

/** The response cannot be used (e.g. wrong Content-Range): drop it and start from zero. */
class RestartNeeded extends SinkError {
  constructor(readonly why: RestartInfo["reason"]) {
    super(why);
  }
}

const BATCH_BYTES = 1024 * 1024;
/** Batches queued for writing before the body stream is paused (bounds memory per transfer). */
const MAX_QUEUED_BATCHES = 4;
const MAX_BATCH_AGE_MS = 250;
/** An attempt that delivered at least this much resets the retry count. */
const PROGRESS_RESETS_RETRIES_BYTES = 256 * 1024;
/**
 * A synchronous write slower than this switches the transfer to asynchronous writes. Writes
 * into the page cache take well under a millisecond per MiB and doing them in place is much
 * faster than a thread-pool round trip per batch; a slow disk (or network share) must not block
 * the event loop, though, so it gets async writes.
 */
const SLOW_SYNC_WRITE_MS = 20;
/** With `fsync`, flush to disk in the background every this many bytes. */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Writes body chunks to the part file in order. While writes are fast (page cache) each chunk is
 * written synchronously as it arrives; once one was slow, chunks are collected into ~1 MiB
 * writes queued strictly in order (one write at a time on the file), so network reads and disk
 * writes overlap while memory stays bounded (≈ 5 MiB per job).
 */
export class BatchWriter {
  private batch: Buffer[] = [];
  private batchLen = 0;
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failed: unknown;
  private waiter: (() => void) | undefined;

  /** Bytes written since the last background fdatasync was started. */
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  /**
   * @param syncEveryBytes start a background fdatasync after this many written bytes (0 = never),
   *   so that the final fsync before the rename has little left to flush.
   * @param writeInPlace write synchronously (see SLOW_SYNC_WRITE_MS) until one write was slow;
   *   false starts with queued async writes (tests).
   */
  constructor(
    private readonly fh: FileHandle,
    private readonly syncEveryBytes = 0,
    private readonly onWritten: (bytes: number) => void = () => {},
    private writeInPlace = true,
  ) {}

  private maybeSync(bytes: number): void {
    if (!this.syncEveryBytes) return;
    this.unsynced += bytes;
    if (this.unsynced < this.syncEveryBytes || this.syncing) return;
    this.unsynced = 0;
    this.syncing = this.fh
      .datasync()
      .catch(() => {})
      .finally(() => {
        this.syncing = undefined;
      });
  }

  private ageTimer: NodeJS.Timeout | undefined;

  /** Whether the next `push` writes synchronously and keeps no reference to the chunk. */
  get writesInPlace(): boolean {
    return this.writeInPlace && this.batchLen === 0 && this.queued === 0 && !this.failed;
  }

  /** Buffer a chunk; returns a promise only when the caller has to wait for the disk. */
  push(chunk: Buffer): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.failed);
    if (this.writeInPlace && this.batchLen === 0 && this.queued === 0) {
      // Write each chunk at once, while it is still in the CPU cache from the socket read and
      // the hash: copying it into the page cache then costs less than half of what a 1 MiB
      // batch of cold chunks costs (measured: ~0.5 vs 1.2+ CPU-s per GiB), which outweighs the
      // extra syscalls.
      this.writeNow([chunk]);
      return this.failed ? Promise.reject(this.failed) : undefined;
    }
    if (this.batchLen === 0 && !this.ageTimer) {
      // On a slow link a batch fills slowly: write it after a short while anyway, so that a
      // crash loses at most that much data, not a whole batch.
      this.ageTimer = setTimeout(() => {
        this.ageTimer = undefined;
        this.enqueue();
      }, MAX_BATCH_AGE_MS);
      this.ageTimer.unref();
    }
    this.batch.push(chunk);
    this.batchLen += chunk.length;
    if (this.batchLen < BATCH_BYTES) return undefined;
    this.enqueue();
    if (this.failed) return Promise.reject(this.failed);
    if (this.queued < MAX_QUEUED_BATCHES) return undefined;
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    }).then(() => {
      if (this.failed) throw this.failed;
    });
  }

  private enqueue(): void {
    if (this.ageTimer) {
      clearTimeout(this.ageTimer);
      this.ageTimer = undefined;
    }
    if (this.batchLen === 0) return;
    const bufs = this.batch;
    this.batch = [];
    this.batchLen = 0;
    if (this.writeInPlace && this.queued === 0 && !this.failed) {
      this.writeNow(bufs);
      return;
    }
    this.queued++;
    this.tail = this.tail.then(async () => {
      try {
        if (!this.failed) await this.writeAll(bufs);
      } catch (err) {
        this.failed = err;
      } finally {
        this.queued--;
        const w = this.waiter;
        this.waiter = undefined;
        w?.();
      }
    });
  }

  /** Synchronous write in place; a slow one switches this writer to queued async writes. */
  private writeNow(bufs: Buffer[]): void {
    const t0 = performance.now();
    try {
      this.writeAllSync(bufs);
    } catch (err) {
      this.failed = err;
    }
    if (performance.now() - t0 > SLOW_SYNC_WRITE_MS) this.writeInPlace = false;
  }

  /** writev the chunks as they are (no concatenation copy), handling short writes. */
  private async writeAll(bufs: Buffer[]): Promise<void> {
    let rest = bufs;
    try {
      while (rest.length > 0) {
        const { bytesWritten } = await this.fh.writev(rest);
        this.maybeSync(bytesWritten);
        this.onWritten(bytesWritten);
        rest = afterWritten(rest, bytesWritten);
      }
    } catch (err) {
      throw new WriteFailure(err);
    }
  }

  private writeAllSync(bufs: Buffer[]): void {
    let rest = bufs;
    try {
      while (rest.length > 0) {
        const bytesWritten =
          rest.length === 1 ? writeSync(this.fh.fd, rest[0]!) : writevSync(this.fh.fd, rest);
        this.maybeSync(bytesWritten);
        this.onWritten(bytesWritten);
        rest = afterWritten(rest, bytesWritten);
      }
    } catch (err) {
      throw new WriteFailure(err);
    }
  }

  /** Write everything buffered; throws WriteFailure if any write failed. */
  async drain(): Promise<void> {
    this.enqueue();
    await this.tail;
    await this.syncing;
    if (this.failed) throw this.failed;
  }
}

/**
 * Writable that appends a response body to the part file (opened in `construct`, truncated
 * first when the download restarts from zero). `whenClosed` settles once every accepted byte is
 * written (or failed) and the file is closed — only then may the part file be inspected.
 */
class PartSink extends Writable {
  private fh: FileHandle | undefined;
  writer: BatchWriter | undefined;
  readonly whenClosed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly file: string,
    private readonly truncateFirst: boolean,
    private readonly onChunk: (chunk: Buffer, sink: PartSink) => Promise<void> | undefined,
    private readonly syncEveryBytes: number,
    private readonly onWritten: (bytes: number) => void,
    /** Whether `onChunk` consumes a chunk synchronously (no bandwidth limit delaying it). */
    private readonly chunksConsumedAtOnce: () => boolean = () => false,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.whenClosed = new Promise((r) => {
      this.markClosed = r;
    });
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.file, "a")
      .then(async (fh) => {
        this.fh = fh;
        if (this.truncateFirst) await fh.truncate(0);
        this.writer = new BatchWriter(fh, this.syncEveryBytes, this.onWritten);
      })
      .then(
        () => cb(),
        (err) => cb(new WriteFailure(err)),
      );
  }

  private borrowed: Promise<void> | undefined;

  /**
   * Take `view` now, hashed and written before this returns, keeping no reference to it, so the
   * caller may reuse its memory at once (socket-stream.ts reads into one reused buffer). Returns
   * `undefined` when that is not possible right now (the caller then writes a copy), `true` when
   * done, or a promise to wait for before the next bytes (a disk-space check); a rejected one
   * means the sink failed.
   */
  borrow(view: Buffer): true | Promise<void> | undefined {
    if (
      !this.writer?.writesInPlace ||
      this.borrowed ||
      this.writableLength > 0 ||
      this.writableCorked > 0 ||
      this.destroyed ||
      this.writableEnded ||
      !this.chunksConsumedAtOnce()
    )
      return undefined;
    let p: Promise<void> | undefined;
    try {
      p = this.onChunk(view, this);
    } catch (err) {
      this.destroy(err as Error);
      return Promise.reject(err);
    }
    if (!p) return true;
    this.borrowed = p.finally(() => {
      this.borrowed = undefined;
    });
    this.borrowed.catch((err: Error) => this.destroy(err));
    return this.borrowed;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let p: Promise<void> | undefined;
    try {
      p = this.onChunk(chunk, this);
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (p) p.then(() => cb(), cb);
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    Promise.resolve(this.borrowed)
      .then(() => (this.writer ? this.writer.drain() : undefined))
      .then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const w = this.writer ? this.writer.drain().catch(() => {}) : Promise.resolve();
    w.then(() => this.fh?.close())
      .catch(() => {})
      .finally(() => {
        this.markClosed();
        cb(err);
      });
  }
}

function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

async function fileSize(p: string): Promise<number | undefined> {
  try {
    const s = await stat(p);
    if (!s.isFile()) throw new InvalidDestinationError(`${p} exists and is not a file`);
    return s.size;
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Expected S3 ETag to verify against when no sha256 is known. */
function expectedEtag(job: DownloadJob): string | undefined {
  if (job.sha256) return undefined;
  if (job.etag) return job.etag;
  return isS3Etag(job.remote?.etag) ? job.remote?.etag : undefined;
}

/** Transfers at least this big hash SHA-256 on a worker thread (it costs a thread and ~5 MB). */
const OFF_THREAD_HASH_BYTES = 32 * 1024 * 1024;

function newHasher(job: DownloadJob, o: ResolvedOptions): StreamHasher {
  const etag = expectedEtag(job);
  const size = job.size ?? job.remote?.size;
  const offThread = o.hashWorker && size !== undefined && size >= OFF_THREAD_HASH_BYTES;
  return new StreamHasher(
    etag ? { expected: etag, size, partSize: o.etagPartSize } : undefined,
    offThread ? job.partPath : undefined,
  );
}

/** Run one job to its verified destination. Throws DownloadError, or the abort reason. */
export async function runJob(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
): Promise<DownloadResult> {
  const o = env.opts;
  try {
    await mkdir(path.dirname(job.destination), { recursive: true });
  } catch (err) {
    throw new DiskError(`cannot create ${path.dirname(job.destination)}`, err);
  }

  const existing = await fileSize(job.destination);
  if (existing !== undefined) {
    env.setState(job, "verifying");
    const verified = await verifyExisting(job, env, existing, signal);
    if (verified) {
      await rm(job.partPath, { force: true });
      return verified;
    }
    if (o.onConflict === "error") throw new DestinationExistsError(job.destination);
    if (o.onConflict === "rename") {
      job._setDestination(uniquePath(job.destination, env.takenKeys(job), true));
      env.persist(job);
    }
  }

  for (let checksumRestarts = 0; ; checksumRestarts++) {
    const { hasher, total } = await transfer(job, env, signal);
    env.setState(job, "verifying");
    env.progress(job, hasher.bytes, total, true);
    try {
      // A hash worker may still be catching up with the file: run the final fsync meanwhile.
      const synced = o.fsync ? syncFile(job.partPath) : Promise.resolve();
      const [hashed, flushed] = await Promise.allSettled([hasher.finish(), synced]);
      if (hashed.status === "rejected") throw hashed.reason;
      if (flushed.status === "rejected") throw flushed.reason;
      const verifiedBy = verifyHashes(job, hasher, total);
      if (signal.aborted) throw signal.reason; // paused/cancelled: the verified part stays a part
      await placeFile(job, env);
      return {
        id: job.id,
        destination: job.destination,
        size: hasher.bytes,
        sha256: hasher.sha256(),
        verifiedBy,
        existed: false,
      };
    } catch (err) {
      if (!(err instanceof ChecksumMismatchError || err instanceof SizeMismatchError)) throw err;
      // Never keep bad bytes: the part file goes, whatever happens next.
      await rm(job.partPath, { force: true });
      job.remote = undefined;
      if (checksumRestarts >= o.checksumRetries) throw err;
      env.emitRestart(job, "checksum-mismatch");
      env.persist(job);
    }
  }
}

async function syncFile(file: string): Promise<void> {
  const fh = await open(file, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Move the verified part file to its destination. Unless `onConflict` is `"overwrite"`, this
 * uses link + unlink, which fails instead of clobbering a file that appeared at the destination
 * meanwhile (then the file goes to `name (1).ext`, or DestinationExistsError). File systems
 * without hard links fall back to a checked rename.
 */
async function placeFile(job: DownloadJob, env: RunnerEnv): Promise<void> {
  const o = env.opts;
  if (o.onConflict === "overwrite") {
    await rename(job.partPath, job.destination);
    return;
  }
  for (;;) {
    const part = job.partPath;
    try {
      await link(part, job.destination);
      await rm(part, { force: true });
      return;
    } catch (err) {
      const clash =
        (err as { code?: string }).code === "EEXIST" ||
        (await fileSize(job.destination)) !== undefined;
      if (clash) {
        if (o.onConflict === "error") throw new DestinationExistsError(job.destination);
        const next = uniquePath(job.destination, env.takenKeys(job), true);
        await rename(part, `${next}.part`);
        job._setDestination(next);
        env.persist(job);
        continue;
      }
      await rename(part, job.destination); // no hard links here (e.g. FAT, some network shares)
      return;
    }
  }
}

function verifyHashes(
  job: DownloadJob,
  hasher: StreamHasher,
  total: number | undefined,
): VerifiedBy {
  if (job.sha256) {
    const actual = hasher.sha256();
    if (actual !== job.sha256)
      throw new ChecksumMismatchError("sha256", job.sha256, actual, job.url);
    return "sha256";
  }
  if (hasher.etag) {
    const { actual, matches } = hasher.etag.result();
    if (!matches) throw new ChecksumMismatchError("etag", hasher.etag.expected, actual, job.url);
    return "etag";
  }
  const expectedSize = job.size ?? total;
  if (expectedSize !== undefined) {
    if (hasher.bytes !== expectedSize)
      throw new SizeMismatchError(expectedSize, hasher.bytes, job.url);
    return "size";
  }
  return "none";
}

/** Check a file already at the destination; a result if it is the right file, else undefined. */
async function verifyExisting(
  job: DownloadJob,
  env: RunnerEnv,
  size: number,
  signal: AbortSignal,
): Promise<DownloadResult | undefined> {
  if (job.size !== undefined && size !== job.size) return undefined;
  let etag = job.sha256 ? undefined : job.etag;
  let remoteSize = job.size;
  if (!job.sha256 && !etag) {
    const probe = await probeRemote(job, env, signal);
    etag = isS3Etag(probe.etag) ? probe.etag : undefined;
    remoteSize = probe.size;
    if (remoteSize !== undefined && remoteSize !== size) return undefined;
  }
  const hasher = new StreamHasher(
    etag ? { expected: etag, size, partSize: env.opts.etagPartSize } : undefined,
  );
  await hasher.updateFromFile(job.destination, undefined, signal);
  let verifiedBy: VerifiedBy;
  if (job.sha256) {
    if (hasher.sha256() !== job.sha256) return undefined;
    verifiedBy = "sha256";
  } else if (hasher.etag) {
    if (!hasher.etag.result().matches) return undefined;
    verifiedBy = "etag";
  } else if (remoteSize !== undefined) {
    verifiedBy = "size";
  } else {
    return undefined; // nothing to check it against: do not call an unknown file done
  }
  return {
    id: job.id,
    destination: job.destination,
    size,
    sha256: hasher.sha256(),
    verifiedBy,
    existed: true,
  };
}

/** The GET of `job.url` with the manager's timeouts, redirect limit and auth rules. */
function getRequest(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
  headers: Record<string, string>,
): OpenRequest {
  const o = env.opts;
  return {
    url: new URL(job.url),
    method: "GET",
    headersFor: o.headersFor,
    headers,
    dispatcher: o.dispatcher,
    signal,
    headersTimeout: o.headersTimeout,
    bodyTimeout: o.stallTimeout,
    maxRedirects: o.maxRedirects,
    secrets: env.secrets,
  };
}

/** ETag and size of the remote file via `GET` with `Range: bytes=0-0` (HEAD is not always allowed). */
async function probeRemote(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
): Promise<{ etag?: string; size?: number }> {
  const o = env.opts;
  const res = await openResponse(
    getRequest(job, env, signal, {
      "user-agent": o.userAgent,
      range: "bytes=0-0",
      "accept-encoding": "identity",
    }),
  );
  discard(res.body);
  if (res.status !== 200 && res.status !== 206) {
    throw new HTTPStatusError(res.status, res.url.href);
  }
  const out: { etag?: string; size?: number } = {};
  const etag = normalizeEtag(headerValue(res.headers.etag));
  if (etag) out.etag = etag;
  const size =
    res.status === 206
      ? parseContentRange(headerValue(res.headers["content-range"]))?.total
      : Number(headerValue(res.headers["content-length"]) ?? Number.NaN);
  if (size !== undefined && Number.isFinite(size)) out.size = size;
  return out;
}

async function waitForDisk(
  job: DownloadJob,
  env: RunnerEnv,
  remaining: number,
  signal: AbortSignal,
): Promise<void> {
  const o = env.opts;
  const dir = path.dirname(job.destination);
  for (let waited = false; ; waited = true) {
    let free: number;
    try {
      free = await o.freeSpace(dir);
    } catch {
      return; // no statfs here: do not block on an unknown
    }
    const needed = remaining + env.othersRemaining(job) + o.reserveBytes;
    if (free >= needed) return;
    if (!waited || job.state !== "waiting-for-disk") {
      env.setState(job, "waiting-for-disk", { disk: { free, needed } });
    }
    await sleep(o.diskPollIntervalMs, signal);
  }
}

/**
 * Download into the part file until complete; returns the hasher over all its bytes (call
 * `finish()` on it before reading the SHA-256; it is disposed here if the transfer fails).
 */
async function transfer(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
): Promise<{ hasher: StreamHasher; total: number | undefined }> {
  const current: { hasher?: StreamHasher } = {};
  try {
    return await transferLoop(job, env, signal, current);
  } catch (err) {
    current.hasher?.dispose(); // a worker thread must not outlive a failed transfer
    throw err;
  }
}

async function transferLoop(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
  current: { hasher?: StreamHasher },
): Promise<{ hasher: StreamHasher; total: number | undefined }> {
  const o = env.opts;
  const part = job.partPath;
  let hasher!: StreamHasher;
  let total: number | undefined = job.size ?? job.remote?.size;
  /** Replace the hasher (restart from zero, or now the size/ETag is known); frees the old one. */
  const freshHasher = (): StreamHasher => {
    hasher?.dispose();
    hasher = newHasher(job, o);
    current.hasher = hasher;
    return hasher;
  };

  // (Re)build the hasher from the bytes that are really in the part file.
  const resync = async () => {
    let have = (await fileSize(part)) ?? 0;
    if (total !== undefined && have > total) {
      await truncate(part, 0);
      job.remote = undefined;
      env.emitRestart(job, "part-larger-than-remote");
      have = 0;
    }
    const h = freshHasher();
    if (have > 0) await h.updateFromFile(part, have, signal);
  };
  const restart = async (why: RestartInfo["reason"]) => {
    await truncate(part, 0).catch(() => {});
    job.remote = undefined;
    freshHasher();
    env.emitRestart(job, why);
  };

  const fhCreate = await open(part, "a", 0o644).catch((err) => {
    throw isDiskFull(err) ? err : new DiskError(`cannot open ${part}`, err);
  });
  await fhCreate.close();
  await resync();

  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    const before = hasher.bytes;
    await waitForDisk(job, env, total === undefined ? 0 : Math.max(0, total - before), signal);
    env.setState(job, "transferring");
    env.progress(job, hasher.bytes, total, true);
    let sink: PartSink | undefined;
    let statusError: HTTPStatusError | undefined;
    let head416: { total: number | undefined } | undefined;
    try {
      const headers: Record<string, string> = {
        "user-agent": o.userAgent,
        "accept-encoding": "identity",
      };
      const from = hasher.bytes;
      const validator = job.remote?.etag ? `"${job.remote.etag}"` : job.remote?.lastModified;
      if (from > 0) {
        headers.range = `bytes=${from}-`;
        if (validator) headers["if-range"] = validator;
      }
      let sinceDiskCheck = 0;
      const onChunk = (chunk: Buffer, s: PartSink): Promise<void> | undefined => {
        if (env.limiter.rate > 0) {
          return env.limiter.take(chunk.length, signal).then(() => handleChunk(chunk, s));
        }
        return handleChunk(chunk, s);
      };
      const handleChunk = (chunk: Buffer, s: PartSink): Promise<void> | undefined => {
        // Checked before counting: bytes counted must be bytes written (resume offset, hash).
        if (total !== undefined && hasher.bytes + chunk.length > total) {
          throw new NetworkError(`server sent more than ${total} bytes`, job.url);
        }
        hasher.update(chunk);
        const wait = s.writer!.push(chunk);
        env.progress(job, hasher.bytes, total);
        sinceDiskCheck += chunk.length;
        if (sinceDiskCheck < o.diskCheckIntervalBytes) return wait;
        sinceDiskCheck = 0;
        return (async () => {
          await wait;
          const free = await o.freeSpace(path.dirname(part)).catch(() => Number.POSITIVE_INFINITY);
          if (free < o.reserveBytes) throw new DiskFull();
        })();
      };

      const head = await streamResponse(getRequest(job, env, signal, headers), (res) => {
        // Decide synchronously what to do with this response, before any body byte.
        if (res.status === 416) {
          head416 = {
            total: parseContentRange(headerValue(res.headers["content-range"]))?.total,
          };
          return discardSink();
        }
        if (res.status !== 200 && res.status !== 206) {
          const ra = parseRetryAfter(headerValue(res.headers["retry-after"]));
          statusError = new HTTPStatusError(res.status, res.url.href, ra);
          return discardSink();
        }
        const remoteEtag = normalizeEtag(headerValue(res.headers.etag));
        const lastModified = headerValue(res.headers["last-modified"]);
        let truncateFirst = false;
        if (res.status === 206) {
          const cr = parseContentRange(headerValue(res.headers["content-range"]));
          const changed =
            (job.remote?.etag !== undefined &&
              remoteEtag !== undefined &&
              remoteEtag !== job.remote.etag) ||
            (job.remote?.size !== undefined &&
              cr?.total !== undefined &&
              cr.total !== job.remote.size);
          if (!cr || cr.start !== from || changed) {
            throw new RestartNeeded(changed ? "remote-changed" : "content-range-mismatch");
          }
          if (cr.total !== undefined) total = cr.total;
        } else {
          if (from > 0) {
            truncateFirst = true;
            job.remote = undefined;
            freshHasher();
            env.emitRestart(job, validator ? "remote-changed" : "range-ignored");
          }
          const len = Number(headerValue(res.headers["content-length"]) ?? Number.NaN);
          total = Number.isFinite(len) ? len : job.size;
        }
        if (res.status === 200 || job.remote === undefined) {
          job.remote = {};
          if (remoteEtag) job.remote.etag = remoteEtag;
          if (lastModified) job.remote.lastModified = lastModified;
          if (total !== undefined) job.remote.size = total;
          if (hasher.bytes === 0) freshHasher(); // now knows the ETag and size
          env.persist(job);
        }
        if (job.size === undefined && total !== undefined) job.size = total;
        const h = hasher;
        sink = new PartSink(
          part,
          truncateFirst,
          onChunk,
          o.fsync ? SYNC_EVERY_BYTES : 0,
          (n) => h.wrote(n),
          () => env.limiter.rate === 0,
        );
        return sink;
      });
      if (sink) await sink.whenClosed;
      if (head416) {
        if (from > 0 && head416.total === from) {
          total = from;
          return { hasher, total };
        }
        await restart("part-larger-than-remote");
        continue;
      }
      if (statusError) throw statusError;
      if (total !== undefined && hasher.bytes < total) {
        throw new NetworkError(`body ended after ${hasher.bytes} of ${total} bytes`, head.url.href);
      }
      if (total === undefined) total = hasher.bytes;
      return { hasher, total };
    } catch (err0) {
      // Never look at the part file while a write may still be in flight.
      if (sink) {
        if (!sink.destroyed) sink.destroy();
        await sink.whenClosed;
      }
      if (signal.aborted) throw signal.reason;
      if (err0 instanceof RestartNeeded) {
        await restart(err0.why);
        continue;
      }
      let err = err0;
      if (err instanceof WriteFailure) err = err.original;
      if (err instanceof DiskFull || isDiskFull(err)) {
        // The part file holds a correct prefix; wait for space, re-hash what is really there.
        const have = (await fileSize(part)) ?? 0;
        const dir = path.dirname(part);
        const free = await o.freeSpace(dir).catch(() => 0);
        env.setState(job, "waiting-for-disk", { disk: { free, needed: (total ?? have) - have } });
        // The write failed, so whatever the probe says, wait at least one poll interval.
        await sleep(o.diskPollIntervalMs, signal);
        await waitForDisk(job, env, total === undefined ? 1 : Math.max(1, total - have), signal);
        await resync();
        continue;
      }
      if (err0 instanceof WriteFailure) throw new DiskError(`cannot write ${part}`, err);
      if (!(err instanceof DownloadError)) {
        throw (err as { code?: string } | null)?.code
          ? new DiskError(`file error on ${part}`, err)
          : err;
      }
      if (!err.retryable || err instanceof RedirectError) throw err;
      // Real progress resets the budget; a server that drops every connection after a few
      // bytes still runs out of retries.
      if (hasher.bytes - before >= PROGRESS_RESETS_RETRIES_BYTES) failures = 0;
      failures++;
      if (failures > o.retry.limit) {
        err.attempts = attempt;
        throw err;
      }
      const backoff = Math.min(o.retry.maxDelayMs, o.retry.minDelayMs * 2 ** (failures - 1));
      const jittered = backoff * (0.5 + Math.random() * 0.5);
      const retryAfter = err instanceof HTTPStatusError ? err.retryAfterMs : undefined;
      const delay =
        retryAfter !== undefined ? Math.min(retryAfter, o.retry.maxRetryAfterMs) : jittered;
      env.emitRetry(job, attempt, delay, err);
      await sleep(delay, signal);
    }
  }
}

/** What is left of `bufs` after a (possibly partial) vectored write of `written` bytes. */
function afterWritten(bufs: Buffer[], written: number): Buffer[] {
  let n = written;
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
