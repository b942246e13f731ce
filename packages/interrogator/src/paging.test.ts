import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIInterrogator } from "./interrogator.js";
import { CachedInterrogator } from "./local/index.js";
import { apiFor, ids, inCircle, inCollection, type TruthDataset } from "./test-support.js";

// 10,000 synthetic datasets (plus the sample catalog): paging edge cases and bulk listing.
let emu: Awaited<ReturnType<typeof startEmulator>>;
// visibleDatasets() deep-copies the whole catalog: compute it once per user (nothing changes here).
const truthCache = new Map<string | null, TruthDataset[]>();
const truth = (user: string | null): TruthDataset[] => {
  let list = truthCache.get(user);
  if (!list) {
    list = emu.catalog.visibleDatasets(user) as unknown as TruthDataset[];
    truthCache.set(user, list);
  }
  return list;
};

beforeAll(async () => {
  emu = await startEmulator({
    synthetic: 10_000,
    users: [{ name: "root", token: "root-token-for-tests-0000", sysadmin: true }],
  });
}, 300_000);
afterAll(async () => {
  await emu?.close();
});

// The emulator answers a 1000-row page of this catalog in about half a second: generous timeouts.
describe("paging over 10,000 datasets", { timeout: 300_000 }, () => {
  it.each([null, "alice", "root"])("lists all with limit 0 for %s", async (user) => {
    const expected = truth(user);
    // anonymous sees the public part only; a sysadmin sees every active dataset
    expect(expected.length).toBeGreaterThan(user === "root" ? 9000 : 5000);
    const got = await new APIInterrogator(apiFor(emu, user)).searchDatasets({ limit: 0 });
    expect(got.length).toBe(expected.length);
    expect(ids(got)).toEqual(ids(expected));
  });

  it.each([1, 999, 1000, 1001, 2500])(
    "returns exactly limit=%i datasets, in order",
    async (limit) => {
      const a = new APIInterrogator(apiFor(emu, null));
      const got = await a.searchDatasets({ limit });
      expect(got.length).toBe(limit);
      expect(new Set(got.map((d) => d.id)).size).toBe(limit);
      const created = got.map((d) => d.metadata_created!);
      expect([...created].sort().reverse()).toEqual(created);
      // the same as the first `limit` of one sequential listing
      const reference = await new APIInterrogator(apiFor(emu, null), {
        concurrency: 1,
      }).searchDatasets({
        limit: 2600,
      });
      expect(got.map((d) => d.id)).toEqual(reference.slice(0, limit).map((d) => d.id));
    },
  );

  it("pages with start across page boundaries", async () => {
    const a = new APIInterrogator(apiFor(emu, null));
    const head = await a.searchDatasets({ limit: 2100 });
    for (const [start, limit] of [
      [0, 1],
      [998, 3],
      [999, 1],
      [1000, 1001],
      [1999, 2],
    ] as const) {
      const got = await a.searchDatasets({ start, limit });
      expect(got.map((d) => d.id)).toEqual(head.slice(start, start + limit).map((d) => d.id));
    }
    const total = truth(null).length;
    expect(await a.searchDatasets({ start: total - 1, limit: 5 })).toHaveLength(1);
    expect(await a.searchDatasets({ start: total + 10, limit: 5 })).toEqual([]);
  });

  it("iterates everything with any concurrency, in the same order, and a server rows cap", async () => {
    const api = apiFor(emu, null);
    const sequential: string[] = [];
    for await (const ds of new APIInterrogator(api, { concurrency: 1 }).iterateDatasets()) {
      sequential.push(ds.id);
    }
    expect([...sequential].sort()).toEqual(ids(truth(null)));
    const concurrent: string[] = [];
    for await (const ds of new APIInterrogator(api, { concurrency: 6 }).iterateDatasets()) {
      concurrent.push(ds.id);
    }
    expect(concurrent).toEqual(sequential);
    // asking for more rows than the server's cap (1000) still gets everything
    const big = new APIInterrogator(api, { pageSize: 1500 });
    expect(ids(await big.searchDatasets({ limit: 0 }))).toEqual(ids(truth(null)));
    const bigIter: string[] = [];
    for await (const ds of big.iterateDatasets({ limit: 2500 })) bigIter.push(ds.id);
    expect(bigIter).toEqual(sequential.slice(0, 2500));
  });

  it("stops fetching when the consumer breaks out early", async () => {
    const api = apiFor(emu, null);
    emu.stats.reset();
    let n = 0;
    for await (const _ of new APIInterrogator(api, { concurrency: 2 }).iterateDatasets()) {
      if (++n === 1500) break;
    }
    const searches = emu.stats.snapshot().log.filter((l) => l.path.includes("package_search"));
    // first page + the 2 prefetched after each consumed page, far fewer than all 11
    expect(searches.length).toBeLessThanOrEqual(5);
  });

  it.each([null, "alice"])(
    "matches the ground truth per collection, union and since for %s",
    async (user) => {
      const a = new APIInterrogator(apiFor(emu, user));
      for (const g of emu.catalog.collections) {
        expect(await a.countDatasets({ collections: [g.name] })).toBe(
          truth(user).filter(inCollection([g.name])).length,
        );
      }
      const circles = emu.catalog.circles.slice(0, 5).map((c) => c.name);
      const collections = emu.catalog.collections.slice(0, 2).map((c) => c.name);
      const union = await a.searchDatasets({
        circles,
        collections,
        circleCollectionUnion: true,
        limit: 0,
      });
      expect(ids(union)).toEqual(
        ids(truth(user).filter((d) => inCircle(circles)(d) || inCollection(collections)(d))),
      );
      const both = await a.searchDatasets({ circles, collections, limit: 0 });
      expect(ids(both)).toEqual(
        ids(truth(user).filter((d) => inCircle(circles)(d) && inCollection(collections)(d))),
      );
      // since: touch a few visible datasets at one instant; only they are that new
      await new Promise((resolve) => setTimeout(resolve, 5)); // after any earlier touch
      const since = new Date();
      const touched = truth(user)
        .slice(100, 103)
        .map((d) => d.id);
      for (const id of touched) emu.touchDataset(id, since.toISOString());
      expect(ids(await a.searchDatasets({ since, limit: 0 }))).toEqual([...touched].sort());
    },
  );

  it("counts per circle like the ground truth", async () => {
    const a = new APIInterrogator(apiFor(emu, "alice"));
    for (const circle of emu.catalog.circles) {
      expect(await a.countDatasets({ circles: [circle.name] })).toBe(
        truth("alice").filter(inCircle([circle.name])).length,
      );
    }
    expect(await a.countDatasets()).toBe(truth("alice").length);
    const byCircle = await a.countDatasetsByCircle();
    for (const circle of emu.catalog.circles) {
      expect(byCircle.get(circle.name) ?? 0).toBe(
        truth("alice").filter(inCircle([circle.name])).length,
      );
    }
  });
});

describe("local index of 10,000 datasets", { timeout: 300_000 }, () => {
  it("resumes an interrupted first update and then matches the ground truth", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dcor-paging-local-"));
    const local = await CachedInterrogator.open({ api: apiFor(emu, "alice"), cacheDir: dir });
    try {
      const controller = new AbortController();
      let pages = 0;
      await expect(
        local.update({
          signal: controller.signal,
          onProgress: (p) => {
            if (p.fetched > 0 && ++pages === 3) controller.abort(new Error("interrupted"));
          },
        }),
      ).rejects.toThrow("interrupted");
      const partial = local.size;
      expect(partial).toBeGreaterThan(0);
      const resumed = await local.update();
      expect(resumed.total).toBe(truth("alice").length);
      // the pages stored before the interruption were not fetched again
      expect(resumed.fetched).toBeLessThan(truth("alice").length - partial + 100);
      for (const c of emu.catalog.circles) {
        expect(local.search({ circles: [c.name], limit: 0 }).count).toBe(
          truth("alice").filter(inCircle([c.name])).length,
        );
      }
      for (const g of emu.catalog.collections) {
        expect(local.search({ collections: [g.name] }).count).toBe(
          truth("alice").filter(inCollection([g.name])).length,
        );
      }
      // ranked search over the whole index: every hit has the word, title hits first
      const word = (local.search({ limit: 1 }).datasets[0]!.title ?? "")
        .split(/\W+/)
        .find((w) => w.length > 3)!;
      const hits = local.search({ query: word, limit: 0 });
      expect(hits.count).toBeGreaterThan(0);
      const inTitle = hits.datasets.map((d) =>
        (d.title ?? "").toLowerCase().includes(word.toLowerCase()),
      );
      expect(
        inTitle.indexOf(false) === -1 || inTitle.lastIndexOf(true) < inTitle.indexOf(false),
      ).toBe(true);
    } finally {
      local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
