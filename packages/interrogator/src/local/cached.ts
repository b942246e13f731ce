import { InvalidOptionError } from "../errors.js";
import { APIInterrogator } from "../interrogator.js";
import type { Dataset, Group, InterrogatorAPI, Organization } from "../types.js";
import { defaultCacheDir, indexPath } from "./paths.js";
import { loadSqlite } from "./sqlite.js";
import { type LocalSearchOptions, type LocalSearchResult, LocalStore } from "./store.js";

/** Options of {@link CachedInterrogator.open}. */
export interface CachedInterrogatorOptions {
  /** The API client (e.g. `CKANAPI` of `@dcor/api`). */
  api: InterrogatorAPI;
  /** The online interrogator used for updates. @default new APIInterrogator(api) */
  interrogator?: APIInterrogator;
  /**
   * The user whose view of the server is indexed; `null` for anonymous. Give it to open an index
   * without network access.
   * @default the token's user (one `user_show` request), or `null` without a token
   */
  userName?: string | null;
  /**
   * Base cache directory; the index goes to `<cacheDir>/interrogator/<host>/<user>/index.sqlite`.
   * @default defaultCacheDir(): `$DCOR_CACHE_DIR`, else `$XDG_CACHE_HOME/dcor` or `~/.cache/dcor`
   */
  cacheDir?: string;
  /** The database file itself (overrides `cacheDir`). */
  path?: string;
  /**
   * An incremental update asks again for datasets modified this long before the newest one it
   * has seen, in case the server indexed a change late. Re-fetched datasets are just replaced.
   * @default 300000 (5 minutes)
   */
  overlapMs?: number;
  /** Circles updated at the same time. @default 4 */
  concurrency?: number;
}

/** Progress of {@link CachedInterrogator.update}. */
export interface UpdateProgress {
  /** The circle being fetched (`undefined` while listing circles). */
  circle: string | undefined;
  /** Circles finished so far. */
  circlesDone: number;
  /** Number of circles on the server. */
  circlesTotal: number;
  /** Datasets fetched (and stored) in this update so far. */
  fetched: number;
}

/** Options of {@link CachedInterrogator.update}. */
export interface UpdateOptions {
  /** Stops the update; what was stored so far stays and the next update resumes from there. */
  signal?: AbortSignal;
  /** Called after each stored page and each finished circle. */
  onProgress?: (progress: UpdateProgress) => void;
  /** Fetch every dataset again instead of only the changed ones. @default false */
  full?: boolean;
}

/** What an update did. */
export interface UpdateResult {
  /** Circles on the server. */
  circles: number;
  /** Datasets fetched from the server. */
  fetched: number;
  /** Datasets removed from the index (deleted on the server or no longer visible). */
  removed: number;
  /** Datasets in the index afterwards. */
  total: number;
}

const MS_PER_S = 1000;

/**
 * Runs `task` for every item, at most `limit` at a time. After the first failure no new task
 * starts; the running ones are awaited, then the first error is thrown.
 */
async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        signal?.throwIfAborted();
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** Parses a CKAN timestamp (UTC, usually without zone, microseconds) to epoch milliseconds. */
export function parseCkanTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(value);
  if (!m) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  const ms = (m[2] ?? "").padEnd(3, "0").slice(0, 3); // floor to milliseconds
  const t = Date.parse(`${m[1]}.${ms}${m[3] ?? "Z"}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A local, offline, instantly searchable copy of every dataset a user can see on a DCOR server,
 * kept in SQLite (FTS5) in the user's cache directory. Like DCOR-Aid's `CachedAPIInterrogator`,
 * {@link update} fetches only what changed since the last update of each circle; unlike it, the
 * progress is committed page by page, so an interrupted update resumes where it stopped.
 *
 * @example
 * ```ts
 * const local = await CachedInterrogator.open({ api });
 * await local.update({ onProgress: (p) => console.log(p.circle, p.fetched) });
 * const { count, datasets } = local.search({ query: "blood cel", circles: ["figshare-import"] });
 * local.close();
 * ```
 */
export class CachedInterrogator {
  /** The online interrogator used for updates. */
  readonly interrogator: APIInterrogator;
  /** The user whose view is indexed (`null` = anonymous). */
  readonly userName: string | null;
  /** The database file. */
  readonly path: string;
  readonly #store: LocalStore;
  readonly #overlapMs: number;
  readonly #concurrency: number;
  #updating: Promise<UpdateResult> | undefined;

  private constructor(
    store: LocalStore,
    interrogator: APIInterrogator,
    userName: string | null,
    overlapMs: number,
    concurrency: number,
  ) {
    this.#concurrency = concurrency;
    this.#store = store;
    this.interrogator = interrogator;
    this.userName = userName;
    this.path = store.path;
    this.#overlapMs = overlapMs;
  }

  /**
   * Opens (creating if needed) the index of the API's server and user. Rejects with
   * `SqliteUnavailableError` when better-sqlite3 is not installed.
   */
  static async open(options: CachedInterrogatorOptions): Promise<CachedInterrogator> {
    const overlapMs = options.overlapMs ?? 5 * 60 * MS_PER_S;
    if (!(overlapMs >= 0)) {
      throw new InvalidOptionError("overlapMs", `must be >= 0, got ${options.overlapMs}`);
    }
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidOptionError("concurrency", `must be an integer >= 1, got ${concurrency}`);
    }
    const Database = await loadSqlite();
    const interrogator = options.interrogator ?? new APIInterrogator(options.api);
    let userName = options.userName;
    if (userName === undefined) userName = (await interrogator.getUser())?.name ?? null;
    const path =
      options.path ??
      indexPath(options.cacheDir ?? defaultCacheDir(), options.api.server, userName);
    const store = LocalStore.open(Database, path, { server: options.api.server, user: userName });
    return new CachedInterrogator(store, interrogator, userName, overlapMs, concurrency);
  }

  /**
   * Brings the index up to date: lists the circles and collections, then for each circle fetches
   * the datasets modified since that circle's last stored page (all of them the first time), in
   * order of modification, committing each page together with the circle's new timestamp. If the
   * number of stored datasets of a circle then differs from the server's (deletions, lost or new
   * access), the circle is fetched in full and stale datasets are removed. Concurrent calls share
   * one run.
   */
  update(options: UpdateOptions = {}): Promise<UpdateResult> {
    if (!this.#updating) {
      this.#updating = this.#update(options).finally(() => {
        this.#updating = undefined;
      });
    }
    return this.#updating;
  }

  async #update(options: UpdateOptions): Promise<UpdateResult> {
    const { signal, onProgress } = options;
    const air = this.interrogator;
    const store = this.#store;
    const req = { signal, fresh: true };
    const user = await air.getUser(req);
    if (user) store.setMeta("user_id", user.id);
    const circles = await air.getCircles(req);
    const collections = await air.getCollections(req);
    const before = store.countDatasets();
    store.setCircles(circles);
    store.setCollections(collections);
    let removed = Math.max(0, before - store.countDatasets());
    let fetched = 0;
    const report = (circle: string | undefined, circlesDone: number) =>
      onProgress?.({ circle, circlesDone, circlesTotal: circles.length, fetched });
    report(undefined, 0);

    let circlesDone = 0;
    const sinceOf = (circle: Organization): number | undefined => {
      const state = store.circleState(circle.id);
      if (!state?.syncedUntil) return undefined;
      // An unfinished pass resumes exactly; a finished one looks back a little.
      return Date.parse(state.syncedUntil) - (state.complete ? this.#overlapMs : 0);
    };
    const markComplete = (list: readonly Organization[]) => {
      const now = new Date().toISOString();
      store.transaction(() => {
        for (const c of list) store.setCircleState(c.id, { complete: true, lastComplete: now });
      });
    };
    /** One circle on its own, from its timestamp (`full`: from the start). */
    const circlePass = async (circle: Organization, full: boolean, seen?: Set<string>) => {
      if (full) store.setCircleState(circle.id, { complete: false, syncedUntil: null });
      await this.#fetchPass(
        circle,
        [circle],
        full ? undefined : sinceOf(circle),
        signal,
        seen,
        (n) => {
          fetched += n;
          report(circle.name, circlesDone);
        },
      );
      // Everything of this circle up to now is stored, so it is synced at least as far as the
      // shared pass got: without this an old circle's own newest change would pull the next
      // shared pass far back.
      if (reference !== undefined) store.advanceCircles([circle.id], reference);
      markComplete([circle]);
    };
    let reference: string | undefined;

    if (options.full) {
      store.transaction(() => {
        for (const c of circles) store.setCircleState(c.id, { complete: false, syncedUntil: null });
      });
    }
    const known = circles.filter((c) => store.circleState(c.id)?.syncedUntil);
    const unknown = circles.filter((c) => !store.circleState(c.id)?.syncedUntil);

    // 1. What changed. The circles that have a timestamp share one pass over everything modified
    //    since the oldest of them (one request per 1000 changes, not one per circle); every stored
    //    page moves each of their timestamps on. A new index is one such pass from the start.
    //    Circles new to an existing index get a pass of their own.
    const shared = known.length > 0 ? known : unknown;
    const rest = known.length > 0 ? unknown : [];
    if (shared.length > 0) {
      let since: number | undefined;
      if (known.length > 0) {
        since = Math.min(...known.map((c) => sinceOf(c) ?? Number.POSITIVE_INFINITY));
      } else {
        store.transaction(() => {
          for (const c of shared) store.setCircleState(c.id, { complete: false });
        });
      }
      await this.#fetchPass(undefined, shared, since, signal, undefined, (n) => {
        fetched += n;
        report(undefined, circlesDone);
      });
      markComplete(shared);
      // the newest timestamp (ISO strings sort like the times they denote)
      reference = shared
        .map((c) => store.circleState(c.id)?.syncedUntil)
        .filter((t): t is string => typeof t === "string")
        .sort()
        .at(-1);
      circlesDone += shared.length;
      report(undefined, circlesDone);
    }
    await eachConcurrently(rest, this.#concurrency, signal, async (circle) => {
      await circlePass(circle, false);
      circlesDone++;
      report(circle.name, circlesDone);
    });

    // 2. one faceted search tells whether any circle still differs (datasets deleted, access
    //    lost or gained: none of these gives a newer timestamp); those are fetched in full.
    const counts = await air.countDatasetsByCircle(req);
    const differing = circles.filter(
      (c) => store.countDatasets(c.name) !== (counts.get(c.name) ?? 0),
    );
    await eachConcurrently(differing, this.#concurrency, signal, async (circle) => {
      const seen = new Set<string>();
      await circlePass(circle, true, seen);
      const stale = store.datasetIdsOfCircle(circle.name).filter((id) => !seen.has(id));
      removed += store.deleteDatasets(stale);
      report(circle.name, circlesDone);
    });
    store.setMeta("last_update", new Date().toISOString());
    return { circles: circles.length, fetched, removed, total: store.countDatasets() };
  }

  /**
   * Fetches the datasets modified at or after `since` (all if undefined) of one circle (or of all
   * circles), oldest change first. Each page is stored in one transaction that also moves the
   * timestamp of every circle in `covered` to the newest change seen: everything modified
   * between `since` and then has been stored.
   */
  async #fetchPass(
    circle: Organization | undefined,
    covered: readonly Organization[],
    since: number | undefined,
    signal: AbortSignal | undefined,
    seen: Set<string> | undefined,
    onPage: (n: number) => void,
  ): Promise<void> {
    const air = this.interrogator;
    const store = this.#store;
    const rows = air.pageSize;
    let watermark = since;
    let skip = 0;
    for (;;) {
      signal?.throwIfAborted();
      const page = await air.searchPage({
        circles: circle ? [circle.name] : undefined,
        since: watermark,
        sort: "metadata_modified asc",
        start: skip,
        rows,
        signal,
        fresh: true,
      });
      const results = page.datasets;
      if (results.length === 0) break;
      let newest = watermark;
      for (const ds of results) {
        const t = parseCkanTime(ds.metadata_modified);
        if (t !== undefined && (newest === undefined || t > newest)) newest = t;
        seen?.add(ds.id);
      }
      store.transaction(() => {
        store.upsertDatasets(results);
        if (newest !== undefined) {
          store.advanceCircles(
            covered.map((c) => c.id),
            new Date(newest).toISOString(),
          );
        }
      });
      onPage(results.length);
      if (skip + results.length >= page.count) break;
      // The next page starts at the newest time seen (the range is inclusive); the datasets of
      // this page with exactly that time come first again (Solr breaks ties by index order), so
      // they are skipped. A dataset changed meanwhile moves to the end and comes again later.
      const ties = results.filter((ds) => parseCkanTime(ds.metadata_modified) === newest).length;
      skip = newest === watermark ? skip + results.length : ties;
      watermark = newest;
    }
  }

  /** Full-text search over the index (synchronous, milliseconds); see {@link LocalSearchOptions}. */
  search(options: LocalSearchOptions = {}): LocalSearchResult {
    return this.#store.search(options);
  }

  /** A stored dataset by id or name. */
  getDataset(idOrName: string): Dataset | undefined {
    return this.#store.getDataset(idOrName);
  }

  /** The circles as of the last update. */
  getCircles(): Organization[] {
    return this.#store.circles();
  }

  /** The collections as of the last update. */
  getCollections(): Group[] {
    return this.#store.collections();
  }

  /** The user's own datasets from the index (`[]` for anonymous or before the first update). */
  getDatasetsUserOwned(): Dataset[] {
    const owner = this.#store.getMeta("user_id");
    if (!owner) return [];
    return this.#store.search({ owner, limit: 0, sort: "created" }).datasets;
  }

  /** When the last update finished, or `undefined` if none has. */
  get lastUpdate(): Date | undefined {
    const value = this.#store.getMeta("last_update");
    return value ? new Date(value) : undefined;
  }

  /** The number of datasets in the index. */
  get size(): number {
    return this.#store.countDatasets();
  }

  /** Update bookkeeping of a circle (for diagnostics and tests). */
  circleState(circleId: string) {
    return this.#store.circleState(circleId);
  }

  /** Closes the database. */
  close(): void {
    this.#store.close();
  }
}
