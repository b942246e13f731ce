import { APIAuthorizationError } from "@dcor/api";
import { startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIInterrogator } from "./interrogator.js";
import { apiFor, ids, inCircle, inCollection, type TruthDataset, userId } from "./test-support.js";

let emu: Awaited<ReturnType<typeof startEmulator>>;
const truth = (user: string | null): TruthDataset[] =>
  emu.catalog.visibleDatasets(user) as unknown as TruthDataset[];
const air = (user: string | null, options = {}) => new APIInterrogator(apiFor(emu, user), options);
const USERS = [null, "alice", "bob", "eve"] as const;

beforeAll(async () => {
  emu = await startEmulator({});
});
afterAll(async () => {
  await emu?.close();
});

describe("APIInterrogator.searchDatasets on the sample catalog", () => {
  it.each(USERS)("lists what %s may see (limit 0 = all)", async (user) => {
    const expected = truth(user);
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(await air(user).searchDatasets({ limit: 0 }))).toEqual(ids(expected));
  });

  it("includes private datasets only with a token that may see them", async () => {
    const priv = truth("alice").filter((d) => d.private);
    expect(priv.length).toBeGreaterThan(0);
    const anon = ids(await air(null).searchDatasets({ limit: 0 }));
    for (const d of priv) expect(anon).not.toContain(d.id);
    // bob sees alice's private datasets through the shared collection
    const bobPrivate = truth("bob").filter(
      (d) => d.private && inCollection(["shared-collection"])(d),
    );
    expect(bobPrivate.length).toBeGreaterThan(0);
    const bob = ids(
      await air("bob").searchDatasets({ collections: ["shared-collection"], limit: 0 }),
    );
    for (const d of bobPrivate) expect(bob).toContain(d.id);
    const eve = ids(await air("eve").searchDatasets({ limit: 0 }));
    for (const d of bobPrivate) expect(eve).not.toContain(d.id);
  });

  it.each(USERS)("filters by each circle for %s", async (user) => {
    for (const circle of emu.catalog.circles) {
      const got = await air(user).searchDatasets({ circles: [circle.name], limit: 0 });
      expect(ids(got)).toEqual(ids(truth(user).filter(inCircle([circle.name]))));
    }
  });

  it.each(USERS)("filters by each collection for %s", async (user) => {
    for (const coll of emu.catalog.collections) {
      const got = await air(user).searchDatasets({ collections: [coll.name], limit: 0 });
      expect(ids(got)).toEqual(ids(truth(user).filter(inCollection([coll.name]))));
    }
  });

  it.each(USERS)("combines circles and collections (AND, union) for %s", async (user) => {
    const circles = emu.catalog.circles.map((c) => c.name).slice(0, 2);
    const collections = emu.catalog.collections.map((c) => c.name).slice(0, 2);
    const both = await air(user).searchDatasets({ circles, collections, limit: 0 });
    expect(ids(both)).toEqual(
      ids(truth(user).filter((d) => inCircle(circles)(d) && inCollection(collections)(d))),
    );
    const either = await air(user).searchDatasets({
      circles,
      collections,
      circleCollectionUnion: true,
      limit: 0,
    });
    expect(ids(either)).toEqual(
      ids(truth(user).filter((d) => inCircle(circles)(d) || inCollection(collections)(d))),
    );
  });

  it("sorts by metadata_created desc by default and honours start/limit", async () => {
    const all = await air("alice").searchDatasets({ limit: 0 });
    const created = all.map((d) => d.metadata_created);
    expect([...created].sort().reverse()).toEqual(created);
    const page = await air("alice").searchDatasets({ start: 1, limit: 2 });
    expect(page.map((d) => d.id)).toEqual(all.slice(1, 3).map((d) => d.id));
    const byName = await air("alice").searchDatasets({ sort: "name asc", limit: 0 });
    expect(byName.map((d) => d.name)).toEqual(all.map((d) => d.name).sort());
  });

  it("finds datasets modified since a time (touchDataset)", async () => {
    const target = truth("alice").filter((d) => d.private)[0]!;
    const since = new Date(Date.now() - 1000);
    emu.touchDataset(target.id);
    const got = await air("alice").searchDatasets({ since, limit: 0 });
    expect(ids(got)).toEqual([target.id]);
    expect(await air(null).searchDatasets({ since, limit: 0 })).toEqual([]); // private
    const old = new Date("2020-01-01T00:00:00Z");
    const expected = truth("alice").filter(
      (d) => Date.parse(`${d.metadata_modified}Z`) >= old.getTime(),
    );
    expect(ids(await air("alice").searchDatasets({ since: old, limit: 0 }))).toEqual(ids(expected));
  });

  it("treats Solr special characters in the query as text", async () => {
    const special = '+ - && || ! ( ) { } [ ] ^ " ~ * ? : \\ /';
    const plain = await air(null).searchDatasets({ query: "HL60", limit: 0 });
    expect(plain.length).toBeGreaterThan(0);
    for (const q of [`HL60 ${special}`, `(HL60)`, `"HL60`, `HL60:`, `HL60 -`, `!HL60`]) {
      const got = await air(null).searchDatasets({ query: q, limit: 0 });
      expect(ids(got), q).toEqual(ids(plain));
    }
    // a field name typed by the user is just a word (and none of the datasets has it)
    expect(await air(null).searchDatasets({ query: "title:HL60", limit: 0 })).toEqual([]);
    // only special characters: no words, so everything
    expect(ids(await air(null).searchDatasets({ query: special, limit: 0 }))).toEqual(
      ids(truth(null)),
    );
    // an injection attempt cannot reach private data or other circles
    const injected = await air(null).searchDatasets({
      query: "x) OR organization:(alice-lab",
      limit: 0,
    });
    expect(injected.filter(inCircle(["alice-lab"]))).toEqual([]);
  });

  it("splits long circle and collection lists into queries of at most 20 names", async () => {
    const fakes = Array.from({ length: 45 }, (_, i) => `no-such-circle-${i}`);
    const circles = [
      ...fakes.slice(0, 30),
      ...emu.catalog.circles.map((c) => c.name),
      ...fakes.slice(30),
    ];
    emu.stats.reset();
    const got = await air("alice").searchDatasets({ circles, limit: 0 });
    expect(ids(got)).toEqual(ids(truth("alice")));
    const searches = emu.stats.snapshot().log.filter((l) => l.path.includes("package_search"));
    expect(searches.length).toBeGreaterThanOrEqual(3);
    for (const s of searches) {
      const fq = new URL(s.path, emu.url).searchParams.get("fq") ?? "";
      expect((fq.match(/organization:/g) ?? []).length).toBeLessThanOrEqual(20);
      expect(s.status).toBe(200);
    }
    // collections: overlapping parts are merged without duplicates, in sort order
    const colls = [
      ...fakes.map((f) => f.replace("circle", "coll")),
      ...emu.catalog.collections.map((c) => c.name),
    ];
    const merged = await air("bob").searchDatasets({ collections: colls, limit: 0 });
    expect(ids(merged)).toEqual(ids(truth("bob").filter(inCollection(colls))));
    const created = merged.map((d) => d.metadata_created);
    expect([...created].sort().reverse()).toEqual(created);
    const limited = await air("bob").searchDatasets({ collections: colls, start: 1, limit: 2 });
    expect(limited.map((d) => d.id)).toEqual(merged.slice(1, 3).map((d) => d.id));
    const union = await air("bob").searchDatasets({
      circles,
      collections: colls,
      circleCollectionUnion: true,
      limit: 0,
    });
    expect(ids(union)).toEqual(ids(truth("bob")));
  });

  it("iterates split queries without duplicates, honouring start and limit", async () => {
    const fakes = Array.from({ length: 25 }, (_, i) => `no-such-coll-${i}`);
    const colls = [...fakes, ...emu.catalog.collections.map((c) => c.name)];
    const expected = ids(truth("bob").filter(inCollection(colls)));
    const seen: string[] = [];
    for await (const ds of air("bob").iterateDatasets({ collections: colls })) seen.push(ds.id);
    expect([...seen].sort()).toEqual(expected);
    const window: string[] = [];
    for await (const ds of air("bob").iterateDatasets({ collections: colls, start: 1, limit: 2 })) {
      window.push(ds.id);
    }
    expect(window).toEqual(seen.slice(1, 3));
  });

  it("rejects bad options with typed errors before any request", async () => {
    await expect(air(null).searchDatasets({ limit: -1 })).rejects.toMatchObject({
      code: "DCOR_INVALID_OPTION",
    });
    await expect(air(null).searchDatasets({ sort: "name desc&q=x" })).rejects.toMatchObject({
      code: "DCOR_INVALID_OPTION",
    });
  });

  it("rejects with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(air(null).searchDatasets({ signal: controller.signal })).rejects.toBe(reason);
  });
});

describe("APIInterrogator listings", () => {
  it("lists all circles and collections, paging past small caps", async () => {
    for (const listPageSize of [1, 2, 25]) {
      const a = air(null, { listPageSize });
      expect((await a.getCircles()).map((c) => c.name).sort()).toEqual(
        emu.catalog.circles.map((c) => c.name).sort(),
      );
      expect((await a.getCollections()).map((c) => c.name).sort()).toEqual(
        emu.catalog.collections.map((c) => c.name).sort(),
      );
    }
  });

  it("lists users for a logged-in user and refuses anonymous", async () => {
    const users = await air("alice").getUsers();
    expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(["alice", "bob", "eve"]));
    for (const u of users) expect(u.fullname.length).toBeGreaterThan(0);
    await expect(air(null).getUsers()).rejects.toBeInstanceOf(APIAuthorizationError);
  });

  it("returns no user datasets for anonymous", async () => {
    const a = air(null);
    expect(await a.getUser()).toBeNull();
    expect(await a.getDatasetsUserOwned()).toEqual([]);
    expect(await a.getDatasetsUserShared()).toEqual([]);
    expect(await a.getDatasetsUserFollowing()).toEqual([]);
    expect(await a.getDatasetsUser()).toEqual([]);
  });

  it("lists the datasets a user follows", async () => {
    const api = apiFor(emu, "eve");
    const target = truth("eve")[0]!;
    await api.post("follow_dataset", { id: target.id });
    const a = new APIInterrogator(api);
    expect(ids(await a.getDatasetsUserFollowing())).toEqual([target.id]);
    expect(ids(await a.getDatasetsUser())).toContain(target.id);
    await api.post("unfollow_dataset", { id: target.id });
    expect(await a.getDatasetsUserFollowing()).toEqual([]);
  });

  it("lists owned, shared and all datasets of a user like DCOR-Aid", async () => {
    for (const user of ["alice", "bob", "eve"]) {
      const a = air(user);
      const uid = userId(emu, user);
      const owned = await a.getDatasetsUserOwned();
      expect(ids(owned)).toEqual(ids(truth(user).filter((d) => d.creator_user_id === uid)));
      const shared = await a.getDatasetsUserShared();
      for (const d of truth(user).filter((x) => x.creator_user_id !== uid)) {
        expect(ids(shared)).toContain(d.id);
      }
      for (const d of shared)
        expect(d.creator_user_id === uid && !owned.some((o) => o.id === d.id)).toBe(false);
      const following = await a.getDatasetsUserFollowing();
      const everything = await a.getDatasetsUser();
      expect(ids(everything)).toEqual(
        ids(new Map([...owned, ...shared, ...following].map((d) => [d.id, d])).values()),
      );
    }
  });
});
