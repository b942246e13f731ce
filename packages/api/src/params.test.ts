import { describe, expect, it } from "vitest";
import { assertActionName, encodeParams, normalizeServer, repeated } from "./params.js";

describe("normalizeServer", () => {
  it.each([
    ["dcor.mpl.mpg.de", "https://dcor.mpl.mpg.de"],
    ["  dcor.mpl.mpg.de/  ", "https://dcor.mpl.mpg.de"],
    ["https://dcor.mpl.mpg.de///", "https://dcor.mpl.mpg.de"],
    ["http://127.0.0.1:5000", "http://127.0.0.1:5000"],
    ["HTTP://Example.ORG:80/", "http://example.org"],
    ["localhost:5000", "https://localhost:5000"],
    ["https://dcor.mpl.mpg.de/api/3/action/", "https://dcor.mpl.mpg.de"],
    ["https://dcor.mpl.mpg.de/api/3/action", "https://dcor.mpl.mpg.de"],
    ["https://dcor.mpl.mpg.de/api/action/", "https://dcor.mpl.mpg.de"],
    ["https://dcor.mpl.mpg.de/api/3", "https://dcor.mpl.mpg.de"],
    ["https://host.org/ckan/api/3/action/", "https://host.org/ckan"],
    ["//dcor-dev.mpl.mpg.de", "https://dcor-dev.mpl.mpg.de"],
    ["https://dcor.mpl.mpg.de/?x=1#frag", "https://dcor.mpl.mpg.de"],
  ])("%s → %s", (input, server) => {
    const n = normalizeServer(input);
    expect(n.server).toBe(server);
    expect(n.apiUrl).toBe(`${server}/api/3/action/`);
    expect(server.startsWith(n.origin)).toBe(true);
  });

  it.each(["", "   ", "ftp://host.org", "https://user:pw@host.org", "http://[::1"])(
    "rejects %j with a TypeError",
    (input) => {
      expect(() => normalizeServer(input)).toThrow(TypeError);
    },
  );

  it("never echoes credentials in its error", () => {
    try {
      normalizeServer("https://me:supersecret@host.org");
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("supersecret");
    }
  });
});

describe("encodeParams", () => {
  it("percent-encodes awkward strings so they round-trip", () => {
    const q = "a&b=c #d +e/f?g %h ü 日本 ✓";
    const qs = encodeParams({ q });
    expect(qs).not.toMatch(/[ #&+?]/);
    expect(new URLSearchParams(qs).get("q")).toBe(q);
    expect(qs.split("&")).toHaveLength(1);
  });

  it("writes booleans as true/false, numbers, bigints and dates", () => {
    const qs = encodeParams({
      include_private: true,
      include_drafts: false,
      rows: 1000,
      start: 0,
      big: 12345678901234567890n,
      since: new Date("2024-01-01T00:00:00Z"),
    });
    expect(qs).toBe(
      "include_private=true&include_drafts=false&rows=1000&start=0&big=12345678901234567890&since=2024-01-01T00%3A00%3A00.000Z",
    );
  });

  it("JSON-encodes lists and objects (facet.field) and repeats fq_list", () => {
    const qs = encodeParams({
      "facet.field": ["organization", "groups"],
      extra: { a: 1 },
      fq_list: ["a:1", "b:2"],
      tags: repeated(["x", "y"]),
    });
    const sp = new URLSearchParams(qs);
    expect(sp.get("facet.field")).toBe('["organization","groups"]');
    expect(JSON.parse(sp.get("facet.field")!)).toEqual(["organization", "groups"]);
    expect(sp.get("extra")).toBe('{"a":1}');
    expect(sp.getAll("fq_list")).toEqual(["a:1", "b:2"]);
    expect(sp.getAll("tags")).toEqual(["x", "y"]);
  });

  it("leaves out undefined and null, keeps empty strings", () => {
    expect(encodeParams({ a: undefined, b: null, c: "" })).toBe("c=");
    expect(encodeParams(undefined)).toBe("");
    expect(encodeParams({})).toBe("");
  });

  it("rejects non-finite numbers and invalid dates with a TypeError", () => {
    expect(() => encodeParams({ rows: Number.NaN })).toThrow(TypeError);
    expect(() => encodeParams({ rows: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => encodeParams({ d: new Date("nope") })).toThrow(TypeError);
  });
});

describe("assertActionName", () => {
  it("accepts action names", () => {
    expect(() => assertActionName("package_show")).not.toThrow();
    expect(() => assertActionName("dcserv")).not.toThrow();
  });
  it.each(["", "package_show?id=x", "../x", "a b", "a/b", "_x"])("rejects %j", (name) => {
    expect(() => assertActionName(name)).toThrow(TypeError);
  });
});
