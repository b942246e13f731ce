import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, SAMPLE_USERS, startEmulator } from "./index.js";
import { Presigner } from "./presign.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;
let emu: Emulator;
const token = (name: string) => SAMPLE_USERS.find((u) => u.name === name)?.token as string;
const dataset = (name: string) => emu.catalog.datasets.find((d) => d.name === name) as Json;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  emu = await startEmulator({ presignedLifetime: 3 });
});
afterAll(async () => {
  await emu?.close();
});

describe("object store", () => {
  it("serves public objects with ETag, Content-Length and Range → 206", async () => {
    const res = dataset("figshare-7771184-v2").resources[1];
    const full = await fetch(res.s3_url);
    expect(full.status).toBe(200);
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(bytes.length).toBe(res.size);
    expect(full.headers.get("content-length")).toBe(String(res.size));
    expect(full.headers.get("etag")).toBe(`"${res.etag}"`);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(res.sha256);
    expect(createHash("md5").update(bytes).digest("hex")).toBe(res.etag);

    const part = await fetch(res.s3_url, { headers: { Range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${res.size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const open = await fetch(res.s3_url, { headers: { Range: `bytes=${res.size - 10}-` } });
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(res.size - 10))).toBe(true);
    const suffix = await fetch(res.s3_url, { headers: { Range: "bytes=-16" } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(res.size - 16))).toBe(
      true,
    );
    const beyond = await fetch(res.s3_url, { headers: { Range: `bytes=${res.size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${res.size}`);
    await beyond.arrayBuffer();

    const head = await fetch(res.s3_url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(res.size));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers unknown keys with 404 and writes with 405", async () => {
    const res = dataset("figshare-7771184-v2").resources[0];
    const wrong = await fetch(res.s3_url.replace(/.$/, (c: string) => (c === "0" ? "1" : "0")));
    expect(wrong.status).toBe(404);
    await wrong.arrayBuffer();
    const put = await fetch(res.s3_url, { method: "PUT", body: "x" });
    expect(put.status).toBe(405);
    await put.arrayBuffer();
    const junk = await fetch(`${emu.objectStoreUrl}/../../etc/passwd`);
    expect(junk.status).toBe(404);
    await junk.arrayBuffer();
  });

  it("refuses private objects without a valid presigned URL", async () => {
    const res = dataset("alice-private-donor-a").resources[0];
    const plain = await fetch(res.s3_url);
    expect(plain.status).toBe(403);
    expect(await plain.text()).toContain("AccessDenied");
    const withToken = await fetch(res.s3_url, { headers: { Authorization: token("alice") } });
    expect(withToken.status).toBe(403);
    await withToken.arrayBuffer();
  });

  it("lets presigned URLs expire and rejects tampered ones", async () => {
    const res = dataset("alice-private-donor-a").resources[0];
    const r = await fetch(`${emu.apiUrl}dcserv?id=${res.id}&query=basins&version=2`, {
      headers: { Authorization: token("bob") },
    });
    const basins = ((await r.json()) as Json).result;
    const url: string = basins[1].urls[0];
    const ok = await fetch(url, { headers: { Range: "bytes=0-3" } });
    expect(ok.status).toBe(206);
    await ok.arrayBuffer();
    const tampered = await fetch(
      url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m, c: string) => `X-Amz-Signature=${c === "a" ? "b" : "a"}`,
      ),
    );
    expect(tampered.status).toBe(403);
    await tampered.arrayBuffer();
    const otherKey = await fetch(url.replace("/resource/", "/condensed/"));
    expect(otherKey.status).toBe(403);
    await otherKey.arrayBuffer();
    // wait past the expiration the server announced
    await sleep(Math.max(0, basins[1].time_expiration * 1000 - Date.now()) + 1200);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("expired");
  });

  it("presigner verifies signatures and expiry deterministically", () => {
    const p = new Presigner(Buffer.alloc(32, 1));
    const now = Date.parse("2025-03-01T10:00:00Z");
    const signed = p.presign("http://x", "circle-a/resource/abc", 3600, { now });
    const q = new URL(signed.url).searchParams;
    expect(p.verify("circle-a/resource/abc", q, now + 1000)).toBe("valid");
    expect(p.verify("circle-a/resource/abc", q, now + 3601_000)).toBe("expired");
    expect(p.verify("circle-a/resource/abd", q, now)).toBe("invalid");
    expect(p.verify("circle-a/resource/abc", new URLSearchParams(), now)).toBe("none");
    expect(new Presigner().verify("circle-a/resource/abc", q, now)).toBe("invalid");
  });
});

describe("download routes", () => {
  it("redirects public downloads to the plain object URL", async () => {
    const ds = dataset("bob-jurkat-cells");
    const res = ds.resources[0];
    const r = await fetch(res.url, { redirect: "manual" });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe(res.s3_url);
    await r.arrayBuffer();
    const c = await fetch(`${emu.url}/dataset/${ds.id}/resource/${res.id}/condensed.rtdc`, {
      redirect: "manual",
    });
    expect(c.headers.get("location")).toBe(res.s3_url.replace("/resource/", "/condensed/"));
    await c.arrayBuffer();
    const followed = await fetch(`${emu.url}/dataset/${ds.id}/resource/${res.id}/condensed.rtdc`);
    const bytes = await followed.arrayBuffer();
    expect(bytes.byteLength).toBe(
      await fs.stat(emu.catalog.resource(res.id)?.condensedPath as string).then((s) => s.size),
    );
  });

  it("presigns private downloads for members and answers 404 HTML otherwise", async () => {
    const ds = dataset("alice-private-patient-cohort");
    const res = ds.resources[0];
    const r = await fetch(res.url, {
      redirect: "manual",
      headers: { Authorization: token("bob") },
    });
    expect(r.status).toBe(302);
    const location = r.headers.get("location") as string;
    expect(location).toContain("X-Amz-Signature=");
    await r.arrayBuffer();
    const obj = await fetch(location);
    expect(obj.status).toBe(200);
    expect(obj.headers.get("content-disposition")).toBe(`attachment; filename = ${res.name}`);
    await obj.arrayBuffer();
    for (const headers of [
      {},
      { Authorization: token("eve") },
      { Authorization: "bogus" },
    ] as Record<string, string>[]) {
      const denied = await fetch(res.url, { redirect: "manual", headers });
      expect(denied.status).toBe(404);
      expect(denied.headers.get("content-type")).toContain("text/html");
      await denied.arrayBuffer();
    }
    const mismatch = await fetch(res.url.replace(ds.id, dataset("bob-jurkat-cells").id), {
      redirect: "manual",
      headers: { Authorization: token("alice") },
    });
    expect(mismatch.status).toBe(404);
    await mismatch.arrayBuffer();
  });

  it("serves a small dataset page", async () => {
    const r = await fetch(`${emu.url}/dataset/bob-jurkat-cells`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("Jurkat cells at low and high flow");
    const p = await fetch(`${emu.url}/dataset/alice-private-donor-a`);
    expect(p.status).toBe(404);
    await p.arrayBuffer();
  });
});

describe("replaceResourceFile", () => {
  it("changes size, sha256, etag and the served bytes", async () => {
    const ds = dataset("bob-jurkat-cells");
    const res = ds.resources[0];
    const other = emu.catalog.resource(dataset("alice-rbc-flow-series").resources[0].id);
    const bytes = new Uint8Array(await fs.readFile(other?.filePath as string));
    await emu.replaceResourceFile(res.id, bytes);
    const r = await fetch(`${emu.apiUrl}resource_show?id=${res.id}`);
    const now = ((await r.json()) as Json).result;
    expect(now.size).toBe(bytes.length);
    expect(now.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(now.etag).toBe(createHash("md5").update(bytes).digest("hex"));
    expect(now.sha256).not.toBe(res.sha256);
    expect(now["dc:experiment:sample"]).toBe("RBC donor 1");
    const served = Buffer.from(await (await fetch(now.s3_url)).arrayBuffer());
    expect(served.equals(Buffer.from(bytes))).toBe(true);
    await expect(emu.replaceResourceFile("nope", bytes)).rejects.toThrow(/no resource/);
  });

  it("honours If-Range: a stale ETag or date gets the whole new object (200), a current one 206", async () => {
    const res = dataset("bob-jurkat-cells").resources[1];
    const before = await fetch(res.s3_url, { method: "HEAD" });
    const oldEtag = before.headers.get("etag") as string;
    const oldDate = before.headers.get("last-modified") as string;
    expect(oldEtag).toBe(`"${res.etag}"`);
    // unchanged object: both validators match, the range applies
    for (const validator of [oldEtag, oldDate]) {
      const r = await fetch(res.s3_url, { headers: { Range: "bytes=0-9", "If-Range": validator } });
      expect(r.status).toBe(206);
      expect((await r.arrayBuffer()).byteLength).toBe(10);
    }
    // a weak tag never matches (strong comparison)
    const weak = await fetch(res.s3_url, {
      headers: { Range: "bytes=0-9", "If-Range": `W/${oldEtag}` },
    });
    expect(weak.status).toBe(200);
    await weak.arrayBuffer();

    const other = emu.catalog.resource(dataset("alice-rbc-flow-series").resources[1].id);
    const bytes = new Uint8Array(await fs.readFile(other?.filePath as string));
    await emu.replaceResourceFile(res.id, bytes);
    for (const validator of [oldEtag, oldDate]) {
      const r = await fetch(res.s3_url, {
        headers: { Range: "bytes=0-9", "If-Range": validator },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-range")).toBeNull();
      expect(r.headers.get("etag")).not.toBe(oldEtag);
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(Buffer.from(bytes))).toBe(true);
    }
    // the new validators match again; If-Range without Range is ignored
    const now = await fetch(res.s3_url, { method: "HEAD" });
    const fresh = await fetch(res.s3_url, {
      headers: { Range: "bytes=0-9", "If-Range": now.headers.get("etag") as string },
    });
    expect(fresh.status).toBe(206);
    expect(Buffer.from(await fresh.arrayBuffer()).equals(Buffer.from(bytes.subarray(0, 10)))).toBe(
      true,
    );
    const noRange = await fetch(res.s3_url, { headers: { "If-Range": oldEtag } });
    expect(noRange.status).toBe(200);
    expect((await noRange.arrayBuffer()).byteLength).toBe(bytes.length);
  });
});
