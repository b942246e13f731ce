import { type FileHandle, mkdir, open, rename, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
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
  headerValue,
  mapNetworkError,
  type OpenedResponse,
  openResponse,
  parseContentRange,
  parseRetryAfter,
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
  takenKeys(job: DownloadJob): Set<string>;
  setState(job: DownloadJob, state: JobState, extra?: Partial<StateChange>): void;
  persist(job: DownloadJob): void;
  progress(job: DownloadJob, bytes: number, total: number | undefined, force?: boolean): void;
  emitRetry(job: DownloadJob, attempt: number, delayMs: number, err: unknown): void;
  emitRestart(job: DownloadJob, reason: RestartInfo["reason"]): void;
  secrets: Set<string>;
}

/** A write to the part file failed; the hasher may be ahead of the file. */
class WriteFailure extends Error {
  constructor(readonly original: unknown) {
    super("write failed");
  }
}

/** The disk (nearly) ran full during a transfer: wait for space, then continue. */
class DiskFull extends Error {}

const BATCH_BYTES = 1024 * 1024;

/**
 * Collects body chunks into ~1 MiB writes with one write in flight, so network reads and
 * disk writes overlap while memory stays bounded (≈ 2 MiB per job).
 */
class BatchWriter {
  private batch: Buffer[] = [];
  private batchLen = 0;
  private pending: Promise<void> | undefined;
  written = 0;

  constructor(private readonly fh: FileHandle) {}

  async push(chunk: Buffer): Promise<void> {
    this.batch.push(chunk);
    this.batchLen += chunk.length;
    if (this.batchLen >= BATCH_BYTES) await this.flushBatch();
  }

  private async flushBatch(): Promise<void> {
    if (this.pending) await this.pending;
    if (this.batchLen === 0) return;
    const buf = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchLen);
    this.batch = [];
    this.batchLen = 0;
    const p = this.writeAll(buf);
    this.pending = p;
    p.catch(() => {});
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    try {
      while (off < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
        off += bytesWritten;
        this.written += bytesWritten;
      }
    } catch (err) {
      throw new WriteFailure(err);
    }
  }

  /** Write everything buffered; throws WriteFailure if any write failed. */
  async drain(): Promise<void> {
    await this.flushBatch();
    if (this.pending) await this.pending;
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

function newHasher(job: DownloadJob, etagPartSize: number): StreamHasher {
  const etag = expectedEtag(job);
  if (!etag) return new StreamHasher();
  return new StreamHasher({
    expected: etag,
    size: job.size ?? job.remote?.size,
    partSize: etagPartSize,
  });
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
      const verifiedBy = verifyHashes(job, hasher, total);
      if (o.fsync) {
        const fh = await open(job.partPath, "r+");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      if (signal.aborted) throw signal.reason; // paused/cancelled: the verified part stays a part
      await rename(job.partPath, job.destination);
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

/** ETag and size of the remote file via `GET` with `Range: bytes=0-0` (HEAD is not always allowed). */
async function probeRemote(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
): Promise<{ etag?: string; size?: number }> {
  const o = env.opts;
  const res = await openResponse({
    url: new URL(job.url),
    method: "GET",
    headersFor: o.headersFor,
    headers: { "user-agent": o.userAgent, range: "bytes=0-0", "accept-encoding": "identity" },
    dispatcher: o.dispatcher,
    signal,
    headersTimeout: o.headersTimeout,
    bodyTimeout: o.stallTimeout,
    maxRedirects: o.maxRedirects,
    secrets: env.secrets,
  });
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

/** Download into the part file until complete; returns the hasher over all its bytes. */
async function transfer(
  job: DownloadJob,
  env: RunnerEnv,
  signal: AbortSignal,
): Promise<{ hasher: StreamHasher; total: number | undefined }> {
  const o = env.opts;
  const part = job.partPath;
  let hasher!: StreamHasher;
  let total: number | undefined = job.size ?? job.remote?.size;

  // (Re)build the hasher from the bytes that are really in the part file.
  const resync = async () => {
    let have = (await fileSize(part)) ?? 0;
    if (total !== undefined && have > total) {
      await truncate(part, 0);
      job.remote = undefined;
      env.emitRestart(job, "part-larger-than-remote");
      have = 0;
    }
    hasher = newHasher(job, o.etagPartSize);
    if (have > 0) await hasher.updateFromFile(part, have, signal);
  };
  const restart = async (why: RestartInfo["reason"]) => {
    await truncate(part, 0).catch(() => {});
    job.remote = undefined;
    hasher = newHasher(job, o.etagPartSize);
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
    let fh: FileHandle | undefined;
    let res: OpenedResponse | undefined;
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
      res = await openResponse({
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
      });
      const remoteEtag = normalizeEtag(headerValue(res.headers.etag));
      const lastModified = headerValue(res.headers["last-modified"]);

      if (res.status === 416) {
        discard(res.body);
        const cr = parseContentRange(headerValue(res.headers["content-range"]));
        if (from > 0 && cr?.total === from) {
          total = from;
          return { hasher, total };
        }
        await restart("part-larger-than-remote");
        continue;
      }
      if (res.status !== 200 && res.status !== 206) {
        discard(res.body);
        const ra = parseRetryAfter(headerValue(res.headers["retry-after"]));
        throw new HTTPStatusError(res.status, res.url.href, ra);
      }
      if (res.status === 206) {
        const cr = parseContentRange(headerValue(res.headers["content-range"]));
        const changed =
          job.remote?.etag !== undefined &&
          remoteEtag !== undefined &&
          remoteEtag !== job.remote.etag;
        if (!cr || cr.start !== from || changed) {
          discard(res.body);
          await restart(changed ? "remote-changed" : "content-range-mismatch");
          continue;
        }
        if (cr.total !== undefined) total = cr.total;
      } else {
        if (from > 0) await restart(validator ? "remote-changed" : "range-ignored");
        const len = Number(headerValue(res.headers["content-length"]) ?? Number.NaN);
        total = Number.isFinite(len) ? len : job.size;
      }
      if (res.status === 200 || job.remote === undefined) {
        job.remote = {};
        if (remoteEtag) job.remote.etag = remoteEtag;
        if (lastModified) job.remote.lastModified = lastModified;
        if (total !== undefined) job.remote.size = total;
        if (hasher.bytes === 0) hasher = newHasher(job, o.etagPartSize); // now knows the ETag
        env.persist(job);
      }
      if (job.size === undefined && total !== undefined) job.size = total;

      fh = await open(part, "a");
      const writer = new BatchWriter(fh);
      let sinceDiskCheck = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          await env.limiter.take(chunk.length, signal);
          hasher.update(chunk);
          await writer.push(chunk);
          env.progress(job, hasher.bytes, total);
          sinceDiskCheck += chunk.length;
          if (sinceDiskCheck >= o.diskCheckIntervalBytes) {
            sinceDiskCheck = 0;
            const free = await o
              .freeSpace(path.dirname(part))
              .catch(() => Number.POSITIVE_INFINITY);
            if (free < o.reserveBytes) throw new DiskFull();
          }
          if (total !== undefined && hasher.bytes > total) {
            throw new NetworkError(`server sent more than ${total} bytes`, res.url.href);
          }
        }
      } catch (err) {
        discard(res.body);
        await writer.drain().catch(() => {});
        if (
          err instanceof DownloadError ||
          err instanceof WriteFailure ||
          err instanceof DiskFull
        ) {
          throw err;
        }
        throw mapNetworkError(err, res.url, {
          signal,
          headersTimeout: o.headersTimeout,
          bodyTimeout: o.stallTimeout,
        });
      }
      await writer.drain();
      if (total !== undefined && hasher.bytes < total) {
        throw new NetworkError(`body ended after ${hasher.bytes} of ${total} bytes`, res.url.href);
      }
      if (total === undefined) total = hasher.bytes;
      return { hasher, total };
    } catch (err0) {
      if (signal.aborted) throw signal.reason;
      let err = err0;
      if (err instanceof WriteFailure) err = err.original;
      if (err instanceof DiskFull || isDiskFull(err)) {
        // The part file holds a correct prefix; re-hash what is really there and wait for space.
        await fh?.close().catch(() => {});
        fh = undefined;
        await waitForDisk(
          job,
          env,
          total === undefined ? 1 : total - ((await fileSize(part)) ?? 0),
          signal,
        );
        await resync();
        continue;
      }
      if (err0 instanceof WriteFailure) {
        throw new DiskError(`cannot write ${part}`, err);
      }
      if (!(err instanceof DownloadError)) {
        throw (err as { code?: string } | null)?.code
          ? new DiskError(`file error on ${part}`, err)
          : err;
      }
      const mapped = err;
      if (!mapped.retryable || mapped instanceof RedirectError) throw mapped;
      if (hasher.bytes > before) failures = 0; // progress resets the budget
      failures++;
      if (failures > o.retry.limit) {
        mapped.attempts = attempt;
        throw mapped;
      }
      const backoff = Math.min(o.retry.maxDelayMs, o.retry.minDelayMs * 2 ** (failures - 1));
      const jittered = backoff * (0.5 + Math.random() * 0.5);
      const retryAfter = mapped instanceof HTTPStatusError ? mapped.retryAfterMs : undefined;
      const delay =
        retryAfter !== undefined ? Math.min(retryAfter, o.retry.maxRetryAfterMs) : jittered;
      env.emitRetry(job, attempt, delay, mapped);
      await sleep(delay, signal);
    } finally {
      await fh?.close().catch(() => {});
    }
  }
}
