/** Retry policy: which failures are retried, and how long to wait in between. */

/** How failed attempts are retried. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (so at most `limit + 1` attempts). `0` disables retries.
   * @default 3
   */
  limit?: number;
  /**
   * HTTP methods that are retried. POST is left out because most CKAN POST actions change data;
   * pass `idempotent: true` to `post()` for one that does not.
   * @default ["GET"]
   */
  methods?: readonly string[];
  /**
   * Response statuses that are retried (besides connection failures and attempt timeouts).
   * @default [408, 429, 502, 503, 504]
   */
  statusCodes?: readonly number[];
  /**
   * Delay before the first retry in ms; doubles with every further retry.
   * @default 500
   */
  baseDelay?: number;
  /**
   * Upper bound of the backoff delay in ms (before jitter).
   * @default 10_000
   */
  maxDelay?: number;
  /**
   * Randomize each delay within `[delay/2, delay]` so that many clients do not retry in lockstep.
   * @default true
   */
  jitter?: boolean;
  /**
   * Cap in ms for a server's `Retry-After`; a longer wait is shortened to this.
   * @default 60_000
   */
  maxRetryAfter?: number;
}

/** {@link RetryOptions} with every field set. */
export type ResolvedRetry = Required<RetryOptions>;

/** The default retry policy. */
export const DEFAULT_RETRY: Readonly<ResolvedRetry> = Object.freeze({
  limit: 3,
  methods: Object.freeze(["GET"]),
  statusCodes: Object.freeze([408, 429, 502, 503, 504]),
  baseDelay: 500,
  maxDelay: 10_000,
  jitter: true,
  maxRetryAfter: 60_000,
});

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(`retry.${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

/**
 * Merge retry settings: `false` disables retries, a number sets `limit`, an object overrides
 * single fields of `base`.
 */
export function resolveRetry(
  base: Readonly<ResolvedRetry>,
  override: RetryOptions | number | boolean | undefined,
): ResolvedRetry {
  if (override === undefined || override === true) return { ...base };
  if (override === false) return { ...base, limit: 0 };
  if (typeof override === "number") return { ...base, limit: nonNegative("limit", override) };
  const merged: ResolvedRetry = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  nonNegative("limit", merged.limit);
  nonNegative("baseDelay", merged.baseDelay);
  nonNegative("maxDelay", merged.maxDelay);
  nonNegative("maxRetryAfter", merged.maxRetryAfter);
  merged.methods = merged.methods.map((m) => m.toUpperCase());
  return merged;
}

/**
 * Delay in ms before retry number `retry` (1 for the first retry): exponential from `baseDelay`,
 * capped at `maxDelay`, with "equal jitter" (uniform in `[d/2, d]`) if enabled.
 */
export function computeBackoff(
  retry: number,
  policy: Pick<ResolvedRetry, "baseDelay" | "maxDelay" | "jitter">,
  random: () => number = Math.random,
): number {
  const exponential = policy.baseDelay * 2 ** Math.max(0, retry - 1);
  const capped = Math.min(policy.maxDelay, exponential);
  if (!policy.jitter) return capped;
  return capped / 2 + (capped / 2) * random();
}

/**
 * Parse a `Retry-After` header (delta seconds or an HTTP date) into ms, or `undefined` if absent
 * or unparsable. A date in the past gives 0.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date has a weekday and month name; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
