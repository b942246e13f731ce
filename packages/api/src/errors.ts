/**
 * Error classes of `@dcor/api`. Match on the stable `code` (a string literal per class) rather than
 * on `instanceof` when errors may cross package copies (e.g. two installed versions).
 *
 * No error ever holds the API token: messages are built from the action, status, token-free URL and
 * the server's message (with any occurrence of the token redacted by the client).
 */

/** Field errors of a CKAN `Validation Error` (HTTP 409), e.g. `{ authors: ["Missing value"] }`. */
export type FieldErrors = Record<string, string[]>;

/** Context every {@link DCORError} may carry. */
export interface DCORErrorContext {
  /** CKAN action name, e.g. `"package_show"`. */
  action?: string;
  /** HTTP status code of the (last) response, if there was one. */
  status?: number;
  /** Request URL (never contains the token; the token travels in a header only). */
  url?: string;
  /** The server's own message (`error.message` of the CKAN envelope or the bare string body). */
  serverMessage?: string;
  /** CKAN's `error.__type`, e.g. `"Not Found Error"`. */
  errorType?: string;
  /** Milliseconds the server asked us to wait (from `Retry-After`). */
  retryAfter?: number;
  /** Number of attempts made before this error was thrown. */
  attempts?: number;
  /** The underlying error (e.g. an undici error for connection failures). */
  cause?: unknown;
}

/** Stable codes of all errors thrown by `@dcor/api`. */
export type DCORErrorCode =
  | "DCOR_ERROR"
  | "DCOR_AUTHORIZATION"
  | "DCOR_NOT_FOUND"
  | "DCOR_CONFLICT"
  | "DCOR_BAD_REQUEST"
  | "DCOR_RATE_LIMITED"
  | "DCOR_MAINTENANCE"
  | "DCOR_SERVER_ERROR"
  | "DCOR_TIMEOUT"
  | "DCOR_CONNECTION"
  | "DCOR_BAD_RESPONSE"
  | "DCOR_NO_API_KEY";

/** Base class of every error thrown by `@dcor/api`. */
export class DCORError extends Error {
  /** Stable machine-readable code; see {@link DCORErrorCode}. */
  readonly code: DCORErrorCode = "DCOR_ERROR";
  readonly action: string | undefined;
  readonly status: number | undefined;
  readonly url: string | undefined;
  readonly serverMessage: string | undefined;
  readonly errorType: string | undefined;
  readonly retryAfter: number | undefined;
  attempts: number | undefined;

  constructor(message: string, context: DCORErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.action = context.action;
    this.status = context.status;
    this.url = context.url;
    this.serverMessage = context.serverMessage;
    this.errorType = context.errorType;
    this.retryAfter = context.retryAfter;
    this.attempts = context.attempts;
  }

  /** A plain, token-free object for logs and JSON. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    for (const key of [
      "action",
      "status",
      "url",
      "serverMessage",
      "errorType",
      "retryAfter",
      "attempts",
    ] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}

/** HTTP 401/403: access denied (no, a wrong or an insufficient API token). */
export class APIAuthorizationError extends DCORError {
  override readonly code = "DCOR_AUTHORIZATION" as const;
}

/** HTTP 404: the dataset, resource, circle, … does not exist (or you may not know it exists). */
export class APINotFoundError extends DCORError {
  override readonly code = "DCOR_NOT_FOUND" as const;
}

/** HTTP 409: CKAN `Validation Error`; {@link APIConflictError.fieldErrors} says what is wrong. */
export class APIConflictError extends DCORError {
  override readonly code = "DCOR_CONFLICT" as const;
  /** Field errors of the validation, `{}` if the server sent a plain message. */
  readonly fieldErrors: FieldErrors;
  constructor(message: string, context: DCORErrorContext & { fieldErrors?: FieldErrors } = {}) {
    super(message, context);
    this.fieldErrors = context.fieldErrors ?? {};
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), fieldErrors: this.fieldErrors };
  }
}

/**
 * HTTP 400 (and other 4xx without a class of their own): e.g. the bare-string body
 * `"Bad request: Action name not known: site_read"` or a GET of a POST-only action.
 */
export class APIBadRequestError extends DCORError {
  override readonly code = "DCOR_BAD_REQUEST" as const;
}

/** HTTP 429 after all retries: the server keeps asking us to slow down. */
export class APIRateLimitError extends DCORError {
  override readonly code = "DCOR_RATE_LIMITED" as const;
}

/** HTTP 503: the server is under maintenance (after all retries). */
export class ServerUnderMaintenanceError extends DCORError {
  override readonly code = "DCOR_MAINTENANCE" as const;
}

/** HTTP 5xx other than 503 (after all retries). */
export class APIServerError extends DCORError {
  override readonly code = "DCOR_SERVER_ERROR" as const;
}

/** The attempt (`timeout`) or the whole call (`totalTimeout`) took too long, or HTTP 408. */
export class APITimeoutError extends DCORError {
  override readonly code = "DCOR_TIMEOUT" as const;
}

/** The connection failed (refused, reset, DNS, TLS, …); `cause` holds the undici error. */
export class APIConnectionError extends DCORError {
  override readonly code = "DCOR_CONNECTION" as const;
}

/**
 * The response is not a CKAN API answer: an HTML page from a proxy, truncated or non-envelope
 * JSON, too many redirects or a body above `maxResponseBytes`.
 */
export class APIResponseError extends DCORError {
  override readonly code = "DCOR_BAD_RESPONSE" as const;
}

/** The operation needs an API token but the client has none. */
export class NoAPIKeyError extends DCORError {
  override readonly code = "DCOR_NO_API_KEY" as const;
}

const CODES: ReadonlySet<string> = new Set<DCORErrorCode>([
  "DCOR_ERROR",
  "DCOR_AUTHORIZATION",
  "DCOR_NOT_FOUND",
  "DCOR_CONFLICT",
  "DCOR_BAD_REQUEST",
  "DCOR_RATE_LIMITED",
  "DCOR_MAINTENANCE",
  "DCOR_SERVER_ERROR",
  "DCOR_TIMEOUT",
  "DCOR_CONNECTION",
  "DCOR_BAD_RESPONSE",
  "DCOR_NO_API_KEY",
]);

/**
 * Whether `value` is an error of `@dcor/api` (optionally with this `code`). Works across copies of
 * the package, where `instanceof` does not.
 */
export function isDCORError(value: unknown, code?: DCORErrorCode): value is DCORError {
  if (!(value instanceof Error)) return false;
  const actual = (value as { code?: unknown }).code;
  return typeof actual === "string" && CODES.has(actual) && (code === undefined || actual === code);
}
