import { inspect } from "node:util";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { Agent, interceptors } from "undici";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CKANAPI, compareVersions } from "./client.js";
import {
  APIAuthorizationError,
  APIConnectionError,
  APIResponseError,
  APIServerError,
  APITimeoutError,
  type DCORError,
  NoAPIKeyError,
} from "./errors.js";
import { sendError, sendResult, startTestServer, type TestServer } from "./test-server.js";
import { VERSION } from "./version.js";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.TEST-TOKEN-do-not-leak.c2lnbmF0dXJl";
const dispatcher = new Agent({ keepAliveTimeout: 1000 });
const servers: TestServer[] = [];
const FAST = { baseDelay: 1, maxDelay: 5 };

async function server(handler: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(handler);
  servers.push(s);
  return s;
}
function client(url: string, extra: Partial<ConstructorParameters<typeof CKANAPI>[0]> = {}) {
  return new CKANAPI({ server: url, apiKey: TOKEN, dispatcher, retry: FAST, ...extra });
}
function everyStringOf(error: unknown): string {
  const e = error as Error;
  return [String(e), e.message, e.stack, inspect(e, { depth: 10 }), JSON.stringify(e)].join("\n");
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await dispatcher.close();
});

describe("CKANAPI basics", () => {
  it("normalizes the server and builds URLs", () => {
    const api = new CKANAPI({ server: "dcor.mpl.mpg.de/api/3/action/" });
    expect(api.server).toBe("https://dcor.mpl.mpg.de");
    expect(api.apiUrl).toBe("https://dcor.mpl.mpg.de/api/3/action/");
    expect(api.hasApiKey).toBe(false);
    expect(api.resourceDownloadUrl("ds 1", "rid", "a b.rtdc")).toBe(
      "https://dcor.mpl.mpg.de/dataset/ds%201/resource/rid/download/a%20b.rtdc",
    );
    expect(api.condensedDownloadUrl("ds", "rid")).toBe(
      "https://dcor.mpl.mpg.de/dataset/ds/resource/rid/condensed.rtdc",
    );
    expect(api.dcservUrl("r/1")).toBe("https://dcor.mpl.mpg.de/api/3/action/dcserv?id=r%2F1");
    expect(api.datasetPageUrl("figshare-7771184-v2")).toBe(
      "https://dcor.mpl.mpg.de/dataset/figshare-7771184-v2",
    );
  });

  it("strips the token and treats an empty one as anonymous", () => {
    expect(new CKANAPI({ server: "x.org", apiKey: "  " }).hasApiKey).toBe(false);
    const api = new CKANAPI({ server: "x.org", apiKey: `  ${TOKEN}\n` });
    expect(api.authHeadersFor("https://x.org/api/3/action/user_show")).toEqual({
      Authorization: TOKEN,
    });
  });

  it("rejects bad options with typed errors", () => {
    expect(() => new CKANAPI({ server: "" })).toThrow(TypeError);
    expect(() => new CKANAPI({ server: "x.org", timeout: 0 })).toThrow(RangeError);
    expect(() => new CKANAPI({ server: "x.org", retry: -1 })).toThrow(RangeError);
    expect(() => new CKANAPI({ server: "x.org", maxResponseBytes: 0 })).toThrow(/bytes/);
    expect(() => new CKANAPI({ server: "x.org", maxRedirects: 1.5 })).toThrow(RangeError);
    expect(() => new CKANAPI({ server: "x.org", apiKey: "a\nb" })).toThrow(TypeError);
    expect(() => new CKANAPI(undefined as never)).toThrow(TypeError);
  });

  it("sends the token only to the server's own origin", () => {
    const api = new CKANAPI({ server: "https://dcor.mpl.mpg.de", apiKey: TOKEN });
    expect(api.authHeadersFor("https://dcor.mpl.mpg.de/dataset/x")).toEqual({
      Authorization: TOKEN,
    });
    expect(api.authHeadersFor(new URL("https://dcor.mpl.mpg.de:443/a"))).toEqual({
      Authorization: TOKEN,
    });
    expect(api.authHeadersFor("/relative/path")).toEqual({ Authorization: TOKEN });
    for (const other of [
      "http://dcor.mpl.mpg.de/x", // downgraded scheme
      "https://dcor.mpl.mpg.de:8443/x",
      "https://objectstore.hpccloud.mpcdf.mpg.de/circle-x/resource/a",
      "https://dcor.mpl.mpg.de.evil.org/x",
      "javascript:alert(1)",
    ]) {
      expect(api.authHeadersFor(other)).toEqual({});
    }
    expect(
      new CKANAPI({ server: "dcor.mpl.mpg.de" }).authHeadersFor("https://dcor.mpl.mpg.de"),
    ).toEqual({});
  });

  it("never shows the token in inspect, JSON or toString", () => {
    const api = new CKANAPI({ server: "dcor.mpl.mpg.de", apiKey: TOKEN });
    const shown = [
      inspect(api),
      inspect(api, { showHidden: true, depth: 10 }),
      JSON.stringify(api),
      String(api),
      JSON.stringify({ nested: { api } }),
      inspect({ nested: { api } }, { depth: 10 }),
    ].join("\n");
    expect(shown).not.toContain(TOKEN);
    expect(shown).toContain("https://dcor.mpl.mpg.de");
    expect(JSON.parse(JSON.stringify(api))).toEqual({
      server: "https://dcor.mpl.mpg.de",
      apiUrl: "https://dcor.mpl.mpg.de/api/3/action/",
      hasApiKey: true,
    });
    expect(Object.keys(api)).not.toContain("apiKey");
    expect(Object.values(api)).not.toContain(TOKEN);
  });

  it("rejects invalid action names and bodies before any request", async () => {
    const api = new CKANAPI({ server: "127.0.0.1:1" });
    await expect(api.get("package_show?id=x")).rejects.toThrow(TypeError);
    await expect(api.get("package_search", { rows: Number.NaN })).rejects.toThrow(TypeError);
    await expect(api.get("status_show", {}, { timeout: -1 })).rejects.toThrow(RangeError);
    await expect(api.post("package_revise", [] as never)).rejects.toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(api.post("package_revise", cyclic)).rejects.toThrow(TypeError);
  });
});

describe("compareVersions", () => {
  it("compares numerically, pre-releases before releases", () => {
    expect(compareVersions("2.10.1", "2.9.4")).toBeGreaterThan(0);
    expect(compareVersions("2.9.4", "2.9.4")).toBe(0);
    expect(compareVersions("2.9", "2.9.0")).toBe(0);
    expect(compareVersions("2.9.3", "2.9.4")).toBeLessThan(0);
    expect(compareVersions("2.13.0a0", "2.13.0")).toBeLessThan(0);
    expect(compareVersions("2.13.0a0", "2.11.5")).toBeGreaterThan(0);
  });
});

describe("CKANAPI over HTTP (own test server)", () => {
  it("sends the raw token, a user agent naming the library, and JSON POST bodies", async () => {
    const s = await server((_req, res, seen) => sendResult(res, { method: seen.method }));
    const api = client(s.url);
    await expect(api.get("status_show")).resolves.toEqual({ method: "GET" });
    await expect(api.post("package_revise", { match: { id: "x" } })).resolves.toEqual({
      method: "POST",
    });
    const [get, post] = s.requests;
    expect(get!.url).toBe("/api/3/action/status_show");
    expect(get!.headers.authorization).toBe(TOKEN);
    expect(get!.headers["x-ckan-api-key"]).toBeUndefined();
    expect(get!.headers["user-agent"]).toContain(`dcor-api/${VERSION}`);
    expect(post!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(post!.body)).toEqual({ match: { id: "x" } });
    expect(post!.headers.authorization).toBe(TOKEN);
  });

  it("does not send the token along a cross-origin redirect", async () => {
    const target = await server((_req, res) => sendResult(res, "moved"));
    const origin = await server((req, res) => {
      res.writeHead(302, { location: `${target.url}${req.url}` });
      res.end("redirecting");
    });
    const api = client(origin.url);
    await expect(api.get("status_show", { a: "b" })).resolves.toBe("moved");
    expect(origin.requests[0]!.headers.authorization).toBe(TOKEN);
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.url).toBe("/api/3/action/status_show?a=b");
    expect(target.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("a caller's dispatcher with undici's redirect interceptor does not leak the token either", async () => {
    const target = await server((_req, res) => sendResult(res, "moved"));
    const origin = await server((req, res) => {
      res.writeHead(301, { location: `${target.url}${req.url}` });
      res.end();
    });
    const redirecting = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
    try {
      const api = client(origin.url, { dispatcher: redirecting });
      await expect(api.get("status_show")).resolves.toBe("moved");
      expect(origin.requests[0]!.headers.authorization).toBe(TOKEN);
      expect(target.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await redirecting.close();
    }
  });

  it("keeps the token on a same-origin redirect and limits redirects", async () => {
    const s = await server((req, res) => {
      if (req.url!.startsWith("/api/3/action/old")) {
        res.writeHead(301, { location: "/api/3/action/new" });
        res.end();
      } else if (req.url!.startsWith("/api/3/action/loop")) {
        res.writeHead(302, { location: req.url });
        res.end();
      } else sendResult(res, "new");
    });
    const api = client(s.url, { maxRedirects: 3 });
    await expect(api.get("old")).resolves.toBe("new");
    expect(s.requests[1]!.headers.authorization).toBe(TOKEN);
    const error = await api.get("loop").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIResponseError);
    expect((error as APIResponseError).message).toContain("redirects");
    expect(s.requests.filter((r) => r.url.includes("loop"))).toHaveLength(4);
  });

  it("refuses a redirect that would turn a POST into a GET", async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
    });
    const error = await client(s.url)
      .post("package_revise", { a: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIResponseError);
    expect(s.requests).toHaveLength(1);
  });

  it("caps oversized responses (declared and streamed)", async () => {
    const big = JSON.stringify({ success: true, result: "x".repeat(5000) });
    const s = await server((req, res) => {
      if (req.url!.includes("declared")) {
        res.writeHead(200, { "content-type": "application/json", "content-length": big.length });
        res.end(big);
      } else {
        res.writeHead(200, { "content-type": "application/json" }); // chunked, no length
        res.write(big.slice(0, 2000));
        res.end(big.slice(2000));
      }
    });
    const api = client(s.url, { maxResponseBytes: 1000 });
    for (const action of ["declared", "streamed"]) {
      const error = await api.get(action).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIResponseError);
      expect((error as APIResponseError).message).toContain("maxResponseBytes");
    }
    // Not retried: a too-large answer will not shrink.
    expect(s.requests).toHaveLength(2);
    await expect(client(s.url, { maxResponseBytes: 10_000 }).get("declared")).resolves.toHaveLength(
      5000,
    );
  });

  it("asks for compression and decodes gzip, deflate and br", async () => {
    const body = JSON.stringify({ success: true, result: { text: "Müller ".repeat(1000) } });
    const encoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: gzipSync,
      deflate: deflateSync,
      br: brotliCompressSync,
    };
    const s = await server((req, res) => {
      const encoding = req.url!.split("/").pop()!;
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(encoders[encoding]!(Buffer.from(body)));
    });
    const api = client(s.url);
    for (const encoding of Object.keys(encoders)) {
      const result = await api.get<{ text: string }>(encoding);
      expect(result.text).toBe("Müller ".repeat(1000));
    }
    expect(s.requests[0]!.headers["accept-encoding"]).toMatch(/gzip/);
  });

  it("caps the decoded size (compression bomb) and reports corrupt or unknown encodings", async () => {
    const bomb = gzipSync(Buffer.from(`{"success":true,"result":"${"0".repeat(5_000_000)}"}`));
    const s = await server((req, res) => {
      if (req.url!.endsWith("bomb")) {
        res.writeHead(200, { "content-encoding": "gzip", "content-length": bomb.length });
        res.end(bomb);
      } else if (req.url!.endsWith("corrupt")) {
        res.writeHead(200, { "content-encoding": "gzip" });
        res.end(Buffer.from("this is not gzip at all"));
      } else {
        res.writeHead(200, { "content-encoding": "snappy" });
        res.end("xx");
      }
    });
    expect(bomb.length).toBeLessThan(100_000);
    const api = client(s.url, { maxResponseBytes: 1_000_000 });
    const bombError = await api.get("bomb").catch((e: unknown) => e);
    expect(bombError).toBeInstanceOf(APIResponseError);
    expect((bombError as Error).message).toContain("maxResponseBytes");
    const corrupt = await api.get("corrupt").catch((e: unknown) => e);
    expect(corrupt).toBeInstanceOf(APIResponseError);
    expect((corrupt as Error).message).toContain("Corrupt gzip");
    const unknown = await api.get("unknown").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(APIResponseError);
    expect(s.requests).toHaveLength(3); // none of these is retried
  });

  it("retries 502 for GET but never a POST unless idempotent", async () => {
    const s = await server((_req, res, _seen, n) => {
      if (n % 3 !== 0) sendError(res, 502, { __type: "Internal Server Error", message: "proxy" });
      else sendResult(res, n);
    });
    const api = client(s.url);
    await expect(api.get("package_search")).resolves.toBe(3);
    const postError = await api.post("package_create", { title: "t" }).catch((e: unknown) => e);
    expect(postError).toBeInstanceOf(APIServerError);
    expect((postError as APIServerError).attempts).toBe(1);
    expect(s.requests).toHaveLength(4);
    await expect(api.post("package_search", {}, { idempotent: true })).resolves.toBe(6);
    expect(s.requests).toHaveLength(6);
  });

  it("tells onRetry about each retry, and a throwing onRetry changes nothing", async () => {
    const s = await server((_req, res, _seen, n) =>
      n < 3 ? sendError(res, 503, {}) : sendResult(res, "up"),
    );
    const seen: string[] = [];
    const api = client(s.url, {
      onRetry: (state) => {
        seen.push(`${state.method} ${state.action} #${state.attempt} ${state.error.code}`);
        throw new Error("observer bug");
      },
    });
    await expect(api.get("status_show")).resolves.toBe("up");
    expect(seen).toEqual([
      "GET status_show #1 DCOR_MAINTENANCE",
      "GET status_show #2 DCOR_MAINTENANCE",
    ]);
  });

  it("gives up after retry.limit retries with the last error", async () => {
    const s = await server((_req, res) => sendError(res, 504, { message: "gateway" }));
    const error = await client(s.url, { retry: { ...FAST, limit: 2 } })
      .get("status_show")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIServerError);
    expect((error as APIServerError).status).toBe(504);
    expect((error as APIServerError).attempts).toBe(3);
    expect(s.requests).toHaveLength(3);
    // Per-call override.
    await client(s.url)
      .get("status_show", {}, { retry: 0 })
      .catch(() => undefined);
    expect(s.requests).toHaveLength(4);
  });

  it("honours Retry-After, capped at maxRetryAfter", async () => {
    const s = await server((_req, res, _seen, n) => {
      if (n === 1) sendError(res, 429, { message: "slow down" }, { "retry-after": "3600" });
      else sendResult(res, "ok");
    });
    // An hour's Retry-After is cut to 5 ms; without the cap the test would time out.
    const api = client(s.url, { retry: { ...FAST, maxRetryAfter: 5 } });
    await expect(api.get("status_show")).resolves.toBe("ok");
    expect(s.requests).toHaveLength(2);
  });

  it("fails at once if a Retry-After wait would pass the total timeout", async () => {
    const s = await server((_req, res) => sendError(res, 429, {}, { "retry-after": "60" }));
    const api = client(s.url, { totalTimeout: 10_000, retry: { ...FAST, maxRetryAfter: 60_000 } });
    const error = await api.get("status_show").catch((e: unknown) => e);
    expect((error as DCORError).code).toBe("DCOR_RATE_LIMITED");
    expect((error as DCORError).retryAfter).toBe(60_000);
    expect(s.requests).toHaveLength(1);
  });

  it("maps a refused connection to APIConnectionError after retries", async () => {
    const s = await server((_req, res) => sendResult(res, 1));
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const api = client(url, { retry: { ...FAST, limit: 2 } });
    const error = await api.get("status_show").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).code).toBe("DCOR_CONNECTION");
    expect((error as APIConnectionError).attempts).toBe(3);
    expect((error as APIConnectionError).cause).toBeDefined();
    expect(everyStringOf(error)).not.toContain(TOKEN);
    await expect(api.isAvailable()).resolves.toBe(false);
  });

  it("retries a connection reset mid-body", async () => {
    const s = await server((_req, res, _seen, n) => {
      if (n === 1) {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
        res.write('{"success": true, "result": "');
        setImmediate(() => res.destroy());
      } else sendResult(res, "second");
    });
    await expect(client(s.url).get("status_show")).resolves.toBe("second");
    expect(s.requests).toHaveLength(2);
  });

  it("times out a hanging attempt, retries, then reports APITimeoutError", async () => {
    const s = await server(() => {
      /* never answers */
    });
    const api = client(s.url, { timeout: 200, retry: { ...FAST, limit: 1 } });
    const error = await api.get("status_show").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).attempts).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it("stops at the total timeout", async () => {
    const s = await server(() => {
      /* never answers */
    });
    const api = client(s.url, { timeout: 60_000, totalTimeout: 300 });
    const error = await api.get("status_show").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).message).toContain("total timeout");
    expect(s.requests).toHaveLength(1);
  });

  it("rejects with the abort reason, also while waiting between retries", async () => {
    const hang = await server(() => {
      /* never answers */
    });
    const api = client(hang.url, { timeout: 60_000 });
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const pending = api.get("status_show", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);

    const failing = await server((_req, res) => sendError(res, 503, {}));
    const slow = client(failing.url, { retry: { limit: 5, baseDelay: 60_000, maxDelay: 60_000 } });
    const c2 = new AbortController();
    const second = slow.get("status_show", {}, { signal: c2.signal });
    while (failing.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    c2.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(failing.requests).toHaveLength(1);

    // An already aborted signal rejects without any request.
    const before = hang.requests.length;
    await expect(api.get("status_show", {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(hang.requests).toHaveLength(before);
  });

  it("caches opt-in per action and returns fresh copies", async () => {
    const s = await server((_req, res, _seen, n) => sendResult(res, { n }));
    const api = client(s.url, { cache: true });
    const a = await api.get<{ n: number }>("status_show");
    a.n = 99;
    expect(await api.get("status_show")).toEqual({ n: 1 });
    expect(await api.get("status_show", {}, { cache: false })).toEqual({ n: 2 });
    await api.get("package_show", { id: "x" });
    await api.get("package_show", { id: "x" });
    expect(s.requests).toHaveLength(4); // package_show is never cached
    api.clearCache();
    expect(await api.get("status_show")).toEqual({ n: 5 });
  });

  it("with a cache, identical concurrent GETs share one request", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const s = await server(async (_req, res, _seen, n) => {
      await gate;
      sendResult(res, { n });
    });
    const api = client(s.url, { cache: true });
    const calls = [1, 2, 3].map(() => api.get<{ n: number }>("group_list", { all_fields: true }));
    const other = api.get<{ n: number }>("group_list", { all_fields: false });
    while (s.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    release();
    const results = await Promise.all(calls);
    expect(results).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(results[0]).not.toBe(results[1]); // separate copies
    expect((await other).n).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it("many concurrent calls on one signal do not trip MaxListenersExceededWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const s = await server((_req, res, seen) => sendResult(res, seen.url));
      const controller = new AbortController();
      for (const cache of [true, false]) {
        const api = client(s.url, { cache });
        await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            api.get("package_search", { rows: i % 20 }, { signal: controller.signal }),
          ),
        );
      }
      await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on a later tick
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("a waiter that aborts leaves the shared request to the others; the last one aborts it", async () => {
    let release: () => void = () => undefined;
    let gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let closed = 0;
    const s = await server(async (req, res) => {
      req.socket.on("close", () => closed++);
      await gate;
      if (!res.destroyed) sendResult(res, "shared");
    });
    const api = client(s.url, { cache: true });
    const a = new AbortController();
    const first = api.get("group_list", {}, { signal: a.signal });
    const second = api.get("group_list");
    while (s.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    a.abort(new Error("first gave up"));
    await expect(first).rejects.toThrow("first gave up");
    release();
    await expect(second).resolves.toBe("shared");
    expect(s.requests).toHaveLength(1);

    // Now every waiter gives up: the request itself is aborted, and nothing goes unhandled.
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c1 = new AbortController();
    const c2 = new AbortController();
    const p1 = api.get("group_list_authz", {}, { signal: c1.signal });
    const p2 = api.get("group_list_authz", {}, { signal: c2.signal });
    while (s.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    c1.abort(new Error("one"));
    c2.abort(new Error("two"));
    await expect(p1).rejects.toThrow("one");
    await expect(p2).rejects.toThrow("two");
    while (closed < 1) await new Promise((r) => setTimeout(r, 5));
    // A later call starts afresh instead of joining the aborted one.
    release();
    await expect(api.get("group_list_authz")).resolves.toBe("shared");
  });

  it("getUserDict: no token, 404 of CKAN 2.10.1-2 and 403 mean an unusable token", async () => {
    await expect(new CKANAPI({ server: "127.0.0.1:1" }).getUserDict()).rejects.toBeInstanceOf(
      NoAPIKeyError,
    );
    const s = await server((req, res) => {
      if (req.headers.authorization === "gone") sendError(res, 404, { message: "Not found" });
      else if (req.headers.authorization === TOKEN) sendResult(res, { name: "alice" });
      else sendError(res, 403, { __type: "Authorization Error", message: "Access denied" });
    });
    await expect(client(s.url).getUserDict()).resolves.toEqual({ name: "alice" });
    expect(s.requests[0]!.url).toBe("/api/3/action/user_show");
    for (const key of ["gone", "wrong"]) {
      const error = await client(s.url, { apiKey: key })
        .getUserDict()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIAuthorizationError);
      expect((error as APIAuthorizationError).code).toBe("DCOR_AUTHORIZATION");
    }
  });

  it("isAvailable is true for a working server, false for a broken or too old one", async () => {
    const ok = await server((_req, res) => sendResult(res, { ckan_version: "2.11.3" }));
    await expect(client(ok.url).isAvailable()).resolves.toBe(true);
    await expect(client(ok.url).isAvailable({ withApiKey: true })).resolves.toBe(true);
    await expect(client(ok.url).isAvailable({ withCorrectVersion: true })).resolves.toBe(true);
    const old = await server((_req, res) => sendResult(res, { ckan_version: "2.9.1" }));
    await expect(client(old.url).isAvailable()).resolves.toBe(true);
    await expect(client(old.url).isAvailable({ withCorrectVersion: true })).resolves.toBe(false);
    const hidden = await server((_req, res) => sendResult(res, { site_title: "x" }));
    await expect(client(hidden.url).isAvailable({ withCorrectVersion: true })).resolves.toBe(true);
    const html = await server((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>not ckan</html>");
    });
    await expect(client(html.url).isAvailable()).resolves.toBe(false);
  });

  it("redacts a token the server echoes back", async () => {
    const s = await server((req, res) =>
      sendError(res, 403, {
        __type: "Authorization Error",
        message: `token ${req.headers.authorization} is revoked`,
      }),
    );
    const error = await client(s.url)
      .get("user_show")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIAuthorizationError);
    expect(everyStringOf(error)).not.toContain(TOKEN);
    expect((error as APIAuthorizationError).serverMessage).toBe("token [REDACTED] is revoked");
  });
});
