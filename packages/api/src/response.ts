/** Turning a raw HTTP response of the CKAN action API into a result or a typed error. */

import {
  APIAuthorizationError,
  APIBadRequestError,
  APIConflictError,
  APINotFoundError,
  APIRateLimitError,
  APIResponseError,
  APIServerError,
  APITimeoutError,
  type DCORError,
  type DCORErrorContext,
  type FieldErrors,
  ServerUnderMaintenanceError,
} from "./errors.js";

/** A complete (already read) response. */
export interface RawResponse {
  status: number;
  /** Lower-case header names, as undici gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body decoded as UTF-8. */
  text: string;
}

/** What a response is about; used for error context. */
export interface ResponseContext {
  action: string;
  /** Token-free URL of the request. */
  url: string;
  /** Removes secrets (the token) from text that goes into an error. */
  redact?: (text: string) => string;
  retryAfter?: number;
}

/** The result of interpreting a response. */
export type Interpreted = { ok: true; result: unknown } | { ok: false; error: DCORError };

const MAX_SNIPPET = 200;

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_SNIPPET ? `${flat.slice(0, MAX_SNIPPET)}…` : flat;
}

function headerValue(headers: RawResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Pull message and field errors out of CKAN's `error` object. */
function describeCkanError(error: unknown): {
  errorType?: string;
  message: string;
  fieldErrors: FieldErrors;
} {
  if (typeof error === "string") return { message: error, fieldErrors: {} };
  if (!isRecord(error)) return { message: "", fieldErrors: {} };
  const errorType = typeof error.__type === "string" ? error.__type : undefined;
  const fieldErrors: FieldErrors = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === "__type" || key === "message") continue;
    if (Array.isArray(value)) fieldErrors[key] = value.map((v) => String(v));
    else if (typeof value === "string") fieldErrors[key] = [value];
    else if (value !== null && value !== undefined) fieldErrors[key] = [JSON.stringify(value)];
  }
  let message = typeof error.message === "string" ? error.message : "";
  if (!message && Object.keys(fieldErrors).length > 0) {
    message = Object.entries(fieldErrors)
      .map(([key, msgs]) => `${key}: ${msgs.join("; ")}`)
      .join(", ");
  }
  const out: { errorType?: string; message: string; fieldErrors: FieldErrors } = {
    message,
    fieldErrors,
  };
  if (errorType !== undefined) out.errorType = errorType;
  return out;
}

/** Pick the error class for an HTTP status (and CKAN `__type` as a fallback). */
export function errorForStatus(
  status: number,
  message: string,
  context: DCORErrorContext & { fieldErrors?: FieldErrors },
): DCORError {
  if (status === 401 || status === 403) return new APIAuthorizationError(message, context);
  if (status === 404) return new APINotFoundError(message, context);
  if (status === 409) return new APIConflictError(message, context);
  if (status === 408) return new APITimeoutError(message, context);
  if (status === 429) return new APIRateLimitError(message, context);
  if (status === 503) return new ServerUnderMaintenanceError(message, context);
  if (status >= 500) return new APIServerError(message, context);
  if (status >= 400) return new APIBadRequestError(message, context);
  switch (context.errorType) {
    case "Authorization Error":
      return new APIAuthorizationError(message, context);
    case "Not Found Error":
      return new APINotFoundError(message, context);
    case "Validation Error":
    case "Search Error":
      return new APIConflictError(message, context);
    case "Integrity Error":
    case "Search Query Error":
      return new APIBadRequestError(message, context);
    default:
      return new APIResponseError(message, context);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Access denied",
  404: "Not found",
  408: "Request timeout",
  409: "Conflict",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable (server under maintenance?)",
  504: "Gateway timeout",
};

function where(action: string, status: number): string {
  return `(action '${action}', HTTP ${status})`;
}

/**
 * Interpret a complete response of `/api/3/action/<action>`:
 * - a CKAN envelope with `success: true` and a 2xx status → the `result`;
 * - HTTP 503 → {@link ServerUnderMaintenanceError} whatever the body (maintenance pages are HTML);
 * - a CKAN error envelope or a bare JSON string (`"Bad request: Action name not known: x"`) → the
 *   class for the status, with the server's message and field errors;
 * - an empty body → the class for the status;
 * - anything else (HTML from a proxy, truncated or non-envelope JSON) → {@link APIResponseError}.
 */
export function interpretResponse(response: RawResponse, ctx: ResponseContext): Interpreted {
  const redact = ctx.redact ?? ((t: string) => t);
  const { status } = response;
  const base: DCORErrorContext = { action: ctx.action, status, url: ctx.url };
  if (ctx.retryAfter !== undefined) base.retryAfter = ctx.retryAfter;
  const text = response.text;

  if (status === 503) {
    const serverMessage = isBlank(text) ? undefined : redact(snippet(text));
    const context = serverMessage === undefined ? base : { ...base, serverMessage };
    return {
      ok: false,
      error: new ServerUnderMaintenanceError(
        `The server is under maintenance or unavailable ${where(ctx.action, status)}`,
        context,
      ),
    };
  }

  if (isBlank(text)) {
    const statusText = STATUS_TEXT[status] ?? (status >= 400 ? "HTTP error" : "Empty response");
    if (status >= 200 && status < 300) {
      return {
        ok: false,
        error: new APIResponseError(`Empty response body ${where(ctx.action, status)}`, base),
      };
    }
    return {
      ok: false,
      error: errorForStatus(status, `${statusText} ${where(ctx.action, status)}`, base),
    };
  }

  let parsed: unknown;
  let parsedOk = false;
  const contentType = headerValue(response.headers, "content-type") ?? "";
  const looksHtml = /text\/html/i.test(contentType) || /^\s*</.test(text);
  if (!looksHtml) {
    try {
      parsed = JSON.parse(text);
      parsedOk = true;
    } catch {
      parsedOk = false;
    }
  }

  if (parsedOk && typeof parsed === "string") {
    // CKAN answers e.g. an unknown action with a bare JSON string instead of an envelope.
    const serverMessage = redact(parsed);
    const context = { ...base, serverMessage };
    const message = `${serverMessage} ${where(ctx.action, status)}`;
    if (/^bad request/i.test(parsed) || status === 400) {
      return { ok: false, error: new APIBadRequestError(message, context) };
    }
    if (status >= 400) return { ok: false, error: errorForStatus(status, message, context) };
    return {
      ok: false,
      error: new APIResponseError(`Not a CKAN envelope: ${message}`, context),
    };
  }

  if (parsedOk && isRecord(parsed) && typeof parsed.success === "boolean") {
    if (parsed.success === true && status >= 200 && status < 300) {
      if (!("result" in parsed)) {
        return {
          ok: false,
          error: new APIResponseError(`Envelope without result ${where(ctx.action, status)}`, base),
        };
      }
      return { ok: true, result: parsed.result };
    }
    const described = describeCkanError(parsed.error);
    const serverMessage = redact(described.message);
    const fieldErrors: FieldErrors = {};
    for (const [key, msgs] of Object.entries(described.fieldErrors)) {
      fieldErrors[key] = msgs.map(redact);
    }
    const context: DCORErrorContext & { fieldErrors: FieldErrors } = {
      ...base,
      serverMessage,
      fieldErrors,
    };
    if (described.errorType !== undefined) context.errorType = described.errorType;
    const prefix = described.errorType ? `${described.errorType}: ` : "";
    const shown = serverMessage || STATUS_TEXT[status] || "Unsuccessful request";
    return {
      ok: false,
      error: errorForStatus(status, `${prefix}${shown} ${where(ctx.action, status)}`, context),
    };
  }

  const kind = !parsedOk
    ? looksHtml
      ? "an HTML page"
      : "invalid or truncated JSON"
    : "JSON that is not a CKAN envelope";
  return {
    ok: false,
    error: new APIResponseError(
      `The server answered with ${kind} instead of a CKAN API response ${where(ctx.action, status)}`,
      { ...base, serverMessage: redact(snippet(text)) },
    ),
  };
}

/** Whether a body is empty or white space, without copying a large body as `trim()` would. */
function isBlank(text: string): boolean {
  return /^\s*$/.test(text);
}
