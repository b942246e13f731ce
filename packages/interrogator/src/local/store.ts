import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { InvalidOptionError } from "../errors.js";
import type { Dataset, Group, Organization } from "../types.js";
import { LocalIndexError } from "./errors.js";
import { type PrefixMode, toFtsQuery } from "./fts.js";
import type { SqliteConstructor, SqliteDatabase, SqliteStatement } from "./sqlite.js";

/** Bumped whenever the tables change; an index of another version is rebuilt (it is a cache). */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE circles (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  json TEXT NOT NULL,
  -- every dataset of the circle modified before this server time is stored
  synced_until TEXT,
  -- 1 once a pass over the circle has finished; 0 while a (first or resumed) pass is under way
  complete INTEGER NOT NULL DEFAULT 0,
  last_complete TEXT
);
CREATE TABLE collections (id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE datasets (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  circle_id TEXT,
  circle_name TEXT,
  creator_user_id TEXT,
  private INTEGER NOT NULL DEFAULT 0,
  metadata_created TEXT,
  metadata_modified TEXT
);
-- the dataset dictionaries, apart: small rows in "datasets" keep joins and scans fast
CREATE TABLE dataset_docs (rowid INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE INDEX datasets_name ON datasets (name);
CREATE INDEX datasets_created ON datasets (metadata_created);
CREATE INDEX datasets_circle ON datasets (circle_name, metadata_created);
CREATE INDEX datasets_creator ON datasets (creator_user_id);
CREATE TABLE dataset_collections (
  collection TEXT NOT NULL,
  dataset INTEGER NOT NULL,
  PRIMARY KEY (collection, dataset)
) WITHOUT ROWID;
CREATE INDEX dataset_collections_dataset ON dataset_collections (dataset);
CREATE VIRTUAL TABLE datasets_fts USING fts5(
  title, authors, notes, tags, names, resources, metadata,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '1 2 3'
);
`;

/** bm25 weights of the FTS columns, in their order: a title hit counts most. */
const BM25_WEIGHTS = [10, 6, 2, 5, 4, 3, 1] as const;

/** The searchable text of a dataset, one string per FTS column. */
export function ftsDocument(ds: Dataset): string[] {
  // Each distinct value once: repeats (the same chip region in every resource) would only make
  // the index bigger and slower without changing what matches.
  const join = (parts: unknown[]) =>
    [
      ...new Set(
        parts.filter((p) => typeof p === "string" || typeof p === "number").map((p) => String(p)),
      ),
    ].join(" ");
  const resources = ds.resources ?? [];
  const metadata: unknown[] = [];
  for (const res of resources) {
    for (const [key, value] of Object.entries(res)) {
      if (key.startsWith("dc:") || key.startsWith("sp:")) metadata.push(value);
    }
  }
  return [
    join([ds.title]),
    join([ds.authors]),
    join([ds.notes, ds.doi, ds.references, ds.license_title]),
    join((ds.tags ?? []).flatMap((t) => [t.display_name ?? t.name])),
    join([
      ds.name,
      ds.id,
      ds.organization?.name,
      ds.organization?.title,
      ...(ds.groups ?? []).flatMap((g) => [g.name, g.display_name ?? g.title]),
    ]),
    join(resources.flatMap((r) => [r.name, r.description])),
    join(metadata),
  ];
}

/** Sort orders of a local search. */
export type LocalSort = "relevance" | "created" | "modified" | "name";

/** Options of a local search. */
export interface LocalSearchOptions {
  /**
   * Free text: every word must be found (in title, authors, description, tags, names, resource
   * names or `dc:` metadata); FTS syntax characters are taken literally. Empty text lists all.
   * @default ""
   */
  query?: string;
  /**
   * Which words match longer words: `"last"` (as you type; not when the text ends with a space),
   * `"all"` or `"none"`.
   * @default "last"
   */
  prefix?: PrefixMode;
  /** Only datasets in one of these circles (names). */
  circles?: readonly string[];
  /** Only datasets in one of these collections (names). */
  collections?: readonly string[];
  /** With circles and collections: datasets in either (true) or both (false). @default false */
  circleCollectionUnion?: boolean;
  /** Only datasets created by this user id (`creator_user_id`). */
  owner?: string;
  /**
   * Order of the results; `"relevance"` (bm25) becomes `"created"` (newest first) for an empty
   * query.
   * @default "relevance"
   */
  sort?: LocalSort;
  /** Maximum number of datasets returned; 0 means all. @default 100 */
  limit?: number;
  /** Number of results to skip. @default 0 */
  offset?: number;
}

/** The answer of a local search. */
export interface LocalSearchResult {
  /** The number of matching datasets (regardless of `limit` and `offset`). */
  count: number;
  /** The datasets of the requested page. */
  datasets: Dataset[];
}

/** Update bookkeeping of one circle. */
export interface CircleState {
  id: string;
  name: string;
  syncedUntil: string | null;
  complete: boolean;
  lastComplete: string | null;
}

interface CircleRow {
  id: string;
  name: string;
  json: string;
  synced_until: string | null;
  complete: number;
  last_complete: string | null;
}

/** Identity of an index: it belongs to one server and one user. */
export interface IndexIdentity {
  server: string;
  user: string | null;
}

/**
 * The SQLite database of the local index: tables for circles, collections and datasets plus an
 * FTS5 table over their text. Synchronous (better-sqlite3); the network side lives in
 * `CachedInterrogator`.
 */
export class LocalStore {
  readonly path: string;
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement>();

  private constructor(db: SqliteDatabase, path: string) {
    this.#db = db;
    this.path = path;
  }

  /** Opens (creating or rebuilding as needed) the index at `path` for `identity`. */
  static open(Database: SqliteConstructor, path: string, identity: IndexIdentity): LocalStore {
    let db: SqliteDatabase;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: 10_000 });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    } catch (error) {
      throw new LocalIndexError("cannot open the local index", path, { cause: error });
    }
    try {
      const store = new LocalStore(db, path);
      store.#migrate(identity);
      return store;
    } catch (error) {
      db.close();
      if (error instanceof LocalIndexError) throw error;
      throw new LocalIndexError("cannot set up the local index", path, { cause: error });
    }
  }

  #migrate(identity: IndexIdentity): void {
    const db = this.#db;
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .get();
    if (hasMeta) {
      const meta = Object.fromEntries(
        (db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map(
          (r) => [r.key, r.value],
        ),
      );
      if (meta.server !== undefined && meta.server !== identity.server) {
        throw new LocalIndexError(`this index belongs to ${meta.server}`, this.path);
      }
      if (meta.user !== undefined && meta.user !== (identity.user ?? "")) {
        throw new LocalIndexError("this index belongs to another user", this.path);
      }
      if (meta.schema === String(SCHEMA_VERSION)) return;
    }
    // New, or an older layout: a cache is simply rebuilt.
    db.transaction(() => {
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type IN ('table') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'datasets_fts_%'",
        )
        .all() as { name: string }[];
      for (const { name } of tables) db.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
      db.exec(SCHEMA);
      const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      setMeta.run("schema", String(SCHEMA_VERSION));
      setMeta.run("server", identity.server);
      setMeta.run("user", identity.user ?? "");
    })();
  }

  #prepare(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare<unknown[]>(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** A value of the `meta` table. */
  getMeta(key: string): string | undefined {
    const row = this.#prepare("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }

  /** Inserts or replaces datasets (their row, collections and searchable text). */
  upsertDatasets(datasets: readonly Dataset[]): void {
    const find = this.#prepare("SELECT rowid FROM datasets WHERE id = ?");
    const insert = this.#prepare(
      `INSERT INTO datasets (id, name, circle_id, circle_name, creator_user_id, private,
         metadata_created, metadata_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const update = this.#prepare(
      `UPDATE datasets SET name = ?, circle_id = ?, circle_name = ?, creator_user_id = ?,
         private = ?, metadata_created = ?, metadata_modified = ? WHERE rowid = ?`,
    );
    const setDoc = this.#prepare("INSERT OR REPLACE INTO dataset_docs (rowid, json) VALUES (?, ?)");
    const clearCollections = this.#prepare("DELETE FROM dataset_collections WHERE dataset = ?");
    const addCollection = this.#prepare(
      "INSERT OR IGNORE INTO dataset_collections (collection, dataset) VALUES (?, ?)",
    );
    const clearText = this.#prepare("DELETE FROM datasets_fts WHERE rowid = ?");
    const addText = this.#prepare(
      `INSERT INTO datasets_fts (rowid, title, authors, notes, tags, names, resources, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      for (const ds of datasets) {
        const fields = [
          ds.name,
          ds.owner_org ?? ds.organization?.id ?? null,
          ds.organization?.name ?? null,
          ds.creator_user_id ?? null,
          ds.private ? 1 : 0,
          ds.metadata_created ?? null,
          ds.metadata_modified ?? null,
        ];
        const existing = find.get(ds.id) as { rowid: number } | undefined;
        let rowid: number;
        if (existing) {
          rowid = existing.rowid;
          update.run(...fields, rowid);
          clearCollections.run(rowid);
          clearText.run(rowid);
        } else {
          rowid = Number(insert.run(ds.id, ...fields).lastInsertRowid);
        }
        setDoc.run(rowid, JSON.stringify(ds));
        for (const g of ds.groups ?? []) addCollection.run(g.name, rowid);
        addText.run(rowid, ...ftsDocument(ds));
      }
    });
  }

  /** Removes datasets by id. */
  deleteDatasets(ids: Iterable<string>): number {
    const find = this.#prepare("SELECT rowid FROM datasets WHERE id = ?");
    const del = this.#prepare("DELETE FROM datasets WHERE rowid = ?");
    const delCollections = this.#prepare("DELETE FROM dataset_collections WHERE dataset = ?");
    const delText = this.#prepare("DELETE FROM datasets_fts WHERE rowid = ?");
    const delDoc = this.#prepare("DELETE FROM dataset_docs WHERE rowid = ?");
    let n = 0;
    this.transaction(() => {
      for (const id of ids) {
        const row = find.get(id) as { rowid: number } | undefined;
        if (!row) continue;
        del.run(row.rowid);
        delCollections.run(row.rowid);
        delText.run(row.rowid);
        delDoc.run(row.rowid);
        n++;
      }
    });
    return n;
  }

  /** Ids of the stored datasets of a circle. */
  datasetIdsOfCircle(circleName: string): string[] {
    return (
      this.#prepare("SELECT id FROM datasets WHERE circle_name = ?").all(circleName) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /** Number of stored datasets, of one circle or in all. */
  countDatasets(circleName?: string): number {
    const row = (
      circleName === undefined
        ? this.#prepare("SELECT count(*) AS n FROM datasets").get()
        : this.#prepare("SELECT count(*) AS n FROM datasets WHERE circle_name = ?").get(circleName)
    ) as { n: number };
    return row.n;
  }

  /** Replaces the stored circles, keeping the update state of those still there. */
  setCircles(circles: readonly Organization[]): void {
    const upsert = this.#prepare(
      `INSERT INTO circles (id, name, json) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, json = excluded.json`,
    );
    this.transaction(() => {
      const keep = new Set(circles.map((c) => c.id));
      for (const row of this.#prepare("SELECT id, name FROM circles").all() as CircleRow[]) {
        if (keep.has(row.id)) continue;
        // The circle is gone (or no longer visible): so are its datasets.
        this.deleteDatasets(this.datasetIdsOfCircle(row.name));
        this.#prepare("DELETE FROM circles WHERE id = ?").run(row.id);
      }
      for (const c of circles) upsert.run(c.id, c.name, JSON.stringify(c));
    });
  }

  /** Replaces the stored collections. */
  setCollections(collections: readonly Group[]): void {
    this.transaction(() => {
      this.#prepare("DELETE FROM collections").run();
      const insert = this.#prepare(
        "INSERT OR REPLACE INTO collections (id, name, json) VALUES (?, ?, ?)",
      );
      for (const g of collections) insert.run(g.id, g.name, JSON.stringify(g));
    });
  }

  /** The stored circles, by name. */
  circles(): Organization[] {
    return (
      this.#prepare("SELECT json FROM circles ORDER BY name").all() as { json: string }[]
    ).map((r) => JSON.parse(r.json) as Organization);
  }

  /** The stored collections, by name. */
  collections(): Group[] {
    return (
      this.#prepare("SELECT json FROM collections ORDER BY name").all() as { json: string }[]
    ).map((r) => JSON.parse(r.json) as Group);
  }

  /** Update bookkeeping of a circle. */
  circleState(id: string): CircleState | undefined {
    const row = this.#prepare("SELECT * FROM circles WHERE id = ?").get(id) as
      | CircleRow
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      syncedUntil: row.synced_until,
      complete: row.complete === 1,
      lastComplete: row.last_complete,
    };
  }

  /** Sets the update bookkeeping of a circle (call inside the transaction storing the page). */
  setCircleState(id: string, state: Partial<Omit<CircleState, "id" | "name">>): void {
    if (state.syncedUntil !== undefined) {
      this.#prepare("UPDATE circles SET synced_until = ? WHERE id = ?").run(state.syncedUntil, id);
    }
    if (state.complete !== undefined) {
      this.#prepare("UPDATE circles SET complete = ? WHERE id = ?").run(state.complete ? 1 : 0, id);
    }
    if (state.lastComplete !== undefined) {
      this.#prepare("UPDATE circles SET last_complete = ? WHERE id = ?").run(
        state.lastComplete,
        id,
      );
    }
  }

  /** Moves the timestamps of these circles forward to `syncedUntil` (never backward). */
  advanceCircles(ids: readonly string[], syncedUntil: string): void {
    // ISO timestamps from toISOString() order like the times they denote.
    this.#prepare(
      `UPDATE circles SET synced_until = ?
       WHERE id IN (SELECT value FROM json_each(?)) AND (synced_until IS NULL OR synced_until < ?)`,
    ).run(syncedUntil, JSON.stringify(ids), syncedUntil);
  }

  /** A stored dataset by id or name. */
  getDataset(idOrName: string): Dataset | undefined {
    const row = this.#prepare(
      `SELECT j.json FROM datasets d JOIN dataset_docs j ON j.rowid = d.rowid
       WHERE d.id = ? OR d.name = ? LIMIT 1`,
    ).get(idOrName, idOrName) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as Dataset) : undefined;
  }

  /** Full-text search with filters; see {@link LocalSearchOptions}. */
  search(options: LocalSearchOptions = {}): LocalSearchResult {
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new InvalidOptionError("limit", `must be an integer >= 0, got ${limit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new InvalidOptionError("offset", `must be an integer >= 0, got ${offset}`);
    }
    const prefix = options.prefix ?? "last";
    if (!["last", "all", "none"].includes(prefix)) {
      throw new InvalidOptionError("prefix", `must be "last", "all" or "none", got ${prefix}`);
    }
    const sort = options.sort ?? "relevance";
    const orders: Record<LocalSort, string> = {
      relevance: `bm25(datasets_fts, ${BM25_WEIGHTS.join(", ")}), d.metadata_created DESC`,
      created: "d.metadata_created DESC, d.name",
      modified: "d.metadata_modified DESC, d.name",
      name: "d.name",
    };
    if (!(sort in orders)) {
      throw new InvalidOptionError("sort", `must be one of ${Object.keys(orders).join(", ")}`);
    }

    const match = toFtsQuery(options.query ?? "", prefix);
    const where: string[] = [];
    const params: unknown[] = [];
    if (match !== undefined) {
      where.push("datasets_fts MATCH ?");
      params.push(match);
    }
    const circleClause = options.circles?.length
      ? "d.circle_name IN (SELECT value FROM json_each(?))"
      : undefined;
    const collectionClause = options.collections?.length
      ? `EXISTS (SELECT 1 FROM dataset_collections c WHERE c.dataset = d.rowid
           AND c.collection IN (SELECT value FROM json_each(?)))`
      : undefined;
    if (circleClause && collectionClause) {
      where.push(
        `(${circleClause} ${options.circleCollectionUnion ? "OR" : "AND"} ${collectionClause})`,
      );
      params.push(JSON.stringify(options.circles), JSON.stringify(options.collections));
    } else if (circleClause) {
      where.push(circleClause);
      params.push(JSON.stringify(options.circles));
    } else if (collectionClause) {
      where.push(collectionClause);
      params.push(JSON.stringify(options.collections));
    }
    if (options.owner !== undefined) {
      where.push("d.creator_user_id = ?");
      params.push(options.owner);
    }
    const from =
      match !== undefined
        ? "datasets_fts JOIN datasets d ON d.rowid = datasets_fts.rowid"
        : "datasets d";
    const whereSql = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const order = match === undefined && sort === "relevance" ? orders.created : orders[sort];
    // Without filters the FTS table alone can count.
    const countFrom = match !== undefined && where.length === 1 ? "datasets_fts" : from;
    const count = this.#prepare(`SELECT count(*) FROM ${countFrom} ${whereSql}`)
      .pluck()
      .get(...params) as number;
    if (count === 0 || offset >= count) return { count, datasets: [] };
    // Rank and sort row ids only: sorting rows with their JSON would move megabytes.
    const rowids = this.#prepare(
      `SELECT d.rowid AS rid FROM ${from} ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`,
    )
      .pluck()
      .all(...params, limit === 0 ? -1 : limit, offset) as number[];
    const json = this.#prepare("SELECT json FROM dataset_docs WHERE rowid = ?").pluck();
    return { count, datasets: rowids.map((rid) => JSON.parse(json.get(rid) as string) as Dataset) };
  }

  /** Closes the database; the store cannot be used afterwards. */
  close(): void {
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }
}
