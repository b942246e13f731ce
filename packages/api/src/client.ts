/** `CKANAPI`: the client of the CKAN/DCOR action API. */

import { pipeline, type Transform } from "node:stream";
import { debuglog, inspect } from "node:util";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { type Dispatcher, getGlobalDispatcher, request } from "undici";
import { type CacheOptions, ResponseCache } from "./cache.js";
import {
  APIAuthorizationError,
  APIConnectionError,
  APINotFoundError,
  APIResponseError,
  APITimeoutError,
  DCORError,
  NoAPIKeyError,
} from "./errors.js";
import { assertActionName, encodeParams, normalizeServer, type Params } from "./params.js";
import { interpretResponse, type RawResponse } from "./response.js";
import {
  computeBackoff,
  DEFAULT_RETRY,
  parseRetryAfter,
  type ResolvedRetry,
  type RetryOptions,
  resolveRetry,
} from "./retry.js";
import type { ActionParams, ActionResults, DCServQuery, DCServResults, User } from "./types.js";

/** The parameters of `action`: its known ones (for autocompletion) plus any other. */
export type ParamsFor<A extends string> = A extends keyof ActionParams
  ? ActionParams[A] & Params
  : Params;

import { VERSION } from "./version.js";

/** Options of {@link CKANAPI}. */
export interface CKANAPIOptions {
  /**
   * The DCOR/CKAN server: a bare host (`"dcor.mpl.mpg.de"`, gets `https://`), a URL
   * (`"http://127.0.0.1:5000"`, kept as given) or the full API URL (`".../api/3/action/"`).
   */
  server: string;
  /**
   * API token, sent raw in the `Authorization` header to this server's origin only. Surrounding
   * whitespace is removed; an empty string means anonymous.
   * @default undefined (anonymous: public data only)
   */
  apiKey?: string | undefined;
  /**
   * Time limit in ms for one attempt (connect, headers and the whole body). `Infinity` disables it.
   * @default 30_000
   */
  timeout?: number;
  /**
   * Time limit in ms for a whole call including all retries and waits. `Infinity` disables it.
   * @default 120_000
   */
  totalTimeout?: number;
  /**
   * Retry policy (see {@link RetryOptions}); a number sets the retry limit, `false` disables
   * retries.
   * @default { limit: 3, methods: ["GET"], statusCodes: [408, 429, 502, 503, 504], baseDelay: 500, maxDelay: 10_000, jitter: true, maxRetryAfter: 60_000 }
   */
  retry?: RetryOptions | number | boolean;
  /**
   * The `User-Agent` header.
   * @default `dcor-api/<version> (@dcor/api; Node.js <version>)`
   */
  userAgent?: string;
  /**
   * The undici Dispatcher for all requests: a `ProxyAgent`/`EnvHttpProxyAgent` for proxies, an
   * `Agent` with custom TLS options (own CA, pinning) or a `MockAgent` for tests.
   * @default undici's global dispatcher (`getGlobalDispatcher()`)
   */
  dispatcher?: Dispatcher;
  /**
   * Opt-in in-memory cache of GET responses with per-action lifetimes (`true` for the defaults of
   * {@link DEFAULT_CACHE_TTL}, or {@link CacheOptions}). `package_show`/`resource_show` are never
   * cached by default. Identical cacheable GETs in flight at the same time share one request.
   * @default false
   */
  cache?: boolean | CacheOptions;
  /**
   * Largest accepted response body in bytes; larger ones fail with {@link APIResponseError}.
   * @default 67_108_864 (64 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Redirects followed per attempt. The token is sent again only if the target has the server's
   * origin; POSTs follow only 307/308.
   * @default 5
   */
  maxRedirects?: number;
  /**
   * Called before each retry (after the failed attempt, before the wait), e.g. to show
   * "retrying…" in a UI or to log. Exceptions it throws are ignored.
   * @default undefined
   */
  onRetry?: ((state: RetryState) => void) | undefined;
}

/** What {@link CKANAPIOptions.onRetry} is told (token-free). */
export interface RetryState {
  action: string;
  method: "GET" | "POST";
  /** Token-free request URL. */
  url: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** Why it failed. */
  error: DCORError;
  /** The wait in ms before the next attempt (backoff, or the capped `Retry-After`). */
  delay: number;
}

/** Per-call options of {@link CKANAPI.get} and friends; they override the client's options. */
export interface CallOptions {
  /** Abort the call; it then rejects promptly with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Per-attempt time limit in ms. @default the client's `timeout` */
  timeout?: number | undefined;
  /** Time limit for the whole call in ms. @default the client's `totalTimeout` */
  totalTimeout?: number | undefined;
  /** Retry policy for this call, merged over the client's. @default the client's `retry` */
  retry?: RetryOptions | number | boolean | undefined;
}

/** Per-call options of {@link CKANAPI.get}. */
export interface GetOptions extends CallOptions {
  /** `false` bypasses the response cache (if the client has one) for this call. @default true */
  cache?: boolean | undefined;
}

/** Per-call options of {@link CKANAPI.post}. */
export interface PostOptions extends CallOptions {
  /**
   * The action has no side effects beyond its first success (e.g. a search sent by POST), so it
   * may be retried like a GET.
   * @default false
   */
  idempotent?: boolean | undefined;
}

/** Options of {@link CKANAPI.isAvailable}. */
export interface AvailabilityOptions {
  signal?: AbortSignal | undefined;
  /** Time limit in ms. @default min(client timeout, 10_000) */
  timeout?: number | undefined;
  /** Also require the API token to be valid (`user_show` works). @default false */
  withApiKey?: boolean | undefined;
  /**
   * Also require a CKAN version of at least {@link MIN_CKAN_VERSION} (like DCOR-Aid); a server
   * that hides its version passes.
   * @default false
   */
  withCorrectVersion?: boolean | undefined;
}

/** The oldest CKAN version the DCOR tools support (as in DCOR-Aid). */
export const MIN_CKAN_VERSION = "2.9.4";

/**
 * Compare dotted version strings numerically (`"2.10.1" > "2.9.4"`); suffixes such as `a0` or
 * `rc1` count as lower than the plain release. Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) =>
    v
      .trim()
      .split(".")
      .map((part) => {
        const m = /^(\d+)(.*)$/.exec(part);
        return m ? { n: Number(m[1]), pre: m[2] !== "" } : { n: 0, pre: true };
      });
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? { n: 0, pre: false };
    const y = pb[i] ?? { n: 0, pre: false };
    if (x.n !== y.n) return x.n - y.n;
    if (x.pre !== y.pre) return x.pre ? -1 : 1;
  }
  return 0;
}

/** `NODE_DEBUG=dcor-api` logs requests and retries (token-free URLs only). */
const debug = debuglog("dcor-api");

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_TOTAL_TIMEOUT = 120_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 5;
const REDACTED = "[REDACTED]";
/** Content encodings we ask for and decode (JSON listings compress about tenfold). */
const ACCEPT_ENCODING = "gzip, deflate, br";
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  "x-gzip": createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

function checkDuration(name: string, value: number): number {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of ms (or Infinity), got ${value}`);
  }
  return value;
}

function startTimer(ms: number, onTimeout: () => void): NodeJS.Timeout | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const timer = setTimeout(onTimeout, ms);
  timer.unref();
  return timer;
}

/** Wait `ms`, or reject with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A cacheable GET in flight, shared by identical concurrent calls. */
interface SharedRequest {
  controller: AbortController;
  promise: Promise<string>;
  waiters: number;
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Client of the CKAN/DCOR action API (`/api/3/action/<name>`), on undici.
 *
 * @example
 * ```ts
 * const api = new CKANAPI({ server: "dcor.mpl.mpg.de", apiKey: process.env.DCOR_API_KEY });
 * const ds = await api.get("package_show", { id: "figshare-7771184-v2" });
 * ```
 */
export class CKANAPI {
  /** Normalized server, e.g. `"https://dcor.mpl.mpg.de"`. */
  readonly server: string;
  /** Action API base, e.g. `"https://dcor.mpl.mpg.de/api/3/action/"`. */
  readonly apiUrl: string;
  /** The origin the token is sent to (and only to). */
  readonly origin: string;
  /** The `User-Agent` sent with every request. */
  readonly userAgent: string;

  readonly #apiKey: string | undefined;
  readonly #timeout: number;
  readonly #totalTimeout: number;
  readonly #retry: ResolvedRetry;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #cache: ResponseCache | undefined;
  readonly #maxResponseBytes: number;
  readonly #maxRedirects: number;
  readonly #onRetry: ((state: RetryState) => void) | undefined;
  readonly #inflight = new Map<string, SharedRequest>();

  constructor(options: CKANAPIOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("CKANAPI needs an options object, e.g. { server: 'dcor.mpl.mpg.de' }");
    }
    const { server, apiUrl, origin } = normalizeServer(options.server);
    this.server = server;
    this.apiUrl = apiUrl;
    this.origin = origin;
    if (options.apiKey !== undefined && typeof options.apiKey !== "string") {
      throw new TypeError("apiKey must be a string");
    }
    const key = options.apiKey?.trim();
    if (key && /[\r\n\0]/.test(key)) throw new TypeError("apiKey contains invalid characters");
    this.#apiKey = key ? key : undefined;
    this.#timeout = checkDuration("timeout", options.timeout ?? DEFAULT_TIMEOUT);
    this.#totalTimeout = checkDuration(
      "totalTimeout",
      options.totalTimeout ?? DEFAULT_TOTAL_TIMEOUT,
    );
    this.#retry = resolveRetry(DEFAULT_RETRY, options.retry);
    this.userAgent =
      options.userAgent ?? `dcor-api/${VERSION} (@dcor/api; Node.js ${process.version})`;
    this.#dispatcher = options.dispatcher;
    this.#cache =
      options.cache === true
        ? new ResponseCache()
        : options.cache
          ? new ResponseCache(options.cache)
          : undefined;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (typeof this.#maxResponseBytes !== "number" || !(this.#maxResponseBytes > 0)) {
      throw new RangeError(`maxResponseBytes must be a positive number of bytes`);
    }
    this.#onRetry = options.onRetry;
    this.#maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (!Number.isInteger(this.#maxRedirects) || this.#maxRedirects < 0) {
      throw new RangeError("maxRedirects must be a non-negative integer");
    }
  }

  /** Whether the client has an API token. */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /**
   * Headers to authenticate a request to `url`: `{ Authorization: <token> }` if the client has a
   * token and `url` has the server's origin, else `{}`. Use it for downloads so that the token
   * never goes to the object store or any other host.
   */
  authHeadersFor(url: string | URL): Record<string, string> {
    if (this.#apiKey === undefined) return {};
    let target: URL;
    try {
      target = typeof url === "string" ? new URL(url, this.apiUrl) : url;
    } catch {
      return {};
    }
    return target.origin === this.origin ? { Authorization: this.#apiKey } : {};
  }

  /** `${server}/dataset/<ds>/resource/<rid>/download/<name>` (302 to the object store). */
  resourceDownloadUrl(datasetId: string, resourceId: string, name: string): string {
    return (
      `${this.server}/dataset/${encodeURIComponent(datasetId)}` +
      `/resource/${encodeURIComponent(resourceId)}/download/${encodeURIComponent(name)}`
    );
  }

  /** `${server}/dataset/<ds>/resource/<rid>/condensed.rtdc` (302 to the object store). */
  condensedDownloadUrl(datasetId: string, resourceId: string): string {
    return (
      `${this.server}/dataset/${encodeURIComponent(datasetId)}` +
      `/resource/${encodeURIComponent(resourceId)}/condensed.rtdc`
    );
  }

  /** `${apiUrl}dcserv?id=<rid>` (append `&query=…&version=2`). */
  dcservUrl(resourceId: string): string {
    return `${this.apiUrl}dcserv?id=${encodeURIComponent(resourceId)}`;
  }

  /** `${server}/dataset/<name or id>`: the dataset's web page. */
  datasetPageUrl(nameOrId: string): string {
    return `${this.server}/dataset/${encodeURIComponent(nameOrId)}`;
  }

  /**
   * Call a read action by GET and return its `result`.
   *
   * @param action - e.g. `"package_show"`.
   * @param params - query parameters; see {@link encodeParams} for how values are encoded.
   * @throws {@link DCORError} subclasses; the caller's abort rejects with `signal.reason`.
   */
  get<A extends keyof ActionResults>(
    action: A,
    params?: ParamsFor<A>,
    options?: GetOptions,
  ): Promise<ActionResults[A]>;
  get<T = unknown, A extends string = string>(
    action: A,
    params?: ParamsFor<A>,
    options?: GetOptions,
  ): Promise<T>;
  async get(action: string, params?: Params, options: GetOptions = {}): Promise<unknown> {
    // Inside the async function, so that bad parameters reject rather than throw synchronously.
    return this.#call("GET", action, encodeParams(params), undefined, options, false);
  }

  /**
   * Call an action by POST with a JSON body and return its `result`. Not retried unless
   * `idempotent: true`.
   */
  post<A extends keyof ActionResults>(
    action: A,
    body?: object,
    options?: PostOptions,
  ): Promise<ActionResults[A]>;
  post<T = unknown>(action: string, body?: object, options?: PostOptions): Promise<T>;
  post(action: string, body: object = {}, options: PostOptions = {}): Promise<unknown> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Promise.reject(new TypeError("post() body must be a JSON object"));
    }
    let json: string;
    try {
      json = JSON.stringify(body);
    } catch (error) {
      return Promise.reject(new TypeError(`post() body is not JSON-serializable: ${error}`));
    }
    return this.#call("POST", action, "", json, options, options.idempotent === true);
  }

  /**
   * Call a dc_serve `dcserv` query (`dcserv?id=<rid>&query=<q>&version=2`).
   *
   * @example `const basins = await api.dcserv(resourceId, "basins");`
   */
  dcserv<Q extends DCServQuery>(
    resourceId: string,
    query: Q,
    options?: GetOptions,
  ): Promise<DCServResults[Q]>;
  dcserv<T = unknown>(resourceId: string, query: string, options?: GetOptions): Promise<T>;
  dcserv(resourceId: string, query: string, options: GetOptions = {}): Promise<unknown> {
    return this.get("dcserv", { id: resourceId, query, version: 2 }, options);
  }

  /**
   * The token's user (`user_show` without `id`).
   *
   * @throws {@link NoAPIKeyError} without a token; {@link APIAuthorizationError} if the server does
   * not accept the token (CKAN treats it as anonymous: 403; CKAN 2.10.1–2.10.2 answer 404).
   */
  async getUserDict(options: GetOptions = {}): Promise<User> {
    if (this.#apiKey === undefined) {
      throw new NoAPIKeyError(
        "getUserDict() needs an API token (apiKey); the client is anonymous",
        {
          action: "user_show",
        },
      );
    }
    try {
      return await this.get("user_show", {}, options);
    } catch (error) {
      if (error instanceof APINotFoundError || error instanceof APIAuthorizationError) {
        const context = {
          action: "user_show",
          ...(error.status === undefined ? {} : { status: error.status }),
          ...(error.url === undefined ? {} : { url: error.url }),
          ...(error.serverMessage === undefined ? {} : { serverMessage: error.serverMessage }),
          cause: error,
        };
        throw new APIAuthorizationError(
          `The server did not accept the API token (user_show answered HTTP ${error.status})`,
          context,
        );
      }
      throw error;
    }
  }

  /**
   * Whether the server answers `status_show` (with `withApiKey` also: accepts the token; with
   * `withCorrectVersion`: runs CKAN ≥ {@link MIN_CKAN_VERSION}). Never
   * throws on network or server failure; rejects only when `signal` aborts.
   */
  async isAvailable(options: AvailabilityOptions = {}): Promise<boolean> {
    const timeout = options.timeout ?? Math.min(this.#timeout, 10_000);
    const call: GetOptions = {
      signal: options.signal,
      timeout,
      totalTimeout: timeout,
      retry: false,
    };
    try {
      const status = await this.get("status_show", {}, { ...call, cache: false });
      if (typeof status !== "object" || status === null) return false;
      if (
        options.withCorrectVersion &&
        typeof status.ckan_version === "string" &&
        compareVersions(status.ckan_version, MIN_CKAN_VERSION) < 0
      ) {
        return false;
      }
      if (options.withApiKey) await this.getUserDict(call);
      return true;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof DCORError) return false;
      throw error;
    }
  }

  /** Drop all cached responses (no-op without a cache). */
  clearCache(): void {
    this.#cache?.clear();
  }

  /** A token-free summary. */
  toJSON(): { server: string; apiUrl: string; hasApiKey: boolean } {
    return { server: this.server, apiUrl: this.apiUrl, hasApiKey: this.hasApiKey };
  }

  toString(): string {
    return `CKANAPI(${this.server}${this.hasApiKey ? ", with API token" : ""})`;
  }

  /** `util.inspect`/`console.log` show the token-free summary only. */
  [inspect.custom](_depth: number, options: object): string {
    return `CKANAPI ${inspect(this.toJSON(), options)}`;
  }

  /** Replace every occurrence of the token in text that goes into errors. */
  #redact = (text: string): string => {
    const key = this.#apiKey;
    return key && text.includes(key) ? text.split(key).join(REDACTED) : text;
  };

  async #call(
    method: "GET" | "POST",
    action: string,
    query: string,
    body: string | undefined,
    options: GetOptions & PostOptions,
    idempotent: boolean,
  ): Promise<unknown> {
    assertActionName(action);
    const url = `${this.apiUrl}${action}${query ? `?${query}` : ""}`;
    const cache =
      method === "GET" && options.cache !== false && this.#cache && this.#cache.ttlFor(action) > 0
        ? this.#cache
        : undefined;
    if (!cache) {
      return (await this.#send(method, action, url, body, options, idempotent)).result;
    }
    const hit = cache.get(url);
    if (hit !== undefined) return (JSON.parse(hit) as { result: unknown }).result;
    options.signal?.throwIfAborted();
    // Identical cacheable GETs in flight share one request (the first caller's options apply).
    let shared = this.#inflight.get(url);
    if (!shared) {
      const controller = new AbortController();
      const promise = this.#send(
        method,
        action,
        url,
        body,
        { ...options, signal: controller.signal },
        idempotent,
      )
        .then(({ text }) => {
          cache.set(url, action, text);
          return text;
        })
        .finally(() => {
          if (this.#inflight.get(url) === entry) this.#inflight.delete(url);
        });
      // Waiters handle the outcome; this keeps an all-waiters-aborted request from being unhandled.
      promise.catch(() => undefined);
      const entry: SharedRequest = { controller, promise, waiters: 0 };
      shared = entry;
      this.#inflight.set(url, entry);
    }
    return this.#join(url, shared, options.signal);
  }

  /** Wait for a shared request; abort it once every waiter has given up. */
  #join(url: string, shared: SharedRequest, signal: AbortSignal | undefined): Promise<unknown> {
    shared.waiters++;
    // Listen on a derived signal: many waiters on one caller signal would otherwise trip Node's
    // MaxListenersExceededWarning (AbortSignal.any does not add listeners to its sources).
    const watch = signal ? AbortSignal.any([signal]) : undefined;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        shared.waiters--;
        if (shared.waiters === 0) {
          if (this.#inflight.get(url) === shared) this.#inflight.delete(url);
          shared.controller.abort(signal?.reason);
        }
        reject(signal?.reason);
      };
      watch?.addEventListener("abort", onAbort, { once: true });
      shared.promise.then(
        (text) => {
          watch?.removeEventListener("abort", onAbort);
          // Parsed per waiter, so that no two callers share (and mutate) one object.
          resolve((JSON.parse(text) as { result: unknown }).result);
        },
        (error: unknown) => {
          watch?.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  /** The retry loop of one call; resolves to the result and the raw body. */
  async #send(
    method: "GET" | "POST",
    action: string,
    url: string,
    body: string | undefined,
    options: GetOptions & PostOptions,
    idempotent: boolean,
  ): Promise<{ result: unknown; text: string }> {
    const safeUrl = this.#redact(url);
    const policy = resolveRetry(this.#retry, options.retry);
    if (!idempotent && !policy.methods.includes(method)) policy.limit = 0;
    const timeout = checkDuration("timeout", options.timeout ?? this.#timeout);
    const totalTimeout = checkDuration("totalTimeout", options.totalTimeout ?? this.#totalTimeout);
    const callerSignal = options.signal;
    callerSignal?.throwIfAborted();

    const context = { action, url: safeUrl };
    const deadline = performance.now() + totalTimeout;
    const total = new AbortController();
    const totalTimer = startTimer(totalTimeout, () =>
      total.abort(
        new APITimeoutError(`No answer within the total timeout of ${totalTimeout} ms`, context),
      ),
    );
    const callSignal = callerSignal ? AbortSignal.any([callerSignal, total.signal]) : total.signal;

    try {
      for (let attempt = 1; ; attempt++) {
        const attemptController = new AbortController();
        const attemptTimer = startTimer(timeout, () =>
          attemptController.abort(
            new APITimeoutError(`No complete answer within ${timeout} ms`, context),
          ),
        );
        const signal = AbortSignal.any([callSignal, attemptController.signal]);
        let error: DCORError;
        try {
          const response = await this.#fetch(method, url, body, signal, context);
          const retryAfter = parseRetryAfter(response.headers["retry-after"]);
          const interpreted = interpretResponse(response, {
            ...context,
            redact: this.#redact,
            ...(retryAfter === undefined ? {} : { retryAfter }),
          });
          debug("%s %s -> %d (attempt %d)", method, safeUrl, response.status, attempt);
          if (interpreted.ok) return { result: interpreted.result, text: response.text };
          error = interpreted.error;
        } catch (thrown) {
          if (callerSignal?.aborted) throw callerSignal.reason;
          if (total.signal.aborted) {
            throw new APITimeoutError(
              `No answer within the total timeout of ${totalTimeout} ms (${attempt} attempt(s))`,
              { ...context, attempts: attempt, cause: thrown },
            );
          }
          if (attemptController.signal.aborted) {
            error = new APITimeoutError(
              `No complete answer within ${timeout} ms (attempt ${attempt})`,
              context,
            );
          } else if (thrown instanceof DCORError) {
            error = thrown;
          } else {
            error = new APIConnectionError(
              `Could not talk to ${this.origin}: ${this.#redact(describeCause(thrown))}`,
              { ...context, cause: thrown },
            );
          }
        } finally {
          clearTimeout(attemptTimer);
        }
        error.attempts = attempt;
        if (attempt > policy.limit || !isRetryable(error, policy)) throw error;
        const backoff = computeBackoff(attempt, policy);
        const delay =
          error.retryAfter === undefined
            ? backoff
            : Math.min(Math.max(error.retryAfter, 0), policy.maxRetryAfter);
        // Waiting past the deadline only to fail then helps nobody: fail now with the real cause.
        if (performance.now() + delay >= deadline) throw error;
        debug(
          "%s %s failed (attempt %d, %s); retrying in %d ms",
          method,
          safeUrl,
          attempt,
          error.code,
          Math.round(delay),
        );
        try {
          this.#onRetry?.({ action, method, url: safeUrl, attempt, error, delay });
        } catch {
          // A broken observer must not change the outcome of the call.
        }
        try {
          await sleep(delay, callSignal);
        } catch (reason) {
          if (callerSignal?.aborted) throw callerSignal.reason;
          throw reason;
        }
      }
    } finally {
      clearTimeout(totalTimer);
    }
  }

  /** One attempt: request, follow redirects (re-deciding auth per hop), read the body capped. */
  async #fetch(
    method: "GET" | "POST",
    url: string,
    body: string | undefined,
    signal: AbortSignal,
    context: { action: string; url: string },
  ): Promise<RawResponse> {
    let currentUrl = url;
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = {
        "user-agent": this.userAgent,
        accept: "application/json",
        "accept-encoding": ACCEPT_ENCODING,
        ...this.authHeadersFor(currentUrl),
      };
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await request(currentUrl, {
        method,
        headers,
        body,
        signal,
        dispatcher: this.#dispatcher ?? getGlobalDispatcher(),
      });
      const status = response.statusCode;
      if (status >= 300 && status < 400 && status !== 304) {
        await response.body.dump().catch(() => undefined);
        const location = headerString(response.headers.location);
        const fail = (why: string) =>
          new APIResponseError(`${why} (action '${context.action}', HTTP ${status})`, {
            ...context,
            status,
          });
        if (!location) throw fail("Redirect without a Location header");
        if (redirects >= this.#maxRedirects)
          throw fail(`More than ${this.#maxRedirects} redirects`);
        if (method === "POST" && status !== 307 && status !== 308) {
          // 301/302/303 would turn the POST into a GET and silently drop the body.
          throw fail("Refusing to follow a redirect that would drop the POST body");
        }
        let next: URL;
        try {
          next = new URL(location, currentUrl);
        } catch {
          throw fail("Redirect to an invalid URL");
        }
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw fail(`Redirect to an unsupported scheme ${next.protocol}`);
        }
        currentUrl = next.href;
        continue;
      }
      const text = await this.#readBody(response, context);
      return { status, headers: response.headers, text };
    }
  }

  async #readBody(
    response: Dispatcher.ResponseData,
    context: { action: string; url: string },
  ): Promise<string> {
    const limit = this.#maxResponseBytes;
    const tooLarge = (size: string) =>
      new APIResponseError(
        `Response body of ${size} exceeds maxResponseBytes=${limit} (action '${context.action}', HTTP ${response.statusCode})`,
        { ...context, status: response.statusCode },
      );
    const declared = Number(headerString(response.headers["content-length"]));
    if (Number.isFinite(declared) && declared > limit) {
      discardBody(response.body);
      throw tooLarge(`${declared} bytes`);
    }
    const encoding = headerString(response.headers["content-encoding"])?.trim().toLowerCase();
    const makeDecoder = encoding && encoding !== "identity" ? DECODERS[encoding] : undefined;
    if (encoding && encoding !== "identity" && !makeDecoder) {
      discardBody(response.body);
      throw new APIResponseError(
        `Unsupported Content-Encoding ${JSON.stringify(encoding)} (action '${context.action}')`,
        { ...context, status: response.statusCode },
      );
    }
    // The cap applies to the decoded size, so a small compressed bomb cannot exhaust memory.
    const decoder = makeDecoder?.();
    const source: AsyncIterable<Buffer> = decoder
      ? pipeline(response.body, decoder, () => undefined)
      : response.body;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of source) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > limit) throw tooLarge(`more than ${limit} bytes`);
        chunks.push(buffer);
      }
    } catch (error) {
      discardBody(response.body);
      decoder?.destroy();
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && code.startsWith("Z_")) {
        throw new APIResponseError(
          `Corrupt ${encoding} response body (action '${context.action}', HTTP ${response.statusCode})`,
          { ...context, status: response.statusCode, cause: error },
        );
      }
      throw error;
    }
    return Buffer.concat(chunks, size).toString("utf8");
  }
}

/**
 * Destroy an unread body. undici emits an abort error on a body destroyed before its end; without
 * a listener that would be an uncaught exception.
 */
function discardBody(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

function isRetryable(error: DCORError, policy: ResolvedRetry): boolean {
  if (error.status !== undefined) return policy.statusCodes.includes(error.status);
  if (error instanceof APIConnectionError) {
    // A certificate problem will not go away by asking again.
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return !(typeof code === "string" && /CERT|TLS|SSL|SELF_SIGNED/.test(code));
  }
  return error instanceof APITimeoutError;
}
