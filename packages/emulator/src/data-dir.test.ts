import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, sharedDataDir, startEmulator } from "./index.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;
const shared = sharedDataDir();
const rtdcDir = shared ? path.join(shared, "rtdc") : undefined;
const ready = !!rtdcDir && fs.existsSync(rtdcDir);
if (!ready)
  console.warn("data-dir.test.ts: skipped, shared/data/rtdc not found (set DCOR_SHARED_DATA)");

describe.skipIf(!ready)("dataDir: serving real files", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ sample: false, dataDir: rtdcDir });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("serves every .rtdc file below the folder as a dataset, with dc:* metadata", async () => {
    const files = fs
      .readdirSync(rtdcDir as string, { recursive: true })
      .filter((f) => String(f).endsWith(".rtdc"));
    expect(emu.catalog.datasets).toHaveLength(files.length);
    const reference = JSON.parse(
      fs.readFileSync(path.join(rtdcDir as string, "reference.json"), "utf8"),
    ).files;
    for (const [name, ref] of Object.entries<Json>(reference)) {
      const ds = emu.catalog.datasets.find((d) => (d.resources as Json[])[0].name === name) as Json;
      expect(ds, name).toBeDefined();
      const res = ds.resources[0];
      expect(res["dc:experiment:event count"], name).toBe(ref.event_count);
      expect(res.size).toBe(fs.statSync(emu.catalog.resource(res.id)?.filePath as string).size);
      const r = await fetch(`${emu.apiUrl}dcserv?id=${res.id}&query=basins&version=2`);
      const basins = ((await r.json()) as Json).result;
      expect(basins[1].features, name).toEqual(ref.features?.innate ?? ref.features_innate);
    }
  });

  it("makes condensed copies holding scalar features only", async () => {
    const ds = emu.catalog.datasets.find(
      (d) => (d.resources as Json[])[0].name === "wide_channel_issue_212.rtdc",
    ) as Json;
    const r = await fetch(`${emu.apiUrl}dcserv?id=${ds.resources[0].id}&query=basins&version=2`);
    const [condensed, resource] = ((await r.json()) as Json).result;
    expect(resource.features).toContain("image");
    expect(condensed.features).not.toContain("image");
    expect(condensed.features).not.toContain("trace");
    expect(condensed.features).toContain("deform");
    const c = await fetch(condensed.urls[0]);
    expect(c.status).toBe(200);
    expect((await c.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});

describe("synthetic catalogs", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ sample: false, synthetic: 10_000 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("creates N datasets over several circles, collections, owners and private flags", async () => {
    const all = emu.catalog.datasets;
    expect(all).toHaveLength(10_000);
    expect(new Set(all.map((d) => (d.organization as Json).name)).size).toBeGreaterThan(20);
    expect(new Set(all.map((d) => d.creator_user_id)).size).toBe(2);
    expect(all.some((d) => d.private)).toBe(true);
    expect(all.some((d) => (d.groups as Json[]).length > 0)).toBe(true);
    const r = await fetch(`${emu.apiUrl}package_search?q=*:*&rows=1`);
    const anon = ((await r.json()) as Json).result.count;
    expect(anon).toBe(emu.catalog.visibleDatasets(null).length);
    expect(anon).toBeLessThan(10_000);
  });

  it("is deterministic for a seed", async () => {
    const again = await startEmulator({ sample: false, synthetic: 50 });
    try {
      const a = again.catalog.datasets.map((d) => [d.id, d.name, d.private]);
      const b = emu.catalog.datasets.slice(0, 50).map((d) => [d.id, d.name, d.private]);
      expect(a).toEqual(b);
    } finally {
      await again.close();
    }
  });
});
