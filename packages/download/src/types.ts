import type { ErrorReason } from "./errors.js";

/**
 * Job life cycle: `queued → (waiting-for-disk) → transferring → verifying → done`, or the
 * end/hold states `error`, `paused`, `cancelled`.
 */
export type JobState =
  | "queued"
  | "waiting-for-disk"
  | "transferring"
  | "verifying"
  | "done"
  | "error"
  | "paused"
  | "cancelled";

/** States in which a job is not going anywhere by itself. */
export const SETTLED_STATES: ReadonlySet<JobState> = new Set([
  "done",
  "error",
  "paused",
  "cancelled",
]);

/** Payload of the `progress` event. */
export interface DownloadProgress {
  /** Bytes of the file present locally (including bytes from earlier sessions). */
  bytes: number;
  /** Total size in bytes, if known. */
  total: number | undefined;
  /** Current transfer rate in bytes per second (averaged over the last few seconds). */
  rate: number;
  /** Estimated seconds until the transfer is complete, if known. */
  eta: number | undefined;
}

/** Payload of the `state` event. */
export interface StateChange {
  state: JobState;
  previous: JobState;
  /** Why: for `error` the token-free error reason; for `waiting-for-disk` the free/needed bytes. */
  reason?: ErrorReason;
  /** Free and needed bytes when entering `waiting-for-disk`. */
  disk?: { free: number; needed: number };
}

/** Payload of the `retry` event: an attempt failed and another follows after `delayMs`. */
export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: ErrorReason;
}

/** Payload of the `restart` event: local bytes were discarded and the download starts over. */
export interface RestartInfo {
  reason:
    | "range-ignored"
    | "remote-changed"
    | "content-range-mismatch"
    | "part-larger-than-remote"
    | "checksum-mismatch";
}

/** How a finished file was verified. */
export type VerifiedBy = "sha256" | "etag" | "size" | "none";

/** What `job.done` resolves with. */
export interface DownloadResult {
  id: string;
  /** Final path of the verified file. */
  destination: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 (hex) of the file. */
  sha256: string;
  /** What the file was checked against: a known sha256, the S3 ETag, only the size, or nothing. */
  verifiedBy: VerifiedBy;
  /** Whether the file was already at its destination (verified, not downloaded again). */
  existed: boolean;
}

/** Events of a {@link DownloadJob}. */
export interface DownloadJobEvents {
  state: [StateChange];
  progress: [DownloadProgress];
  retry: [RetryInfo];
  restart: [RestartInfo];
  done: [DownloadResult];
}

/** Free bytes available to unprivileged users on the file system holding `directory`. */
export type FreeSpaceProbe = (directory: string) => Promise<number>;

/** Returns the request headers (e.g. `Authorization`) for a URL; called at request time. */
export type HeadersFor = (url: URL) => Record<string, string> | undefined;
