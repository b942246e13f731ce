/**
 * Integration tests of CKANAPI against the emulator over real HTTP: error classes, retries,
 * Retry-After, timeouts, aborts, redirects, token hygiene and parameter encoding.
 */
import { inspect } from "node:util";
import { SAMPLE_USERS, startEmulator } from "@dcor/emulator";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CKANAPI, type CKANAPIOptions } from "./client.js";
import {
  APIAuthorizationError,
  APIBadRequestError,
  APIConflictError,
  APIConnectionError,
  APINotFoundError,
  APIRateLimitError,
  APIResponseError,
  APIServerError,
  APITimeoutError,
  type DCORError,
  NoAPIKeyError,
  ServerUnderMaintenanceError,
} from "./errors.js";
import { startTestServer, type TestServer } from "./test-server.js";
import type { Dataset } from "./types.js";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dispatcher = new Agent({ keepAliveTimeout: 2000 });
const FAST = { baseDelay: 1, maxDelay: 10 };
const alice = SAMPLE_USERS.find((u) => u.name === "alice")!;
const TOKENS = SAMPLE_USERS.map((u) => u.token);
/** Every error any test saw; checked for tokens at the end. */
const seenErrors: unknown[] = [];
const ownServers: TestServer[] = [];

function client(options: Partial<CKANAPIOptions> = {}): CKANAPI {
  return new CKANAPI({ server: emu.url, dispatcher, retry: FAST, ...options });
}
function asAlice(options: Partial<CKANAPIOptions> = {}): CKANAPI {
  return client({ apiKey: alice.token, ...options });
}
async function failure<T = DCORError>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    seenErrors.push(error);
    return error as T;
  }
  throw new Error("expected the call to fail");
}
function apiRequests(action: string): number {
  return emu.stats
    .snapshot()
    .log.filter((entry) => entry.path.startsWith(`/api/3/action/${action}`)).length;
}
function catalogDatasets(): Dataset[] {
  return emu.catalog.datasets as unknown as Dataset[];
}
function publicDataset(): Dataset {
  const ds = catalogDatasets().find((d) => !d.private && d.state === "active");
  if (!ds) throw new Error("no public dataset in the sample catalog");
  return ds;
}
function privateDataset(): Dataset {
  const ds = catalogDatasets().find((d) => d.private && d.state === "active");
  if (!ds) throw new Error("no private dataset in the sample catalog");
  return ds;
}

beforeAll(async () => {
  emu = await startEmulator({});
});
afterEach(async () => {
  emu.faults.clear();
  emu.stats.reset();
  await Promise.all(ownServers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await emu?.close();
  await dispatcher.close();
});

describe("CKANAPI against the emulator: results", () => {
  it("normalizes the emulator URL and reads status_show", async () => {
    const api = client({ server: `${emu.apiUrl}` });
    expect(api.server).toBe(emu.url);
    expect(api.apiUrl).toBe(emu.apiUrl);
    const status = await api.get("status_show");
    expect(typeof status.site_url).toBe("string");
    expect(Array.isArray(status.extensions)).toBe(true);
    await expect(api.isAvailable()).resolves.toBe(true);
    await expect(api.isAvailable({ withCorrectVersion: true })).resolves.toBe(true);
  });

  it("package_show returns the dataset of the catalog", async () => {
    const ds = publicDataset();
    const got = await client().get("package_show", { id: ds.name });
    expect(got.id).toBe(ds.id);
    expect(got.name).toBe(ds.name);
    expect(got.resources.map((r) => r.id)).toEqual(ds.resources.map((r) => r.id));
    const byId = await client().get("package_show", { id: ds.id });
    expect(byId.name).toBe(ds.name);
    const resource = got.resources[0]!;
    expect(Object.keys(resource).some((k) => k.startsWith("dc:"))).toBe(true);
    const shown = await client().get("resource_show", { id: resource.id });
    expect(shown.id).toBe(resource.id);
  });

  it("getUserDict returns the token's user; include_private shows what the user may see", async () => {
    const api = asAlice();
    const user = await api.getUserDict();
    expect(user.name).toBe("alice");
    await expect(api.isAvailable({ withApiKey: true })).resolves.toBe(true);
    const visible = emu.catalog.visibleDatasets("alice");
    const found = await api.get("package_search", { q: "*:*", rows: 1000, include_private: true });
    expect(found.count).toBe(visible.length);
    const anonymous = await client().get("package_search", { rows: 1000, include_private: true });
    expect(anonymous.count).toBe(emu.catalog.visibleDatasets(null).length);
    expect(found.count).toBeGreaterThan(anonymous.count);
  });

  it("dcserv: basins point to the object store, which gets no token", async () => {
    const api = asAlice();
    const ds = publicDataset();
    const rid = ds.resources[0]!.id;
    const basins = await api.dcserv(rid, "basins");
    expect(basins).toHaveLength(2);
    expect(basins[0]!.name.startsWith("condensed-")).toBe(true);
    for (const basin of basins) {
      expect(basin.urls[0]!.startsWith(emu.objectStoreUrl)).toBe(true);
      expect(api.authHeadersFor(basin.urls[0]!)).toEqual({});
    }
    expect(api.authHeadersFor(api.resourceDownloadUrl(ds.id, rid, "x.rtdc"))).toEqual({
      Authorization: alice.token,
    });
    await expect(api.dcserv(rid, "size")).resolves.toBeTypeOf("number");
    await expect(api.dcserv(rid, "valid")).resolves.toBe(true);
    const metadata = await api.dcserv(rid, "metadata");
    expect(typeof metadata.experiment).toBe("object");
  });

  it("opt-in cache saves round trips for listing actions only", async () => {
    const api = client({ cache: true });
    const ds = publicDataset();
    await api.get("package_search", { q: "*:*" });
    await api.get("package_search", { q: "*:*" });
    await api.get("package_show", { id: ds.id });
    await api.get("package_show", { id: ds.id });
    expect(apiRequests("package_search")).toBe(1);
    expect(apiRequests("package_show")).toBe(2);
  });
});

describe("CKANAPI against the emulator: parameter encoding", () => {
  it("awkward q strings round-trip to the server unchanged", async () => {
    const api = client();
    const awkward = [
      "a&b=c",
      "x #fragment",
      "1+1 = 2",
      "  spaces  between  ",
      "Müller Kräter µm 日本語 ✓",
      '"quoted phrase" AND (x OR y)',
      "100% sure?/path\\back",
    ];
    for (const q of awkward) {
      emu.stats.reset();
      const result = await api.get("package_search", { q });
      expect(typeof result.count).toBe("number");
      const entry = emu.stats.snapshot().log.find((e) => e.path.includes("package_search"));
      expect(entry, "request logged").toBeDefined();
      const received = new URL(entry!.path, emu.url).searchParams.get("q");
      expect(received).toBe(q);
    }
  });

  it("a unicode search finds the dataset that contains it", async () => {
    const ds = catalogDatasets().find((d) => !d.private && /[^\x00-\x7f]/.test(String(d.authors)));
    expect(ds, "a public dataset with a non-ASCII author").toBeDefined();
    const word = String(ds!.authors)
      .split(/[\s,]+/)
      .find((w) => /[^\x00-\x7f]/.test(w))!;
    const found = await client().get("package_search", { q: word, rows: 100 });
    expect(found.results.map((d) => d.id)).toContain(ds!.id);
  });

  it("booleans are true/false and facet.field is a JSON list", async () => {
    emu.stats.reset();
    const result = await client().get("package_search", {
      q: "*:*",
      include_private: false,
      facet: true,
      "facet.field": ["organization", "groups"],
      rows: 0,
    });
    const entry = emu.stats.snapshot().log.find((e) => e.path.includes("package_search"))!;
    const sp = new URL(entry.path, emu.url).searchParams;
    expect(sp.get("include_private")).toBe("false");
    expect(sp.get("facet")).toBe("true");
    expect(JSON.parse(sp.get("facet.field")!)).toEqual(["organization", "groups"]);
    expect(Object.keys(result.facets ?? {}).sort()).toEqual(["groups", "organization"]);
  });
});

describe("CKANAPI against the emulator: every error class", () => {
  it("APINotFoundError for an unknown dataset", async () => {
    const e = await failure(client().get("package_show", { id: "no-such-dataset" }));
    expect(e).toBeInstanceOf(APINotFoundError);
    expect(e.code).toBe("DCOR_NOT_FOUND");
    expect(e.status).toBe(404);
    expect(e.action).toBe("package_show");
    expect(e.url).toContain("no-such-dataset");
  });

  it("APIAuthorizationError for a private dataset seen anonymously or by eve", async () => {
    const ds = privateDataset();
    for (const api of [
      client(),
      client({ apiKey: SAMPLE_USERS.find((u) => u.name === "eve")!.token }),
    ]) {
      const e = await failure(api.get("package_show", { id: ds.id }));
      expect(e).toBeInstanceOf(APIAuthorizationError);
      expect(e.code).toBe("DCOR_AUTHORIZATION");
      expect(e.status).toBe(403);
      expect(e.serverMessage).toMatch(/Access denied/);
    }
    await expect(asAlice().get("package_show", { id: ds.id })).resolves.toMatchObject({
      id: ds.id,
    });
  });

  it("getUserDict: NoAPIKeyError when anonymous, APIAuthorizationError for an unknown token", async () => {
    const none = await failure(client().getUserDict());
    expect(none).toBeInstanceOf(NoAPIKeyError);
    expect(none.code).toBe("DCOR_NO_API_KEY");
    const bad = await failure(client({ apiKey: "not-a-valid-token-0123456789" }).getUserDict());
    expect(bad).toBeInstanceOf(APIAuthorizationError);
    await expect(
      client({ apiKey: "not-a-valid-token-0123456789" }).isAvailable({ withApiKey: true }),
    ).resolves.toBe(false);
  });

  it("APIConflictError for dcserv without or with an invalid query", async () => {
    const rid = publicDataset().resources[0]!.id;
    const missing = await failure<APIConflictError>(client().get("dcserv", { id: rid }));
    expect(missing).toBeInstanceOf(APIConflictError);
    expect(missing.code).toBe("DCOR_CONFLICT");
    expect(missing.status).toBe(409);
    expect(missing.serverMessage).toMatch(/query/);
    const invalid = await failure<APIConflictError>(client().dcserv(rid, "feature"));
    expect(invalid).toBeInstanceOf(APIConflictError);
    expect(invalid.serverMessage).toMatch(/Invalid query parameter/);
    expect(invalid.fieldErrors).toBeTypeOf("object");
  });

  it("APIBadRequestError for an unknown action (bare string) and a GET of a write action", async () => {
    const unknown = await failure(client().get("site_read"));
    expect(unknown).toBeInstanceOf(APIBadRequestError);
    expect(unknown.code).toBe("DCOR_BAD_REQUEST");
    expect(unknown.status).toBe(400);
    expect(unknown.serverMessage).toBe("Bad request: Action name not known: site_read");
    const write = await failure(client().get("package_create", { title: "x" }));
    expect(write).toBeInstanceOf(APIBadRequestError);
    expect(write.serverMessage).toMatch(/POST/);
  });

  it("ServerUnderMaintenanceError after retrying 503", async () => {
    emu.faults.add({ route: "api", maintenance: true });
    // The maintenance page asks for Retry-After: 60; cap it so that the test does not wait.
    const api = client({ retry: { ...FAST, limit: 2, maxRetryAfter: 5 } });
    const e = await failure(api.get("status_show"));
    expect(e.retryAfter).toBe(60_000);
    expect(e).toBeInstanceOf(ServerUnderMaintenanceError);
    expect(e.code).toBe("DCOR_MAINTENANCE");
    expect(e.status).toBe(503);
    expect(e.attempts).toBe(3);
    expect(apiRequests("status_show")).toBe(3);
    await expect(client().isAvailable()).resolves.toBe(false);
  });

  it("APIServerError for 500 (not retried) and for 502 after retries", async () => {
    emu.faults.add({ route: "api", action: "status_show", status: 500 });
    const e500 = await failure(client().get("status_show"));
    expect(e500).toBeInstanceOf(APIServerError);
    expect(e500.code).toBe("DCOR_SERVER_ERROR");
    expect(e500.status).toBe(500);
    expect(apiRequests("status_show")).toBe(1);
    emu.faults.clear();
    emu.stats.reset();
    emu.faults.add({ route: "api", action: "status_show", status: 502 });
    const e502 = await failure(client({ retry: { ...FAST, limit: 1 } }).get("status_show"));
    expect(e502.status).toBe(502);
    expect(e502.code === "DCOR_SERVER_ERROR" || e502.code === "DCOR_BAD_RESPONSE").toBe(true);
    expect(apiRequests("status_show")).toBe(2);
  });

  it("APIResponseError for an HTML proxy page and for malformed JSON", async () => {
    emu.faults.add({ route: "api", htmlError: true });
    const html = await failure(client({ retry: 0 }).get("status_show"));
    expect(html).toBeInstanceOf(APIResponseError);
    expect(html.code).toBe("DCOR_BAD_RESPONSE");
    expect(html.message).toMatch(/HTML/);
    emu.faults.clear();
    emu.faults.add({ route: "api", malformedJson: true });
    const broken = await failure(client().get("status_show"));
    expect(broken).toBeInstanceOf(APIResponseError);
    expect(broken.status).toBe(200);
    expect(apiRequests("status_show")).toBe(2); // malformed 200s are not retried
  });

  it("APITimeoutError when attempts hang, after retrying", async () => {
    // Stalling tests use license_list, so that their late log entries cannot skew the request
    // counts of other tests (which count status_show and package_search).
    emu.faults.add({ route: "api", action: "license_list", latencyMs: 5000 });
    const e = await failure(
      client({ timeout: 250, retry: { ...FAST, limit: 1 } }).get("license_list"),
    );
    expect(e).toBeInstanceOf(APITimeoutError);
    expect(e.code).toBe("DCOR_TIMEOUT");
    expect(e.attempts).toBe(2);
  });

  it("APITimeoutError when the body trickles in too slowly (the timeout covers the body)", async () => {
    emu.faults.add({ route: "api", action: "organization_list", bytesPerSecond: 50 });
    const e = await failure(
      client({ timeout: 300, retry: 0 }).get("organization_list", { all_fields: true }),
    );
    expect(e).toBeInstanceOf(APITimeoutError);
    expect(e.attempts).toBe(1);
  });

  it("APIResponseError for a response above maxResponseBytes, not retried", async () => {
    const ds = publicDataset();
    const e = await failure(client({ maxResponseBytes: 1000 }).get("package_show", { id: ds.id }));
    expect(e).toBeInstanceOf(APIResponseError);
    expect(e.message).toMatch(/maxResponseBytes/);
    expect(apiRequests("package_show")).toBe(1);
  });

  it("APIConnectionError for a reset connection (after retries) and a closed port", async () => {
    emu.faults.add({ route: "api", action: "status_show", resetAfterBytes: 5 });
    const reset = await failure(client({ retry: { ...FAST, limit: 2 } }).get("status_show"));
    expect(reset).toBeInstanceOf(APIConnectionError);
    expect(reset.code).toBe("DCOR_CONNECTION");
    expect(reset.attempts).toBe(3);
    const closed = await startTestServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const refused = await failure(
      new CKANAPI({ server: url, apiKey: alice.token, dispatcher, retry: FAST }).get("status_show"),
    );
    expect(refused).toBeInstanceOf(APIConnectionError);
  });

  it("APIRateLimitError with the server's Retry-After when retries are off", async () => {
    emu.faults.add({ route: "api", action: "status_show", retryAfter: 7 });
    const e = await failure(client({ retry: 0 }).get("status_show"));
    expect(e).toBeInstanceOf(APIRateLimitError);
    expect(e.code).toBe("DCOR_RATE_LIMITED");
    expect(e.status).toBe(429);
    expect(e.retryAfter).toBe(7000);
  });
});

describe("CKANAPI against the emulator: retries, timeouts, aborts", () => {
  it("retries a flaky GET with backoff, then succeeds", async () => {
    emu.faults.add({ route: "api", action: "package_search", status: 502, times: 2 });
    const retries: { attempt: number; delay: number; code: string }[] = [];
    const api = client({
      retry: { baseDelay: 5, maxDelay: 1000, jitter: false },
      onRetry: ({ attempt, delay, error }) => retries.push({ attempt, delay, code: error.code }),
    });
    const result = await api.get("package_search", { q: "*:*" });
    expect(result.count).toBeGreaterThan(0);
    expect(apiRequests("package_search")).toBe(3);
    // Exponential backoff: 5 ms, then 10 ms.
    expect(retries).toEqual([
      { attempt: 1, delay: 5, code: "DCOR_SERVER_ERROR" },
      { attempt: 2, delay: 10, code: "DCOR_SERVER_ERROR" },
    ]);
  });

  it("honours Retry-After (capped) and then succeeds", async () => {
    emu.faults.add({ route: "api", action: "status_show", retryAfter: 3600, times: 1 });
    // The server asks for an hour; maxRetryAfter caps the wait at 20 ms.
    const delays: number[] = [];
    const api = client({
      retry: { ...FAST, maxRetryAfter: 20 },
      onRetry: ({ delay, error }) => {
        expect(error.retryAfter).toBe(3_600_000);
        delays.push(delay);
      },
    });
    await expect(api.get("status_show")).resolves.toHaveProperty("site_url");
    expect(apiRequests("status_show")).toBe(2);
    expect(delays).toEqual([20]);
    emu.stats.reset();
    emu.faults.add({ route: "api", action: "status_show", retryAfter: 0, times: 2 });
    await expect(client().get("status_show")).resolves.toHaveProperty("site_url");
    expect(apiRequests("status_show")).toBe(3);
  });

  it("does not retry a POST unless it is declared idempotent", async () => {
    emu.faults.add({ route: "api", action: "package_search", status: 502, times: 1 });
    const e = await failure(asAlice().post("package_search", { q: "*:*" }));
    expect(e.status).toBe(502);
    expect(e.attempts).toBe(1);
    expect(apiRequests("package_search")).toBe(1);
    emu.stats.reset();
    emu.faults.add({ route: "api", action: "package_search", status: 503, times: 1 });
    const result = await asAlice().post("package_search", { q: "*:*" }, { idempotent: true });
    expect(result.count).toBeGreaterThan(0);
    expect(apiRequests("package_search")).toBe(2);
  });

  it("stops at the total timeout even with retries left", async () => {
    emu.faults.add({ route: "api", action: "license_list", latencyMs: 10_000 });
    const api = client({ timeout: 60_000, totalTimeout: 300, retry: 5 });
    const e = await failure(api.get("license_list"));
    expect(e).toBeInstanceOf(APITimeoutError);
    expect(e.message).toMatch(/total timeout/);
  });

  it("an aborted call rejects with the abort reason while the server stalls", async () => {
    emu.faults.add({ route: "api", action: "license_list", latencyMs: 20_000 });
    const controller = new AbortController();
    const reason = new Error("the user pressed q");
    let retries = 0;
    const api = asAlice({ timeout: 60_000, onRetry: () => retries++ });
    const pending = api.get("license_list", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 100);
    await expect(pending).rejects.toBe(reason);
    expect(retries).toBe(0); // an abort is final, never retried
  });

  it("an aborted call rejects while waiting for a retry", async () => {
    emu.faults.add({ route: "api", action: "status_show", status: 503 });
    const controller = new AbortController();
    const api = client({ retry: { limit: 5, baseDelay: 60_000, maxDelay: 60_000 } });
    const pending = api.get("status_show", {}, { signal: controller.signal });
    while (apiRequests("status_show") === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(apiRequests("status_show")).toBe(1);
  });
});

describe("CKANAPI against the emulator: token hygiene", () => {
  it("a redirect to another origin (the emulator) arrives without the token", async () => {
    const proxy = await startTestServer((req, res) => {
      res.writeHead(307, { location: `${emu.url}${req.url}` });
      res.end();
    });
    ownServers.push(proxy);
    const api = new CKANAPI({ server: proxy.url, apiKey: alice.token, dispatcher, retry: FAST });
    // The emulator sees an anonymous user_show → 403; with the token it would answer alice.
    const e = await failure(api.get("user_show"));
    expect(e).toBeInstanceOf(APIAuthorizationError);
    expect(proxy.requests[0]!.headers.authorization).toBe(alice.token);
    await expect(asAlice().get("user_show")).resolves.toMatchObject({ name: "alice" });
  });

  it("no token in any error string, stack, inspected or JSON form, nor in the client", () => {
    expect(seenErrors.length).toBeGreaterThan(15);
    const api = asAlice();
    const texts = [inspect(api, { depth: 10, showHidden: true }), JSON.stringify(api), String(api)];
    for (const error of seenErrors) {
      const e = error as Error;
      texts.push(String(e), e.message, e.stack ?? "", inspect(e, { depth: 10, showHidden: true }));
      texts.push(JSON.stringify(e));
    }
    const all = texts.join("\n");
    for (const token of TOKENS) expect(all.includes(token)).toBe(false);
    expect(all).toContain("DCOR_NOT_FOUND");
  });
});
