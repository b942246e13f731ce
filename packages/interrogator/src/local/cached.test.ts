import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIInterrogator } from "../interrogator.js";
import { apiFor, ids, inCircle, inCollection, type TruthDataset, userId } from "../test-support.js";
import { CachedInterrogator, parseCkanTime } from "./cached.js";
import { defaultCacheDir, indexPath } from "./paths.js";

let emu: Awaited<ReturnType<typeof startEmulator>>;
let dir: string;
const truth = (user: string | null): TruthDataset[] =>
  emu.catalog.visibleDatasets(user) as unknown as TruthDataset[];

beforeAll(async () => {
  emu = await startEmulator({});
  dir = await mkdtemp(join(tmpdir(), "dcor-cached-"));
});
afterAll(async () => {
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(
  user: string | null,
  options: { pageSize?: number; overlapMs?: number; sub?: string } = {},
) {
  const api = apiFor(emu, user);
  return CachedInterrogator.open({
    api,
    interrogator: new APIInterrogator(api, { pageSize: options.pageSize ?? 1000 }),
    cacheDir: join(dir, options.sub ?? "default"),
    overlapMs: options.overlapMs ?? 0,
  });
}

describe("CachedInterrogator on the sample catalog", () => {
  it.each([null, "alice", "bob", "eve"])(
    "indexes what %s may see, in a per-user file",
    async (user) => {
      const local = await open(user);
      try {
        expect(local.path).toBe(indexPath(join(dir, "default"), emu.url, user));
        const result = await local.update();
        expect(result.total).toBe(truth(user).length);
        expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth(user)));
        expect(
          local
            .getCircles()
            .map((c) => c.name)
            .sort(),
        ).toEqual(emu.catalog.circles.map((c) => c.name).sort());
        expect(local.lastUpdate).toBeInstanceOf(Date);
      } finally {
        local.close();
      }
    },
  );

  it("filters by circle, collection and owner like the ground truth", async () => {
    const local = await open("bob");
    try {
      await local.update();
      for (const c of emu.catalog.circles) {
        expect(ids(local.search({ circles: [c.name], limit: 0 }).datasets)).toEqual(
          ids(truth("bob").filter(inCircle([c.name]))),
        );
      }
      for (const g of emu.catalog.collections) {
        expect(ids(local.search({ collections: [g.name], limit: 0 }).datasets)).toEqual(
          ids(truth("bob").filter(inCollection([g.name]))),
        );
      }
      const uid = userId(emu, "bob");
      expect(ids(local.getDatasetsUserOwned())).toEqual(
        ids(truth("bob").filter((d) => d.creator_user_id === uid)),
      );
      expect(ids(local.search({ owner: uid, limit: 0 }).datasets)).toEqual(
        ids(local.getDatasetsUserOwned()),
      );
    } finally {
      local.close();
    }
  });

  it("ranks full-text hits, matches prefixes and takes FTS syntax literally", async () => {
    const local = await open("alice");
    try {
      await local.update();
      const hl60 = local.search({ query: "HL60" });
      expect(hl60.count).toBeGreaterThan(0);
      expect(hl60.datasets[0]!.title).toMatch(/HL60/i);
      expect(local.search({ query: "hl6" }).count).toBe(hl60.count); // as you type
      expect(local.search({ query: "müller" }).count).toBe(local.search({ query: "muller" }).count);
      expect(local.search({ query: 'HL60 "NEAR( * ^ -:' }).count).toBeLessThanOrEqual(hl60.count);
      expect(local.search({ query: "HL60 AND OR NOT" }).count).toBe(0); // operator words are words
      // resource names and dc: metadata are searchable too
      expect(local.search({ query: "M001_data" }).count).toBeGreaterThan(0);
    } finally {
      local.close();
    }
  });

  it("fetches only what changed on the next update", async () => {
    const local = await open("alice", { sub: "incremental" });
    try {
      const first = await local.update();
      expect(first.fetched).toBe(truth("alice").length);
      const again = await local.update();
      // only the newest dataset of each circle comes again (the watermark is inclusive)
      expect(again.fetched).toBeLessThanOrEqual(emu.catalog.circles.length);
      const target = truth("alice")[0]!;
      const when = new Date(Date.now() - 1000).toISOString();
      emu.touchDataset(target.id, when);
      const third = await local.update();
      expect(third.fetched).toBeLessThanOrEqual(emu.catalog.circles.length + 1);
      expect(parseCkanTime(local.getDataset(target.id)!.metadata_modified)).toBe(Date.parse(when));
      expect(third.total).toBe(truth("alice").length);
      // concurrent calls share one run; full: true fetches everything again
      const [a, b] = [local.update({ full: true }), local.update()];
      expect(await a).toBe(await b);
      expect((await a).fetched).toBeGreaterThanOrEqual(truth("alice").length);
    } finally {
      local.close();
    }
  });

  it("resumes an interrupted update without fetching everything again", async () => {
    const local = await open("alice", { sub: "resume", pageSize: 2 });
    const total = truth("alice").length;
    const controller = new AbortController();
    let pages = 0;
    await expect(
      local.update({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.fetched > 0 && ++pages === 2) controller.abort(new Error("interrupted"));
        },
      }),
    ).rejects.toThrow("interrupted");
    const stored = local.size;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(total);
    const unfinished = local.getCircles().map((c) => local.circleState(c.id)!);
    expect(unfinished.some((s) => !s.complete && s.syncedUntil !== null)).toBe(true);
    const resumed = await local.update();
    expect(resumed.total).toBe(total);
    expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth("alice")));
    // resumed from the watermark: what was stored is not fetched again (ties aside)
    expect(resumed.fetched).toBeLessThan(total + emu.catalog.circles.length);
    for (const c of local.getCircles()) expect(local.circleState(c.id)!.complete).toBe(true);
    local.close();
  });

  it("notices lost and gained access without newer timestamps and prunes", async () => {
    // The same index file seen first with alice's access, then with bob's (as if alice had lost
    // her memberships), then with alice's again (access regained): no dataset changed its
    // metadata_modified, so only the count check can tell.
    const path = join(dir, "access", "index.sqlite");
    const as = async (user: string) => {
      const api = apiFor(emu, user);
      return CachedInterrogator.open({ api, userName: "alice", path, overlapMs: 0 });
    };
    let local = await as("alice");
    await local.update();
    expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth("alice")));
    local.close();
    expect(ids(truth("bob"))).not.toEqual(ids(truth("alice")));
    local = await as("bob");
    const lost = await local.update();
    expect(lost.removed).toBeGreaterThan(0);
    expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth("bob")));
    local.close();
    local = await as("alice");
    await local.update();
    expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth("alice")));
    local.close();
  });

  it("gives a circle that is new to an existing index a pass of its own", async () => {
    const api = apiFor(emu, "alice");
    const hidden = emu.catalog.circles[0]!.name;
    let hide = true;
    // a client that does not list one circle on the first update (as if it were created later)
    const filtered = {
      server: api.server,
      hasApiKey: api.hasApiKey,
      getUserDict: (o?: object) => api.getUserDict(o),
      get: async <T>(
        action: string,
        params?: Record<string, string | number | boolean>,
        o?: object,
      ) => {
        const result = await api.get<T>(action, params, o);
        if (hide && action === "organization_list" && Array.isArray(result)) {
          return result.filter((c: { name: string }) => c.name !== hidden) as T;
        }
        return result;
      },
    };
    const local = await CachedInterrogator.open({
      api: filtered,
      userName: "alice",
      path: join(dir, "new-circle", "index.sqlite"),
      overlapMs: 0,
    });
    try {
      await local.update();
      expect(local.getCircles().map((c) => c.name)).not.toContain(hidden);
      hide = false;
      emu.stats.reset();
      await local.update();
      const searches = emu.stats
        .snapshot()
        .log.filter((l) => l.path.includes("package_search"))
        .map((l) => new URL(l.path, emu.url).searchParams.get("fq") ?? "");
      expect(searches.some((fq) => fq.includes(`organization:${hidden}`))).toBe(true);
      const circle = local.getCircles().find((c) => c.name === hidden)!;
      expect(local.circleState(circle.id)!.complete).toBe(true);
      expect(ids(local.search({ circles: [hidden], limit: 0 }).datasets)).toEqual(
        ids(truth("alice").filter(inCircle([hidden]))),
      );
      expect(local.size).toBe(truth("alice").length);
      // the circle's own (older) newest change does not pull the next shared pass back
      const after = await local.update();
      expect(after.fetched).toBeLessThanOrEqual(1);
    } finally {
      local.close();
    }
  });

  it("keeps what it stored when the server fails mid-update, and completes the next time", async () => {
    const local = await open("bob", { sub: "server-error", pageSize: 2 });
    let armed = false;
    try {
      await expect(
        local.update({
          onProgress: (p) => {
            if (p.fetched > 0 && !armed) {
              armed = true;
              emu.faults.add({ route: "api", action: "package_search", status: 500, times: 1 });
            }
          },
        }),
      ).rejects.toMatchObject({ code: "DCOR_SERVER_ERROR" });
      expect(local.size).toBeGreaterThan(0);
      expect(local.size).toBeLessThan(truth("bob").length);
      const done = await local.update();
      expect(done.total).toBe(truth("bob").length);
      expect(ids(local.search({ limit: 0 }).datasets)).toEqual(ids(truth("bob")));
    } finally {
      emu.faults.clear();
      local.close();
    }
  });

  it("reopens an index offline with a given user name", async () => {
    const local = await open("eve", { sub: "offline" });
    await local.update();
    const n = local.size;
    local.close();
    const offline = await CachedInterrogator.open({
      api: {
        server: emu.url,
        hasApiKey: true,
        get: () => Promise.reject(new Error("offline")),
        getUserDict: () => Promise.reject(new Error("offline")),
      },
      userName: "eve",
      cacheDir: join(dir, "offline"),
    });
    expect(offline.size).toBe(n);
    expect(offline.search({ query: "" }).count).toBe(n);
    await expect(offline.update()).rejects.toThrow("offline");
    expect(offline.size).toBe(n);
    offline.close();
  });
});

describe("defaultCacheDir", () => {
  it("honours DCOR_CACHE_DIR and XDG_CACHE_HOME", () => {
    expect(defaultCacheDir({ DCOR_CACHE_DIR: "/x/y" })).toBe("/x/y");
    if (process.platform === "linux") {
      expect(defaultCacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/dcor");
      expect(defaultCacheDir({ XDG_CACHE_HOME: "relative" })).toMatch(/\.cache\/dcor$/);
    }
  });
  it("keeps server and user names file-safe", () => {
    expect(indexPath("/base", "http://127.0.0.1:5000", "a/../b")).toBe(
      "/base/interrogator/127.0.0.1_5000/a_.._b/index.sqlite",
    );
    expect(indexPath("/base", "https://dcor.mpl.mpg.de", null)).toBe(
      "/base/interrogator/dcor.mpl.mpg.de/anonymous/index.sqlite",
    );
  });
});
