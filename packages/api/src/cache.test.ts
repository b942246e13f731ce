import { describe, expect, it } from "vitest";
import { DEFAULT_CACHE_TTL, ResponseCache } from "./cache.js";

describe("ResponseCache", () => {
  it("uses DCOR-Aid's lifetimes and never caches package_show/resource_show", () => {
    const cache = new ResponseCache();
    expect(cache.ttlFor("package_search")).toBe(10_000);
    expect(cache.ttlFor("dataset_followee_list")).toBe(3_600_000);
    expect(cache.ttlFor("package_show")).toBe(0);
    expect(cache.ttlFor("resource_show")).toBe(0);
    expect(cache.ttlFor("unknown_action")).toBe(0);
    expect(cache.ttlFor("license_list")).toBe(Number.POSITIVE_INFINITY);
    expect(DEFAULT_CACHE_TTL.status_show).toBe(60_000);
  });

  it("expires entries after their lifetime", () => {
    const cache = new ResponseCache();
    cache.set("k", "package_search", "body", 1000);
    expect(cache.get("k", 1000 + 9_999)).toBe("body");
    expect(cache.get("k", 1000 + 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("does not store uncached actions and honours ttl overrides", () => {
    const cache = new ResponseCache({ ttl: { package_show: 1000, package_search: 0 } });
    cache.set("a", "package_search", "x", 0);
    cache.set("b", "package_show", "y", 0);
    expect(cache.get("a", 1)).toBeUndefined();
    expect(cache.get("b", 1)).toBe("y");
  });

  it("drops the least recently used entry beyond maxEntries", () => {
    const cache = new ResponseCache({ maxEntries: 2 });
    cache.set("a", "status_show", "A", 0);
    cache.set("b", "status_show", "B", 0);
    expect(cache.get("a", 1)).toBe("A"); // a is now the most recent
    cache.set("c", "status_show", "C", 0);
    expect(cache.get("b", 1)).toBeUndefined();
    expect(cache.get("a", 1)).toBe("A");
    expect(cache.get("c", 1)).toBe("C");
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("rejects maxEntries < 1", () => {
    expect(() => new ResponseCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
