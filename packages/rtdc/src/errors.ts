/** Context attached to every {@link RtdcError}; never holds credentials. */
export interface RtdcErrorContext {
  /** Local path of the file involved. */
  path?: string;
  /** Remote URL involved, without its query string (presigned signatures are cut). */
  url?: string;
  /** Feature name involved. */
  feature?: string;
  /** HDF5 filter involved (name or id). */
  filter?: string;
  /** HTTP status, for remote errors. */
  status?: number;
  /** What was being done, e.g. `"open"`, `"read"`, `"write"`. */
  action?: string;
}

/** Base class of all errors of `@dcor/rtdc`; match on {@link RtdcError.code}. */
export class RtdcError extends Error {
  /** Stable machine-readable code, e.g. `RTDC_FORMAT`. */
  readonly code: string;
  /** Where it happened (path, token-free URL, feature, filter, status, action). */
  readonly context: RtdcErrorContext;
  constructor(
    code: string,
    message: string,
    context: RtdcErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RtdcError";
    this.code = code;
    this.context = context;
  }
}

/** The input is not an RT-DC/HDF5 file, or it is truncated or corrupt. Code `RTDC_FORMAT`. */
export class RtdcFormatError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_FORMAT", message, context, options);
    this.name = "RtdcFormatError";
  }
}

/** A feature is stored with an HDF5 filter that is not available here. Code `RTDC_FILTER_UNAVAILABLE`. */
export class RtdcFilterUnavailableError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_FILTER_UNAVAILABLE", message, context, options);
    this.name = "RtdcFilterUnavailableError";
  }
}

/** The feature is neither stored, nor in a basin, nor computable. Code `RTDC_FEATURE_UNAVAILABLE`. */
export class RtdcFeatureUnavailableError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_FEATURE_UNAVAILABLE", message, context, options);
    this.name = "RtdcFeatureUnavailableError";
  }
}

/** An HTTP range read failed (status, network, timeout). Code `RTDC_REMOTE`. */
export class RtdcRemoteError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_REMOTE", message, context, options);
    this.name = "RtdcRemoteError";
  }
}

/** The remote file changed (different ETag or size) while it was open. Code `RTDC_REMOTE_CHANGED`. */
export class RtdcRemoteChangedError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_REMOTE_CHANGED", message, context, options);
    this.name = "RtdcRemoteChangedError";
  }
}

/** The dataset was closed (or its worker was stopped). Code `RTDC_CLOSED`. */
export class RtdcClosedError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_CLOSED", message, context, options);
    this.name = "RtdcClosedError";
  }
}

/** Writing a file failed or the data to write is invalid. Code `RTDC_WRITE`. */
export class RtdcWriteError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_WRITE", message, context, options);
    this.name = "RtdcWriteError";
  }
}

/** A basin could not be resolved or does not match its referrer. Code `RTDC_BASIN`. */
export class RtdcBasinError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_BASIN", message, context, options);
    this.name = "RtdcBasinError";
  }
}

/** A worker call ran longer than its timeout. Code `RTDC_TIMEOUT`. */
export class RtdcTimeoutError extends RtdcError {
  constructor(message: string, context: RtdcErrorContext = {}, options?: { cause?: unknown }) {
    super("RTDC_TIMEOUT", message, context, options);
    this.name = "RtdcTimeoutError";
  }
}

const CLASSES: Record<string, new (m: string, c?: RtdcErrorContext) => RtdcError> = {
  RTDC_FORMAT: RtdcFormatError,
  RTDC_FILTER_UNAVAILABLE: RtdcFilterUnavailableError,
  RTDC_FEATURE_UNAVAILABLE: RtdcFeatureUnavailableError,
  RTDC_REMOTE: RtdcRemoteError,
  RTDC_REMOTE_CHANGED: RtdcRemoteChangedError,
  RTDC_CLOSED: RtdcClosedError,
  RTDC_WRITE: RtdcWriteError,
  RTDC_BASIN: RtdcBasinError,
  RTDC_TIMEOUT: RtdcTimeoutError,
};

/** A plain, structured-clone-safe form of an error, for crossing the worker boundary. */
export interface SerializedError {
  code: string;
  message: string;
  context: RtdcErrorContext;
  cause?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof RtdcError) {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    return {
      code: err.code,
      message: err.message,
      context: err.context,
      ...(cause ? { cause } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "RTDC_INTERNAL", message: message.slice(0, 500), context: {} };
}

export function deserializeError(s: SerializedError): RtdcError {
  const Cls = CLASSES[s.code];
  const err = Cls ? new Cls(s.message, s.context) : new RtdcError(s.code, s.message, s.context);
  if (s.cause)
    Object.defineProperty(err, "cause", { value: new Error(s.cause), enumerable: false });
  return err;
}

/** Cut the query string and fragment of a URL (presigned URLs carry signatures there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, "");
  }
}
