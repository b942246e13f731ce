/**
 * Error classes of `@dcor/download`. Every error has a stable `code`; URLs in messages and
 * fields are reduced to origin + path (no query string, no user info), so presigned signatures
 * or tokens in a URL never end up in a message, an event or the state file.
 */

/** Stable error codes of this package. */
export type DownloadErrorCode =
  | "DOWNLOAD_HTTP_STATUS"
  | "DOWNLOAD_NETWORK"
  | "DOWNLOAD_STALLED"
  | "DOWNLOAD_TIMEOUT"
  | "DOWNLOAD_REDIRECT"
  | "DOWNLOAD_CHECKSUM_MISMATCH"
  | "DOWNLOAD_SIZE_MISMATCH"
  | "DOWNLOAD_INVALID_INPUT"
  | "DOWNLOAD_INVALID_DESTINATION"
  | "DOWNLOAD_DESTINATION_EXISTS"
  | "DOWNLOAD_CANCELLED"
  | "DOWNLOAD_DISK"
  | "DOWNLOAD_STATE"
  | "DOWNLOAD_NOT_DC_RESOURCE"
  | "DOWNLOAD_UNKNOWN";

/** Context attached to a {@link DownloadError}. */
export interface DownloadErrorContext {
  /** The (redacted) URL involved. */
  url?: string;
  /** HTTP status, if the error came from a response. */
  status?: number;
  /** The job id, if known. */
  jobId?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error thrown or reported by this package. */
export class DownloadError extends Error {
  /** Stable machine-readable code. */
  readonly code: DownloadErrorCode;
  /** Redacted URL (origin + path). */
  readonly url?: string;
  /** HTTP status code, if any. */
  readonly status?: number;
  /** Job id, if any. */
  jobId?: string;
  /** Number of attempts made before giving up (set when retries were exhausted). */
  attempts?: number;
  /** Whether retrying the same request may help. */
  readonly retryable: boolean;

  constructor(
    code: DownloadErrorCode,
    message: string,
    context: DownloadErrorContext = {},
    retryable = false,
  ) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    if (context.url !== undefined) this.url = redactUrl(context.url);
    if (context.status !== undefined) this.status = context.status;
    if (context.jobId !== undefined) this.jobId = context.jobId;
    this.retryable = retryable;
  }
}

/** The server answered with an unexpected HTTP status. 5xx, 408 and 429 are retryable. */
export class HTTPStatusError extends DownloadError {
  /** Seconds the server asked us to wait (Retry-After), if given. */
  readonly retryAfterMs?: number;
  constructor(status: number, url: string, retryAfterMs?: number) {
    const retryable = status >= 500 || status === 408 || status === 429;
    super(
      "DOWNLOAD_HTTP_STATUS",
      `HTTP ${status} for ${redactUrl(url)}`,
      { status, url },
      retryable,
    );
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** The connection failed or was reset, or the body ended early. Retryable. */
export class NetworkError extends DownloadError {
  constructor(message: string, url: string, cause?: unknown) {
    super("DOWNLOAD_NETWORK", `${message} (${redactUrl(url)})`, { url, cause }, true);
  }
}

/** No body bytes arrived for longer than the stall timeout. Retryable. */
export class StallError extends DownloadError {
  constructor(url: string, ms: number, cause?: unknown) {
    super("DOWNLOAD_STALLED", `no data for ${ms} ms from ${redactUrl(url)}`, { url, cause }, true);
  }
}

/** The server did not answer (headers) in time. Retryable. */
export class TimeoutError extends DownloadError {
  constructor(url: string, ms: number, cause?: unknown) {
    super(
      "DOWNLOAD_TIMEOUT",
      `no response within ${ms} ms from ${redactUrl(url)}`,
      { url, cause },
      true,
    );
  }
}

/** Too many redirects, a redirect without Location, or an https → http downgrade. */
export class RedirectError extends DownloadError {
  constructor(message: string, url: string) {
    super("DOWNLOAD_REDIRECT", `${message} (${redactUrl(url)})`, { url });
  }
}

/** The downloaded bytes do not match the expected checksum. Carries both hashes. */
export class ChecksumMismatchError extends DownloadError {
  /** `"sha256"` or `"etag"` (S3 ETag: MD5 or multipart md5-of-md5s). */
  readonly algorithm: "sha256" | "etag";
  /** The expected value. */
  readonly expected: string;
  /** The value computed from the bytes. */
  readonly actual: string;
  constructor(algorithm: "sha256" | "etag", expected: string, actual: string, url?: string) {
    super(
      "DOWNLOAD_CHECKSUM_MISMATCH",
      `${algorithm} mismatch: expected ${expected}, got ${actual}`,
      url === undefined ? {} : { url },
    );
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The downloaded size differs from the expected size. */
export class SizeMismatchError extends DownloadError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, url?: string) {
    super(
      "DOWNLOAD_SIZE_MISMATCH",
      `size mismatch: expected ${expected} bytes, got ${actual}`,
      url === undefined ? {} : { url },
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** Invalid argument (bad URL, malformed sha256, unsafe job id, ...). */
export class InvalidInputError extends DownloadError {
  constructor(message: string) {
    super("DOWNLOAD_INVALID_INPUT", message);
  }
}

/** A destination that is unsafe or cannot be used. */
export class InvalidDestinationError extends DownloadError {
  constructor(message: string) {
    super("DOWNLOAD_INVALID_DESTINATION", message);
  }
}

/** The destination exists, differs, and `onConflict` is `"error"`. */
export class DestinationExistsError extends DownloadError {
  readonly destination: string;
  constructor(destination: string) {
    super("DOWNLOAD_DESTINATION_EXISTS", `a different file exists at ${destination}`);
    this.destination = destination;
  }
}

/** The job was cancelled. `job.done` rejects with this. */
export class CancelledError extends DownloadError {
  constructor(jobId: string) {
    super("DOWNLOAD_CANCELLED", `download ${jobId} was cancelled`, { jobId });
  }
}

/** A local file-system problem other than a full disk (which is waited out). */
export class DiskError extends DownloadError {
  constructor(message: string, cause?: unknown) {
    super("DOWNLOAD_DISK", message, { cause });
  }
}

/** A state file could not be read or written. */
export class StateFileError extends DownloadError {
  constructor(message: string, cause?: unknown) {
    super("DOWNLOAD_STATE", message, { cause });
  }
}

/** `condensed: true` was asked for a resource that is not an RT-DC file. */
export class NotDCResourceError extends DownloadError {
  constructor(resourceId: string) {
    super("DOWNLOAD_NOT_DC_RESOURCE", `resource ${resourceId} is not an RT-DC resource`);
  }
}

/**
 * Reduce a URL to origin + path, dropping user info, query and fragment (where presigned
 * signatures and `?apikey=` tokens live). Non-URLs are returned unchanged.
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(url);
  }
}

/** Replace every occurrence of each secret in `text` by `[redacted]`. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join("[redacted]");
  }
  return out;
}

/** JSON form of an error, as kept in the job and its state file. */
export interface ErrorReason {
  code: DownloadErrorCode;
  message: string;
  status?: number;
  expected?: string | number;
  actual?: string | number;
  attempts?: number;
}

/** Turn any error into a token-free {@link ErrorReason}. */
export function toReason(err: unknown, secrets: Iterable<string> = []): ErrorReason {
  const list = [...secrets];
  if (err instanceof DownloadError) {
    const r: ErrorReason = { code: err.code, message: redactSecrets(err.message, list) };
    if (err.status !== undefined) r.status = err.status;
    if (err instanceof ChecksumMismatchError || err instanceof SizeMismatchError) {
      r.expected = err.expected;
      r.actual = err.actual;
    }
    if (err.attempts !== undefined) r.attempts = err.attempts;
    return r;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "DOWNLOAD_UNKNOWN", message: redactSecrets(message, list) };
}

/** Rebuild an error object from a persisted {@link ErrorReason}. */
export function fromReason(reason: ErrorReason): DownloadError {
  if (reason.code === "DOWNLOAD_CHECKSUM_MISMATCH") {
    const alg = reason.message.startsWith("etag") ? "etag" : "sha256";
    return new ChecksumMismatchError(alg, String(reason.expected), String(reason.actual));
  }
  if (reason.code === "DOWNLOAD_SIZE_MISMATCH") {
    return new SizeMismatchError(Number(reason.expected), Number(reason.actual));
  }
  const e = new DownloadError(
    reason.code,
    reason.message,
    reason.status === undefined ? {} : { status: reason.status },
  );
  if (reason.attempts !== undefined) e.attempts = reason.attempts;
  return e;
}
