import { describe, expect, it } from "vitest";
import { computeBackoff, DEFAULT_RETRY, parseRetryAfter, resolveRetry } from "./retry.js";

describe("computeBackoff", () => {
  const policy = { baseDelay: 500, maxDelay: 10_000, jitter: false };
  it("doubles from baseDelay and caps at maxDelay", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => computeBackoff(n, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
  it("jitters within [d/2, d]", () => {
    const jittered = { ...policy, jitter: true };
    expect(computeBackoff(3, jittered, () => 0)).toBe(1000);
    expect(computeBackoff(3, jittered, () => 0.5)).toBe(1500);
    expect(computeBackoff(3, jittered, () => 0.999999)).toBeCloseTo(2000, 2);
    for (let i = 0; i < 100; i++) {
      const d = computeBackoff(2, jittered);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});

describe("parseRetryAfter", () => {
  it("parses delta seconds", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(" 0 ")).toBe(0);
    expect(parseRetryAfter("1.5")).toBe(1500);
    expect(parseRetryAfter(["2", "9"])).toBe(2000);
  });
  it("parses HTTP dates relative to now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });
  it("ignores missing or garbage values", () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("-5")).toBeUndefined();
  });
});

describe("resolveRetry", () => {
  it("merges overrides field by field", () => {
    expect(resolveRetry(DEFAULT_RETRY, undefined)).toEqual(DEFAULT_RETRY);
    expect(resolveRetry(DEFAULT_RETRY, false).limit).toBe(0);
    expect(resolveRetry(DEFAULT_RETRY, 7).limit).toBe(7);
    const r = resolveRetry(DEFAULT_RETRY, {
      limit: 1,
      methods: ["get", "post"],
      baseDelay: undefined,
    });
    expect(r.limit).toBe(1);
    expect(r.methods).toEqual(["GET", "POST"]);
    expect(r.baseDelay).toBe(DEFAULT_RETRY.baseDelay);
    expect(r.statusCodes).toEqual([408, 429, 502, 503, 504]);
  });
  it("rejects negative numbers", () => {
    expect(() => resolveRetry(DEFAULT_RETRY, -1)).toThrow(RangeError);
    expect(() => resolveRetry(DEFAULT_RETRY, { baseDelay: -5 })).toThrow(RangeError);
  });
});
