import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, FaultRuleError, SAMPLE_USERS, startEmulator } from "./index.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;
let emu: Emulator;
let objectUrl: string;
let objectSize: number;

beforeAll(async () => {
  emu = await startEmulator({
    faults: [{ route: "api", action: "license_list", times: 1, status: 502 }],
  });
  const res = (emu.catalog.datasets.find((d) => d.name === "figshare-7771184-v2") as Json)
    .resources[2];
  objectUrl = res.s3_url;
  objectSize = res.size;
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => {
  emu.faults.clear();
  emu.stats.reset();
});

/** A raw GET that reports how many body bytes arrived before the socket ended or broke. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let aborted = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ status, bytes: Buffer.concat(chunks), aborted });
    };
    const req = http.get(url, { headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => {
        aborted = true;
      });
      res.on("close", () => {
        if (!res.complete) aborted = true;
        finish();
      });
    });
    req.on("error", (err) => {
      if (status === 0) reject(err);
      aborted = true;
      finish();
    });
  });
}

describe("fault injection", () => {
  it("applies initial rules from the options, for `times` requests only", async () => {
    const fresh = await startEmulator({
      faults: [{ route: "api", action: "license_list", times: 1, status: 502 }],
    });
    try {
      const first = await fetch(`${fresh.apiUrl}license_list`);
      expect(first.status).toBe(502);
      await first.arrayBuffer();
      const second = await fetch(`${fresh.apiUrl}license_list`);
      expect(second.status).toBe(200);
      await second.arrayBuffer();
      expect(fresh.faults.list()).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it("answers a status with a CKAN-like body on the API, matched by action", async () => {
    const id = emu.faults.add({ route: "api", action: "status_show", status: 500 });
    const r = await fetch(`${emu.apiUrl}status_show`);
    expect(r.status).toBe(500);
    const body = (await r.json()) as Json;
    expect(body.success).toBe(false);
    expect(body.error.__type).toBe("Internal Server Error");
    const other = await fetch(`${emu.apiUrl}license_list`);
    expect(other.status).toBe(200);
    await other.arrayBuffer();
    expect(emu.faults.list().map((f) => f.id)).toEqual([id]);
    expect(emu.faults.remove(id)).toBe(true);
    expect((await fetch(`${emu.apiUrl}status_show`)).status).toBe(200);
  });

  it("fails a seeded share of requests with errorRate", async () => {
    emu.faults.add({ route: "api", errorRate: 0.5, status: 503 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${emu.apiUrl}status_show`);
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    const failed = statuses.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
  });

  it("answers 429 with Retry-After", async () => {
    emu.faults.add({ route: "api", retryAfter: 7, times: 1 });
    const r = await fetch(`${emu.apiUrl}status_show`);
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("7");
    await r.arrayBuffer();
  });

  it("answers maintenance (503), HTML proxy errors (502) and malformed JSON (200)", async () => {
    emu.faults.add({ maintenance: true, times: 2 });
    const m = await fetch(`${emu.apiUrl}status_show`);
    expect(m.status).toBe(503);
    expect(await m.text()).toContain("maintenance");
    const page = await fetch(`${emu.url}/dataset/bob-jurkat-cells`);
    expect(page.status).toBe(503);
    await page.arrayBuffer();
    emu.faults.add({ route: "api", htmlError: true, times: 1 });
    const h = await fetch(`${emu.apiUrl}status_show`);
    expect(h.status).toBe(502);
    expect(h.headers.get("content-type")).toContain("text/html");
    await h.arrayBuffer();
    emu.faults.add({ route: "api", malformedJson: true, times: 1 });
    const j = await fetch(`${emu.apiUrl}status_show`);
    expect(j.status).toBe(200);
    const text = await j.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it("delays the response start with latencyMs (an aborting client gives up)", async () => {
    emu.faults.add({ route: "api", latencyMs: 3000, times: 1 });
    await expect(
      fetch(`${emu.apiUrl}status_show`, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
  });

  it("latency is an asynchronous delay: delayed requests overlap and never block others", async () => {
    // the delayed requests are sent first; a request without the fault still finishes before
    // them, which could not happen if the delay blocked the single-threaded server
    const id = emu.faults.add({ route: "api", action: "status_show", latencyMs: 1500 });
    try {
      const order: string[] = [];
      const delayed = [1, 2, 3].map((i) =>
        fetch(`${emu.apiUrl}status_show`).then(async (r) => {
          await r.arrayBuffer();
          order.push(`delayed-${i}`);
        }),
      );
      const quick = fetch(`${emu.apiUrl}license_list`).then(async (r) => {
        expect(r.status).toBe(200);
        await r.arrayBuffer();
        order.push("quick");
      });
      await Promise.all([...delayed, quick]);
      expect(order[0]).toBe("quick");
      expect(order).toHaveLength(4);
    } finally {
      emu.faults.remove(id);
    }
  });

  it("throttles bodies with bytesPerSecond and still delivers every byte", async () => {
    emu.faults.add({ route: "object", bytesPerSecond: 400_000 });
    const r = await fetch(objectUrl, { headers: { Range: "bytes=0-99999" } });
    expect(r.status).toBe(206);
    expect((await r.arrayBuffer()).byteLength).toBe(100_000);
  });

  it("resets the connection after N body bytes", async () => {
    emu.faults.add({ route: "object", resetAfterBytes: 5000, times: 1 });
    const r = await rawGet(objectUrl);
    expect(r.aborted).toBe(true);
    expect(r.bytes.length).toBeLessThanOrEqual(5000);
    const snap = emu.stats.snapshot();
    expect(snap.byRoute.object.bytesSent).toBe(5000);
    const again = await rawGet(objectUrl);
    expect(again.aborted).toBe(false);
    expect(again.bytes.length).toBe(objectSize);
  });

  it("ignores Range when asked to", async () => {
    emu.faults.add({ route: "object", ignoreRange: true, times: 1 });
    const r = await fetch(objectUrl, { headers: { Range: "bytes=10-19" } });
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(objectSize);
  });

  it("corrupts bytes at an absolute file offset, also inside a Range", async () => {
    const clean = Buffer.from(await (await fetch(objectUrl)).arrayBuffer());
    emu.faults.add({ route: "object", corrupt: { offset: 1000, count: 4 }, times: 2 });
    const bad = Buffer.from(await (await fetch(objectUrl)).arrayBuffer());
    expect(bad.length).toBe(clean.length);
    const diff = [...bad.keys()].filter((i) => bad[i] !== clean[i]);
    expect(diff).toEqual([1000, 1001, 1002, 1003]);
    const part = Buffer.from(
      await (await fetch(objectUrl, { headers: { Range: "bytes=998-1001" } })).arrayBuffer(),
    );
    expect(part[0]).toBe(clean[998]);
    expect(part[2]).not.toBe(clean[1000]);
  });

  it("matches route and pathPrefix", async () => {
    emu.faults.add({ route: "download", status: 500 });
    expect((await fetch(`${emu.apiUrl}status_show`)).status).toBe(200);
    emu.faults.clear();
    emu.faults.add({ pathPrefix: "/api/3/action/license", status: 504 });
    expect((await fetch(`${emu.apiUrl}license_list`)).status).toBe(504);
    expect((await fetch(`${emu.apiUrl}status_show`)).status).toBe(200);
  });

  it("validates rules", () => {
    expect(() => emu.faults.add({ errorRate: 2 })).toThrow(FaultRuleError);
    expect(() => emu.faults.add({ latencyMs: -1 })).toThrow(FaultRuleError);
    expect(() => emu.faults.add({ route: "nope" as "api" })).toThrow(FaultRuleError);
    expect(() => emu.faults.add({ status: 42 })).toThrow(FaultRuleError);
  });
});

describe("stats", () => {
  // a fresh emulator: no late-finishing request of another test can land in these counts
  let emu: Emulator;
  let objectUrl: string;
  beforeAll(async () => {
    emu = await startEmulator();
    objectUrl = (emu.catalog.datasets.find((d) => d.name === "figshare-7771184-v2") as Json)
      .resources[2].s3_url;
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("counts requests and body bytes per route, with a log", async () => {
    const r1 = await fetch(`${emu.apiUrl}status_show`);
    const apiBytes = (await r1.arrayBuffer()).byteLength;
    const ds = emu.catalog.datasets.find((d) => d.name === "figshare-7771184-v2") as Json;
    const d = await fetch(ds.resources[2].url);
    const bytes = (await d.arrayBuffer()).byteLength;
    const part = await fetch(objectUrl, { headers: { Range: "bytes=0-1023" } });
    await part.arrayBuffer();
    const s = emu.stats.snapshot();
    expect(s.byRoute.api).toEqual({ requests: 1, bytesSent: apiBytes });
    expect(s.byRoute.download.requests).toBe(1);
    expect(s.byRoute.object.requests).toBe(2);
    expect(s.byRoute.object.bytesSent).toBe(bytes + 1024);
    expect(s.requests).toBe(4);
    expect(s.bytesSent).toBe(
      s.byRoute.api.bytesSent + s.byRoute.download.bytesSent + s.byRoute.object.bytesSent,
    );
    const last = s.log[s.log.length - 1];
    expect(last).toMatchObject({
      method: "GET",
      status: 206,
      bytesSent: 1024,
      range: "bytes=0-1023",
    });
    emu.stats.reset();
    expect(emu.stats.snapshot().requests).toBe(0);
  });

  it("logs whether a request carried an Authorization header, never its value", async () => {
    emu.stats.reset();
    const alice = SAMPLE_USERS.find((u) => u.name === "alice")?.token as string;
    const priv = emu.catalog.datasets.find((d) => d.name === "alice-private-donor-a") as Json;
    // the site gets the token; the redirect to the object store (another origin) must not carry it
    const file = await fetch(priv.resources[0].url, { headers: { Authorization: alice } });
    expect(file.status).toBe(200);
    await file.arrayBuffer();
    const anon = await fetch(objectUrl, { method: "HEAD" });
    expect(anon.status).toBe(200);
    const leaked = await fetch(objectUrl, { method: "HEAD", headers: { Authorization: "x" } });
    expect(leaked.status).toBe(200);
    const s = emu.stats.snapshot();
    expect(s.log.map((e) => [e.method, e.status, e.authorization])).toEqual([
      ["GET", 302, true],
      ["GET", 200, false],
      ["HEAD", 200, false],
      ["HEAD", 200, true],
    ]);
    expect(s.log.filter((e) => e.path.startsWith("/circle-") && e.authorization)).toHaveLength(1);
    expect(JSON.stringify(s)).not.toContain(alice);
  });
});
