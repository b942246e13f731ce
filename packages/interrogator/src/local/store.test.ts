import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Dataset } from "../types.js";
import { LocalIndexError } from "./errors.js";
import { ftsWords, toFtsQuery } from "./fts.js";
import { loadSqlite } from "./sqlite.js";
import { LocalStore } from "./store.js";

function dataset(n: number, extra: Partial<Dataset> = {}): Dataset {
  const circle = n % 2 === 0 ? "alpha" : "beta";
  return {
    id: `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`,
    name: `dataset-${n}`,
    title: `Measurement ${n}`,
    authors: "Jane Doe",
    notes: "Plain description",
    owner_org: `org-${circle}`,
    organization: { id: `org-${circle}`, name: circle, title: circle.toUpperCase() },
    groups: n % 3 === 0 ? [{ id: "g1", name: "blood-study", display_name: "Blood study" }] : [],
    tags: [],
    resources: [
      {
        id: `r${n}`,
        name: `M${n}_data.rtdc`,
        mimetype: "RT-DC",
        "dc:setup:chip region": "channel",
      },
    ],
    private: false,
    creator_user_id: n < 5 ? "user-a" : "user-b",
    metadata_created: `2024-01-${String((n % 28) + 1).padStart(2, "0")}T10:00:00.000000`,
    metadata_modified: "2024-02-01T10:00:00.000000",
    ...extra,
  } as unknown as Dataset;
}

describe("toFtsQuery", () => {
  it("quotes words and prefixes the last one while typing", () => {
    expect(toFtsQuery("blood cel")).toBe('"blood" "cel"*');
    expect(toFtsQuery("blood cel ")).toBe('"blood" "cel"');
    expect(toFtsQuery("blood cel", "none")).toBe('"blood" "cel"');
    expect(toFtsQuery("blood cel", "all")).toBe('"blood"* "cel"*');
  });
  it("drops FTS syntax characters and keeps operator words literal", () => {
    expect(toFtsQuery('NEAR(a b) OR "x* -y ^z:w')).toBe('"NEAR" "a" "b" "OR" "x" "y" "z" "w"*');
    expect(toFtsQuery('+-&|!(){}[]^"~*?:\\/')).toBeUndefined();
    expect(toFtsQuery("   ")).toBeUndefined();
  });
  it("splits words like unicode61 does", () => {
    expect(ftsWords("calibration_beads-47 Zellgröße")).toEqual([
      "calibration",
      "beads",
      "47",
      "Zellgröße",
    ]);
  });
});

describe("LocalStore", () => {
  let dir: string;
  let store: LocalStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcor-store-"));
    store = LocalStore.open(await loadSqlite(), join(dir, "sub", "index.sqlite"), {
      server: "http://x",
      user: "alice",
    });
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores, replaces and deletes datasets", () => {
    store.upsertDatasets([dataset(1), dataset(2)]);
    expect(store.countDatasets()).toBe(2);
    store.upsertDatasets([dataset(1, { title: "Renamed" } as Partial<Dataset>)]);
    expect(store.countDatasets()).toBe(2);
    expect(store.getDataset("dataset-1")!.title).toBe("Renamed");
    expect(store.search({ query: "Renamed" }).count).toBe(1);
    expect(store.search({ query: "Measurement" }).count).toBe(1);
    expect(store.deleteDatasets([dataset(1).id, "unknown"])).toBe(1);
    expect(store.search({ query: "Renamed" }).count).toBe(0);
    expect(store.getDataset(dataset(2).id)!.name).toBe("dataset-2");
  });

  it("lists everything for an empty query, newest first, with limit and offset", () => {
    store.upsertDatasets(Array.from({ length: 20 }, (_, i) => dataset(i)));
    const all = store.search({ limit: 0 });
    expect(all.count).toBe(20);
    expect(all.datasets).toHaveLength(20);
    const created = all.datasets.map((d) => d.metadata_created!);
    expect([...created].sort().reverse()).toEqual(created);
    const page = store.search({ limit: 5, offset: 15 });
    expect(page.count).toBe(20);
    expect(page.datasets.map((d) => d.id)).toEqual(all.datasets.slice(15).map((d) => d.id));
    expect(store.search({ query: "!!! ()" }).count).toBe(20);
  });

  it("searches every text field, ranks title hits first and matches prefixes", () => {
    store.upsertDatasets([
      dataset(1, { title: "HL60 cells", notes: "" } as Partial<Dataset>),
      dataset(2, { title: "Other", notes: "Some HL60 cells appear here" } as Partial<Dataset>),
      dataset(3, { authors: "Paul Müller" } as Partial<Dataset>),
      dataset(4, {
        tags: [{ name: "erythrocytes", display_name: "erythrocytes" }],
      } as Partial<Dataset>),
    ]);
    const hits = store.search({ query: "hl60" });
    expect(hits.datasets.map((d) => d.name)).toEqual(["dataset-1", "dataset-2"]);
    expect(store.search({ query: "mueller" }).count).toBe(0);
    expect(store.search({ query: "muller" }).datasets.map((d) => d.name)).toEqual(["dataset-3"]);
    expect(store.search({ query: "eryth" }).datasets.map((d) => d.name)).toEqual(["dataset-4"]);
    expect(store.search({ query: "eryth ", prefix: "last" }).count).toBe(0);
    expect(store.search({ query: "M3_data" }).datasets.map((d) => d.name)).toEqual(["dataset-3"]);
    expect(store.search({ query: "channel" }).count).toBe(4); // dc: metadata
    expect(store.search({ query: "beta" }).count).toBe(2); // circle name
    expect(store.search({ query: 'cells" *' }).count).toBe(2);
    expect(store.search({ query: "hl60 OR erythrocytes" }).count).toBe(0); // OR is a word
    expect(store.search({ query: "NEAR(hl60" }).count).toBe(0);
  });

  it("filters by circle, collection (AND / union) and owner", () => {
    store.upsertDatasets(Array.from({ length: 12 }, (_, i) => dataset(i)));
    expect(store.search({ circles: ["alpha"], limit: 0 }).count).toBe(6);
    expect(store.search({ circles: ["alpha", "beta"] }).count).toBe(12);
    expect(store.search({ collections: ["blood-study"] }).count).toBe(4); // 0 3 6 9
    expect(store.search({ circles: ["alpha"], collections: ["blood-study"] }).count).toBe(2); // 0 6
    expect(
      store.search({
        circles: ["alpha"],
        collections: ["blood-study"],
        circleCollectionUnion: true,
      }).count,
    ).toBe(8); // 6 alpha + 3, 9
    expect(store.search({ owner: "user-a" }).count).toBe(5);
    expect(store.search({ owner: "user-a", query: "Measurement 3" }).count).toBe(1);
    expect(store.search({ collections: ["nope"] }).count).toBe(0);
  });

  it("keeps circle state and removes datasets of vanished circles", () => {
    store.setCircles([
      { id: "org-alpha", name: "alpha" },
      { id: "org-beta", name: "beta" },
    ] as never);
    store.upsertDatasets(Array.from({ length: 6 }, (_, i) => dataset(i)));
    store.setCircleState("org-alpha", { syncedUntil: "2024-02-01T10:00:00.000Z", complete: true });
    store.setCircles([{ id: "org-alpha", name: "alpha" }] as never);
    expect(store.circleState("org-alpha")).toMatchObject({
      complete: true,
      syncedUntil: "2024-02-01T10:00:00.000Z",
    });
    expect(store.circleState("org-beta")).toBeUndefined();
    expect(store.countDatasets()).toBe(3);
    expect(store.countDatasets("alpha")).toBe(3);
  });

  it("refuses an index of another server or user and survives reopening", async () => {
    const path = store.path;
    store.upsertDatasets([dataset(1)]);
    store.close();
    const Database = await loadSqlite();
    expect(() => LocalStore.open(Database, path, { server: "http://y", user: "alice" })).toThrow(
      LocalIndexError,
    );
    expect(() => LocalStore.open(Database, path, { server: "http://x", user: null })).toThrow(
      LocalIndexError,
    );
    store = LocalStore.open(Database, path, { server: "http://x", user: "alice" });
    expect(store.countDatasets()).toBe(1);
  });

  it("refuses a file that is not an index with a typed error and leaves it alone", async () => {
    const path = join(dir, "not-a-db.sqlite");
    const { writeFile, readFile } = await import("node:fs/promises");
    await writeFile(path, "these are my notes, not a database ".repeat(200));
    const Database = await loadSqlite();
    expect(() => LocalStore.open(Database, path, { server: "http://x", user: null })).toThrow(
      LocalIndexError,
    );
    expect(await readFile(path, "utf8")).toMatch(/^these are my notes/);
  });

  it("rejects bad options with typed errors", () => {
    expect(() => store.search({ limit: -1 })).toThrow(/limit/);
    expect(() => store.search({ sort: "score; DROP TABLE x" as never })).toThrow(/sort/);
  });
});

describe("loadSqlite", () => {
  it("gives a typed error when the module is missing", async () => {
    await expect(loadSqlite("better-sqlite3-not-installed")).rejects.toMatchObject({
      code: "DCOR_SQLITE_UNAVAILABLE",
    });
  });
});
