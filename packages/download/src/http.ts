import type { IncomingHttpHeaders } from "node:http";
import { Writable } from "node:stream";
import { type Dispatcher, getGlobalDispatcher, request, stream } from "undici";
import { DownloadError, NetworkError, RedirectError, StallError, TimeoutError } from "./errors.js";
import { REDIRECT_STATUSES, socketStream } from "./socket-stream.js";
import type { HeadersFor } from "./types.js";

/** One response of {@link openResponse}, after redirects were followed. */
export interface OpenedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData["body"];
  /** The URL that answered (after redirects). */
  url: URL;
}

export interface OpenRequest {
  url: URL;
  method: "GET" | "HEAD";
  headersFor: HeadersFor | undefined;
  /** Extra headers sent on every hop (Range, If-Range, User-Agent). Must not be secrets. */
  headers: Record<string, string>;
  dispatcher: Dispatcher | undefined;
  signal: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
  maxRedirects: number;
  /** Secrets seen (header values), collected for redaction. */
  secrets: Set<string>;
}

const RESERVED_HEADERS = new Set([
  "range",
  "if-range",
  "accept-encoding",
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
]);

/** Errors raised by a body sink on purpose; passed through unchanged by {@link streamResponse}. */
export class SinkError extends Error {}

/** Status, headers and URL of a response (after redirects). */
export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
  url: URL;
}

/** A Writable that throws nothing away loudly: it just drops what it gets. */
export function discardSink(): Writable {
  return new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
}

function authHeaders(req: OpenRequest, url: URL, origin: string): Record<string, string> {
  const headers: Record<string, string> = { ...req.headers };
  if (url.origin === origin && req.headersFor) {
    const auth = req.headersFor(url) ?? {};
    for (const [k, v] of Object.entries(auth)) {
      const name = k.toLowerCase();
      if (RESERVED_HEADERS.has(name)) continue; // the manager owns these (resume, framing)
      headers[name] = v;
      req.secrets.add(v);
      const bearer = /^(?:bearer|token|basic)\s+(.+)$/i.exec(v);
      if (bearer?.[1]) req.secrets.add(bearer[1]);
    }
  }
  return headers;
}

/** undici options of one hop: method, timeouts, signal and the headers this origin may get. */
function hopOptions(req: OpenRequest, url: URL, origin: string) {
  return {
    method: req.method,
    headers: authHeaders(req, url, origin),
    signal: req.signal,
    headersTimeout: req.headersTimeout,
    bodyTimeout: req.bodyTimeout,
    ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
  };
}

function nextHop(
  url: URL,
  status: number,
  location: string | undefined,
  hop: number,
  max: number,
): URL {
  if (!location) throw new RedirectError(`HTTP ${status} without Location`, url.href);
  if (hop >= max) throw new RedirectError("too many redirects", url.href);
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    throw new RedirectError("invalid redirect Location", url.href);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new RedirectError(`redirect to unsupported protocol ${next.protocol}`, url.href);
  }
  if (url.protocol === "https:" && next.protocol === "http:") {
    throw new RedirectError("refusing redirect from https to http", url.href);
  }
  return next;
}

/**
 * Whether a body may go through socket-stream.ts: not when the caller passed a dispatcher, nor
 * when the process-wide undici dispatcher was replaced by something other than a plain Agent
 * (a ProxyAgent, EnvHttpProxyAgent or MockAgent must see every request).
 */
function leanPathAllowed(req: OpenRequest): boolean {
  if (req.dispatcher) return false;
  return getGlobalDispatcher().constructor.name === "Agent";
}

/**
 * Like {@link openResponse} but streams the final body into the Writable that `sinkFor`
 * returns for the response head (undici's `stream()`, much faster than iterating a body).
 * Resolves with the head once the sink finished; rejects with a mapped network error, or with
 * the sink's own {@link SinkError}/DownloadError unchanged.
 */
export async function streamResponse(
  req: OpenRequest,
  sinkFor: (head: ResponseHead) => Writable,
): Promise<ResponseHead> {
  const origin = req.url.origin;
  let url = req.url;
  for (let hop = 0; ; hop++) {
    let head: ResponseHead | undefined;
    const factory = ({
      statusCode,
      headers,
    }: {
      statusCode: number;
      headers: IncomingHttpHeaders;
    }) => {
      head = { status: statusCode, headers, url };
      return REDIRECT_STATUSES.has(statusCode) ? discardSink() : sinkFor(head);
    };
    try {
      // The lean socket path unless the caller brought its own dispatcher (proxy, mock, pool);
      // responses it does not frame (chunked, no length) go through undici.
      const viaSocket = leanPathAllowed(req)
        ? await socketStream(url, hopOptions(req, url, origin), factory)
        : undefined;
      if (viaSocket?.kind !== "done") await stream(url, hopOptions(req, url, origin), factory);
    } catch (err) {
      if (req.signal.aborted) throw req.signal.reason;
      if (err instanceof SinkError || err instanceof DownloadError) throw err;
      throw mapNetworkError(err, url, req);
    }
    if (!head) throw new NetworkError("no response", url.href);
    if (!REDIRECT_STATUSES.has(head.status)) return head;
    url = nextHop(url, head.status, headerValue(head.headers.location), hop, req.maxRedirects);
  }
}

/**
 * GET/HEAD with manual redirects. Headers from `headersFor` are only attached when the hop's
 * origin equals the origin of the original URL, so a token for the CKAN site never reaches the
 * object store a download route redirects to, whatever `headersFor` returns.
 */
export async function openResponse(req: OpenRequest): Promise<OpenedResponse> {
  const origin = req.url.origin;
  let url = req.url;
  for (let hop = 0; ; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, hopOptions(req, url, origin));
    } catch (err) {
      throw mapNetworkError(err, url, req);
    }
    if (!REDIRECT_STATUSES.has(res.statusCode)) {
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    }
    discard(res.body);
    url = nextHop(url, res.statusCode, headerValue(res.headers.location), hop, req.maxRedirects);
  }
}

/** Map undici/socket errors to this package's retryable errors; aborts pass through. */
export function mapNetworkError(
  err: unknown,
  url: URL,
  t: { signal: AbortSignal; headersTimeout: number; bodyTimeout: number },
): unknown {
  if (t.signal.aborted) return t.signal.reason;
  const code = (err as { code?: string } | null)?.code;
  if (code === "UND_ERR_HEADERS_TIMEOUT") return new TimeoutError(url.href, t.headersTimeout, err);
  if (code === "UND_ERR_BODY_TIMEOUT") return new StallError(url.href, t.bodyTimeout, err);
  if (err instanceof Error && err.name === "AbortError") return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new NetworkError(code ? `${code}: ${msg}` : msg, url.href, err);
}

/** Drop a response body without an unhandled 'error' event. */
export function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

/** First value of a header. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Parse `Content-Range: bytes a-b/total` (total may be `*`); `bytes *\/total` for 416. */
export function parseContentRange(
  v: string | undefined,
): { start?: number; end?: number; total?: number } | undefined {
  if (!v) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(v);
  if (!m) return undefined;
  const out: { start?: number; end?: number; total?: number } = {};
  if (m[1] !== undefined && m[2] !== undefined) {
    out.start = Number(m[1]);
    out.end = Number(m[2]);
  }
  if (m[3] !== undefined && m[3] !== "*") out.total = Number(m[3]);
  return out;
}

/** Retry-After as milliseconds (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
