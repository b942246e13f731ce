import type { Dispatcher } from "undici";
import { GIB } from "./checksum.js";
import { InvalidInputError } from "./errors.js";
import type { FreeSpaceProbe, HeadersFor } from "./types.js";
import { statfsFreeSpace } from "./util.js";

/** Retry policy for transfers. */
export interface RetryOptions {
  /**
   * Consecutive failed attempts before the job errors. An attempt that delivered at least
   * 256 KiB resets the count, so a long download over a flaky link keeps going.
   * @default 8
   */
  limit?: number;
  /** First backoff delay in ms (doubles per failure, with jitter). @default 500 */
  minDelayMs?: number;
  /** Largest backoff delay in ms. @default 30000 */
  maxDelayMs?: number;
  /** Cap for a server's Retry-After in ms. @default 300000 */
  maxRetryAfterMs?: number;
}

/** Options of {@link DownloadManager}. */
export interface DownloadManagerOptions {
  /** Folder for the queue state (one JSON file per job, mode 0600; created with mode 0700). */
  stateDir: string;
  /** Number of simultaneous transfers. @default 3 */
  concurrency?: number;
  /**
   * Request headers (e.g. `Authorization`) per URL, asked at request time and never persisted.
   * Only sent to the origin of the job's URL — never to another host after a redirect.
   */
  headersFor?: HeadersFor;
  /** Total bandwidth limit of all transfers in bytes/s; 0 = unlimited. @default 0 */
  bandwidthLimit?: number;
  /** Retry policy. */
  retry?: RetryOptions;
  /** Milliseconds to wait for response headers. @default 30000 */
  headersTimeout?: number;
  /** Milliseconds without a body byte before the transfer counts as stalled and is retried. @default 30000 */
  stallTimeout?: number;
  /** How often a checksum mismatch is answered by one more full download before erroring. @default 1 */
  checksumRetries?: number;
  /**
   * What to do when a different file already sits at the destination: download next to it as
   * `name (1).ext` (`"rename"`), replace it after verification (`"overwrite"`), or error.
   * @default "rename"
   */
  onConflict?: "rename" | "overwrite" | "error";
  /** Free-space probe (injectable for tests). @default statfs of the destination folder */
  freeSpace?: FreeSpaceProbe;
  /** Bytes to always leave free on the destination file system. @default 16777216 (16 MiB) */
  reserveBytes?: number;
  /** Milliseconds between free-space checks while waiting for disk. @default 5000 */
  diskPollIntervalMs?: number;
  /** Re-check free space after this many bytes during a transfer. @default 67108864 (64 MiB) */
  diskCheckIntervalBytes?: number;
  /** Part size for S3 multipart ETags. @default 1073741824 (1 GiB) */
  etagPartSize?: number;
  /** Redirects followed per request. @default 10 */
  maxRedirects?: number;
  /** undici dispatcher (Agent, ProxyAgent, MockAgent). @default undici's global dispatcher */
  dispatcher?: Dispatcher;
  /** User-Agent header. @default "dcor-download" */
  userAgent?: string;
  /** fsync the file before the final rename (durable across power loss). @default true */
  fsync?: boolean;
  /**
   * Compute the SHA-256 of files of 32 MiB and more on a worker thread that reads the part file
   * back (from the page cache), so receiving and hashing use two cores: ~20 % more throughput on
   * a fast link (benchmark: 893 vs 745 MB/s with `fsync: false`) for ~40 MB more peak memory
   * (still far below 150 MB). `false` hashes on the calling thread as the bytes arrive.
   * @default true
   */
  hashWorker?: boolean;
  /** Keep finished jobs in the state folder (else their state file is deleted). @default false */
  keepFinished?: boolean;
  /** Minimum milliseconds between `progress` events of one job. @default 250 */
  progressIntervalMs?: number;
}

/** @internal */
export interface ResolvedOptions {
  stateDir: string;
  concurrency: number;
  headersFor: HeadersFor | undefined;
  bandwidthLimit: number;
  retry: Required<RetryOptions>;
  headersTimeout: number;
  stallTimeout: number;
  checksumRetries: number;
  onConflict: "rename" | "overwrite" | "error";
  freeSpace: FreeSpaceProbe;
  reserveBytes: number;
  diskPollIntervalMs: number;
  diskCheckIntervalBytes: number;
  etagPartSize: number;
  maxRedirects: number;
  dispatcher: Dispatcher | undefined;
  userAgent: string;
  fsync: boolean;
  hashWorker: boolean;
  keepFinished: boolean;
  progressIntervalMs: number;
}

function num(name: string, v: number | undefined, def: number, min = 0): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || Number.isNaN(v) || v < min) {
    throw new InvalidInputError(`option ${name} must be a number >= ${min}`);
  }
  return v;
}

/** @internal */
export function resolveOptions(o: DownloadManagerOptions): ResolvedOptions {
  if (!o || typeof o.stateDir !== "string" || o.stateDir === "") {
    throw new InvalidInputError("stateDir is required");
  }
  const onConflict = o.onConflict ?? "rename";
  if (!["rename", "overwrite", "error"].includes(onConflict)) {
    throw new InvalidInputError(`invalid onConflict ${String(onConflict)}`);
  }
  return {
    stateDir: o.stateDir,
    concurrency: Math.floor(num("concurrency", o.concurrency, 3, 1)),
    headersFor: o.headersFor,
    bandwidthLimit: num("bandwidthLimit", o.bandwidthLimit, 0),
    retry: {
      limit: num("retry.limit", o.retry?.limit, 8),
      minDelayMs: num("retry.minDelayMs", o.retry?.minDelayMs, 500),
      maxDelayMs: num("retry.maxDelayMs", o.retry?.maxDelayMs, 30_000),
      maxRetryAfterMs: num("retry.maxRetryAfterMs", o.retry?.maxRetryAfterMs, 300_000),
    },
    headersTimeout: num("headersTimeout", o.headersTimeout, 30_000, 1),
    stallTimeout: num("stallTimeout", o.stallTimeout, 30_000, 1),
    checksumRetries: num("checksumRetries", o.checksumRetries, 1),
    onConflict,
    freeSpace: o.freeSpace ?? statfsFreeSpace,
    reserveBytes: num("reserveBytes", o.reserveBytes, 16 * 1024 * 1024),
    diskPollIntervalMs: num("diskPollIntervalMs", o.diskPollIntervalMs, 5000, 1),
    diskCheckIntervalBytes: num(
      "diskCheckIntervalBytes",
      o.diskCheckIntervalBytes,
      64 * 1024 * 1024,
      1,
    ),
    etagPartSize: num("etagPartSize", o.etagPartSize, GIB, 1),
    maxRedirects: num("maxRedirects", o.maxRedirects, 10),
    dispatcher: o.dispatcher,
    userAgent: o.userAgent ?? "dcor-download",
    fsync: o.fsync ?? true,
    hashWorker: o.hashWorker ?? true,
    keepFinished: o.keepFinished ?? false,
    progressIntervalMs: num("progressIntervalMs", o.progressIntervalMs, 250),
  };
}
