import { InvalidOptionError, UnexpectedResponseError } from "./errors.js";
import {
  datasetComparator,
  escapeSolrText,
  type FilterParts,
  parseSort,
  planFilterQueries,
} from "./solr.js";
import type {
  Dataset,
  Group,
  InterrogatorAPI,
  Organization,
  PackageSearchResult,
  QueryValue,
  RequestOptions,
  User,
} from "./types.js";

/** The `get` options for a request. */
function callOptions(options: RequestOptions): { signal?: AbortSignal; cache?: boolean } {
  return options.fresh ? { signal: options.signal, cache: false } : { signal: options.signal };
}

/** Options of {@link APIInterrogator}. */
export interface APIInterrogatorOptions {
  /**
   * Rows per `package_search` request. CKAN clamps larger values silently to its
   * `ckan.search.rows_max` (1000); a smaller clamp is detected and followed.
   * @default 1000
   */
  pageSize?: number;
  /**
   * How many pages after the first are fetched at the same time when listing many datasets.
   * 1 gives DCOR-Aid's sequential loop.
   * @default 4
   */
  concurrency?: number;
  /**
   * At most this many circles or collections are named in one query; longer lists are split and
   * the results merged (DCOR-Aid uses 20 to avoid "414 URI too long").
   * @default 20
   */
  chunkSize?: number;
  /**
   * Items per `organization_list` / `group_list` request with `all_fields`. CKAN caps these at 25
   * by default (`ckan.group_and_organization_list_all_fields_max`); paging goes past the cap.
   * @default 25
   */
  listPageSize?: number;
}

/** Options of {@link APIInterrogator.searchDatasets} and {@link APIInterrogator.iterateDatasets}. */
export interface SearchOptions extends FilterParts, RequestOptions {
  /**
   * Free text to search for. It is escaped, so any characters are allowed and match literally;
   * empty text matches every dataset.
   * @default ""
   */
  query?: string;
  /**
   * Solr sort. Results of split queries (long circle/collection lists) are merged in this order,
   * except for relevance (`score`), where they are concatenated.
   * @default "metadata_created desc"
   */
  sort?: string;
  /** Number of results to skip. @default 0 */
  start?: number;
  /** Maximum number of results; 0 means all. @default 100 (searchDatasets), 0 (iterateDatasets) */
  limit?: number;
}

/** Options of {@link APIInterrogator.iterateDatasets}. */
export interface IterateOptions extends SearchOptions {
  /** Pages fetched at the same time; overrides the interrogator's `concurrency`. */
  concurrency?: number;
}

/** Options of {@link APIInterrogator.getUsers}. */
export interface GetUsersOptions extends RequestOptions {
  /** Only users whose name or full name contain this text. @default "" */
  query?: string;
  /** Maximum number of users (`user_autocomplete` returns 20 unless told otherwise). @default 1000 */
  limit?: number;
}

/** A user as listed by {@link APIInterrogator.getUsers}. */
export interface UserSummary {
  id: string;
  name: string;
  /** The full name, or the name when the user has none. */
  fullname: string;
}

function checkInteger(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** Datasets in order, each id once. */
function dedupe(datasets: Iterable<Dataset>): Dataset[] {
  const seen = new Set<string>();
  const out: Dataset[] = [];
  for (const ds of datasets) {
    if (seen.has(ds.id)) continue;
    seen.add(ds.id);
    out.push(ds);
  }
  return out;
}

/** A query as sent to `package_search`, before paging. */
interface PlannedQuery {
  q: string;
  fq: string;
  sort: string;
}

/**
 * Searches and lists DCOR datasets, circles, collections and users through the CKAN API, like
 * DCOR-Aid's `APIInterrogator`, but with escaped user text, concurrent paging, split long
 * circle/collection lists and paging past CKAN's list caps.
 *
 * @example
 * ```ts
 * const air = new APIInterrogator(new CKANAPI({ server: "dcor.mpl.mpg.de" }));
 * const hits = await air.searchDatasets({ query: "reference data", circles: ["figshare-import"] });
 * for await (const ds of air.iterateDatasets({ collections: ["x"] })) console.log(ds.name);
 * ```
 */
export class APIInterrogator {
  /** The API client used for every request. */
  readonly api: InterrogatorAPI;
  readonly #pageSize: number;
  readonly #concurrency: number;
  readonly #chunkSize: number;
  readonly #listPageSize: number;
  #user: Promise<User | null> | undefined;

  constructor(api: InterrogatorAPI, options: APIInterrogatorOptions = {}) {
    this.api = api;
    this.#pageSize = checkInteger("pageSize", options.pageSize ?? 1000, 1);
    this.#concurrency = checkInteger("concurrency", options.concurrency ?? 4, 1);
    this.#chunkSize = checkInteger("chunkSize", options.chunkSize ?? 20, 1);
    this.#listPageSize = checkInteger("listPageSize", options.listPageSize ?? 25, 1);
  }

  /** Rows per `package_search` request. */
  get pageSize(): number {
    return this.#pageSize;
  }

  /**
   * The user the API token belongs to (fetched once, then remembered), or `null` without a token.
   */
  async getUser(options: RequestOptions = {}): Promise<User | null> {
    if (!this.api.hasApiKey) return null;
    if (!this.#user) {
      this.#user = this.api.getUserDict(callOptions(options));
      // A failed lookup must not be remembered.
      this.#user.catch(() => {
        this.#user = undefined;
      });
    }
    return this.#user;
  }

  #plan(options: SearchOptions): PlannedQuery[] {
    const sort = options.sort ?? "metadata_created desc";
    parseSort(sort);
    const q = escapeSolrText(options.query ?? "");
    return planFilterQueries(options, this.#chunkSize).map((fq) => ({ q, fq, sort }));
  }

  async #fetchPage(
    query: PlannedQuery,
    start: number,
    rows: number,
    request: RequestOptions,
  ): Promise<PackageSearchResult> {
    const params: Record<string, QueryValue> = {
      q: query.q,
      sort: query.sort,
      start,
      rows,
      include_private: this.api.hasApiKey,
    };
    if (query.fq) params.fq = query.fq;
    const result = await this.api.get<PackageSearchResult>(
      "package_search",
      params,
      callOptions(request),
    );
    if (!result || typeof result.count !== "number" || !Array.isArray(result.results)) {
      throw new UnexpectedResponseError("package_search", "no `count` and `results`");
    }
    return result;
  }

  /**
   * Yields the pages of one query from `start`, at most `limit` datasets (0 = all). The first page
   * tells the total; the others are then fetched `concurrency` at a time and yielded in order.
   */
  async *#pages(
    query: PlannedQuery,
    start: number,
    limit: number,
    concurrency: number,
    request: RequestOptions,
  ): AsyncGenerator<Dataset[]> {
    const signal = request.signal;
    const pageSize = this.#pageSize;
    const firstRows = limit === 0 ? pageSize : Math.min(pageSize, limit);
    const first = await this.#fetchPage(query, start, firstRows, request);
    const end = limit === 0 ? first.count : Math.min(first.count, start + limit);
    const firstResults = first.results.slice(0, Math.max(0, end - start));
    yield firstResults;
    if (firstResults.length === 0) return;
    let offset = start + firstResults.length;
    if (offset >= end) return;
    // A server with a lower rows cap than ours answers full pages of its own size.
    const step = Math.min(pageSize, first.results.length);

    const controller = new AbortController();
    const pageSignal = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    const pending: Promise<PackageSearchResult>[] = [];
    const schedule = () => {
      while (pending.length < concurrency && offset < end) {
        const rows = Math.min(step, end - offset);
        const page = this.#fetchPage(query, offset, rows, { ...request, signal: pageSignal });
        page.catch(() => {}); // observed when awaited; avoids unhandled rejections on early exit
        pending.push(page);
        offset += rows;
      }
    };
    try {
      schedule();
      while (pending.length > 0) {
        const page = await pending.shift()!;
        schedule();
        yield page.results;
      }
    } finally {
      // The consumer stopped early or a page failed: cancel what is still in flight.
      if (pending.length > 0) controller.abort();
    }
  }

  /**
   * One `package_search` request: the datasets from `start` (at most `rows`, further clamped by
   * the server) and the total `count`. The circle and collection lists must fit into one query
   * (`chunkSize`); use {@link searchDatasets} or {@link iterateDatasets} for anything longer.
   */
  async searchPage(
    options: Omit<SearchOptions, "limit"> & { rows?: number },
  ): Promise<{ count: number; datasets: Dataset[] }> {
    const start = checkInteger("start", options.start ?? 0, 0);
    const rows = checkInteger("rows", options.rows ?? this.#pageSize, 0);
    const plans = this.#plan(options);
    if (plans.length !== 1) {
      throw new InvalidOptionError(
        "circles",
        `searchPage takes at most ${this.#chunkSize} circles and ${this.#chunkSize} collections`,
      );
    }
    const page = await this.#fetchPage(plans[0]!, start, rows, options);
    return { count: page.count, datasets: page.results };
  }

  /**
   * Searches datasets with DCOR-Aid's Solr queries and returns them de-duplicated by id.
   * Private datasets the user may see are included when the API has a token.
   *
   * @example
   * ```ts
   * const all = await air.searchDatasets({ circles: ["figshare-import"], limit: 0 }); // 0 = all
   * ```
   */
  async searchDatasets(options: SearchOptions = {}): Promise<Dataset[]> {
    const start = checkInteger("start", options.start ?? 0, 0);
    const limit = checkInteger("limit", options.limit ?? 100, 0);
    const plans = this.#plan(options);
    const concurrency = this.#concurrency;
    if (plans.length === 1) {
      const out: Dataset[] = [];
      for await (const page of this.#pages(plans[0]!, start, limit, concurrency, options)) {
        out.push(...page);
      }
      return dedupe(out);
    }
    // Split query: each part must deliver everything up to start+limit before merging.
    const perPlanLimit = limit === 0 ? 0 : start + limit;
    const merged: Dataset[] = [];
    for (const plan of plans) {
      for await (const page of this.#pages(plan, 0, perPlanLimit, concurrency, options)) {
        merged.push(...page);
      }
    }
    const compare = datasetComparator(parseSort(plans[0]!.sort));
    if (compare) merged.sort(compare); // stable: equal keys keep query order
    const unique = dedupe(merged);
    return unique.slice(start, limit === 0 ? undefined : start + limit);
  }

  /**
   * Streams the datasets of a search, de-duplicated by id. Pages after the first are fetched
   * with bounded concurrency while earlier ones are consumed; breaking out of the loop cancels the
   * requests still running. With split queries (long circle/collection lists) datasets come part
   * by part, each part in `sort` order.
   */
  async *iterateDatasets(options: IterateOptions = {}): AsyncGenerator<Dataset, void, undefined> {
    const start = checkInteger("start", options.start ?? 0, 0);
    const limit = checkInteger("limit", options.limit ?? 0, 0);
    const concurrency = checkInteger("concurrency", options.concurrency ?? this.#concurrency, 1);
    const plans = this.#plan(options);
    const seen = new Set<string>();
    if (plans.length === 1) {
      for await (const page of this.#pages(plans[0]!, start, limit, concurrency, options)) {
        for (const ds of page) {
          if (seen.has(ds.id)) continue;
          seen.add(ds.id);
          yield ds;
        }
      }
      return;
    }
    let skipped = 0;
    let yielded = 0;
    // Each part must deliver everything up to start+limit of the merged stream.
    const perPlanLimit = limit === 0 ? 0 : start + limit;
    for (const plan of plans) {
      for await (const page of this.#pages(plan, 0, perPlanLimit, concurrency, options)) {
        for (const ds of page) {
          if (seen.has(ds.id)) continue;
          seen.add(ds.id);
          if (skipped < start) {
            skipped++;
            continue;
          }
          yield ds;
          if (limit !== 0 && ++yielded >= limit) return;
        }
      }
    }
  }

  /**
   * The number of datasets a search matches (without fetching them when the query is not split
   * or is split by circles only).
   */
  async countDatasets(
    options: Omit<SearchOptions, "start" | "limit" | "sort"> = {},
  ): Promise<number> {
    const plans = this.#plan(options);
    // A dataset is in one circle only, so circle-only parts never overlap.
    if (plans.length === 1 || !options.collections?.length) {
      let total = 0;
      for (const plan of plans) total += (await this.#fetchPage(plan, 0, 0, options)).count;
      return total;
    }
    let n = 0;
    for await (const _ of this.iterateDatasets(options)) n++;
    return n;
  }

  /**
   * The number of visible datasets in each circle, by circle name, from one faceted search
   * (circles without datasets are missing).
   */
  async countDatasetsByCircle(
    options: Omit<SearchOptions, "start" | "limit" | "sort" | "circles"> = {},
  ): Promise<Map<string, number>> {
    const [plan, ...rest] = this.#plan(options);
    if (!plan || rest.length > 0) {
      throw new InvalidOptionError("collections", `at most ${this.#chunkSize} collections`);
    }
    const params: Record<string, QueryValue> = {
      q: plan.q,
      rows: 0,
      include_private: this.api.hasApiKey,
      "facet.field": JSON.stringify(["organization"]),
      "facet.limit": -1,
    };
    if (plan.fq) params.fq = plan.fq;
    const result = await this.api.get<{ facets?: Record<string, Record<string, number>> }>(
      "package_search",
      params,
      callOptions(options),
    );
    const counts = result?.facets?.organization;
    if (!counts || typeof counts !== "object") {
      throw new UnexpectedResponseError("package_search", "no `facets.organization`");
    }
    return new Map(Object.entries(counts).filter(([, n]) => typeof n === "number"));
  }

  async #listAll<T extends { id: string }>(action: string, options: RequestOptions): Promise<T[]> {
    const pageSize = this.#listPageSize;
    const out: T[] = [];
    const seen = new Set<string>();
    let offset = 0;
    let cap = pageSize;
    // Bounded: a server ignoring `offset` would otherwise be asked forever.
    for (let pageNo = 0; pageNo < 100_000; pageNo++) {
      const page = await this.api.get<T[]>(
        action,
        { all_fields: true, limit: pageSize, offset },
        callOptions(options),
      );
      if (!Array.isArray(page)) throw new UnexpectedResponseError(action, "not a list");
      let added = 0;
      for (const item of page) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        out.push(item);
        added++;
      }
      offset += page.length;
      if (page.length === 0 || added === 0) break;
      if (page.length < cap) {
        // A short first page may be the server's own cap: one more request tells.
        if (pageNo === 0) cap = page.length;
        else break;
      }
    }
    return out;
  }

  /** All circles (organizations) on the server, not only the user's, paging past CKAN's caps. */
  getCircles(options: RequestOptions = {}): Promise<Organization[]> {
    return this.#listAll<Organization>("organization_list", options);
  }

  /** All collections (groups) on the server, paging past CKAN's caps. */
  getCollections(options: RequestOptions = {}): Promise<Group[]> {
    return this.#listAll<Group>("group_list", options);
  }

  /**
   * Users by `user_autocomplete` (logged-in users only: anonymous requests are refused by the
   * server with an authorization error). The full name falls back to the name.
   */
  async getUsers(options: GetUsersOptions = {}): Promise<UserSummary[]> {
    const limit = checkInteger("limit", options.limit ?? 1000, 1);
    const users = await this.api.get<{ id: string; name: string; fullname?: string | null }[]>(
      "user_autocomplete",
      { q: options.query ?? "", limit },
      callOptions(options),
    );
    if (!Array.isArray(users)) throw new UnexpectedResponseError("user_autocomplete", "not a list");
    return users.map((u) => ({ id: u.id, name: u.name, fullname: u.fullname || u.name }));
  }

  /** Datasets the user follows (`[]` without a token). */
  async getDatasetsUserFollowing(options: RequestOptions = {}): Promise<Dataset[]> {
    const user = await this.getUser(options);
    if (!user) return [];
    const data = await this.api.get<Dataset[]>(
      "dataset_followee_list",
      { id: user.name },
      callOptions(options),
    );
    if (!Array.isArray(data))
      throw new UnexpectedResponseError("dataset_followee_list", "not a list");
    return dedupe(data);
  }

  /** Datasets the user created, private ones included (`[]` without a token). */
  async getDatasetsUserOwned(options: RequestOptions = {}): Promise<Dataset[]> {
    const user = await this.getUser(options);
    if (!user) return [];
    return this.searchDatasets({
      filterQueries: [`+creator_user_id:${user.id}`],
      limit: 0,
      signal: options.signal,
      fresh: options.fresh,
    });
  }

  /**
   * Datasets the user can see but did not create, with DCOR-Aid's semantics: every visible dataset
   * of every circle and every collection (so public data of others counts too), plus the datasets
   * the user is a collaborator of. `[]` without a token.
   */
  async getDatasetsUserShared(options: RequestOptions = {}): Promise<Dataset[]> {
    const user = await this.getUser(options);
    if (!user) return [];
    const req: RequestOptions = { signal: options.signal, fresh: options.fresh };
    const notMine = [`-creator_user_id:${user.id}`];
    const circles = (await this.getCircles(req)).map((c) => c.name);
    const collections = (await this.getCollections(req)).map((c) => c.name);
    const found: Dataset[] = [];
    if (circles.length > 0) {
      found.push(
        ...(await this.searchDatasets({ circles, filterQueries: notMine, limit: 0, ...req })),
      );
    }
    if (collections.length > 0) {
      found.push(
        ...(await this.searchDatasets({ collections, filterQueries: notMine, limit: 0, ...req })),
      );
    }
    const ids = new Set(found.map((d) => d.id));
    const collaborations = await this.api.get<{ package_id: string }[]>(
      "package_collaborator_list_for_user",
      { id: user.id },
      callOptions(req),
    );
    if (!Array.isArray(collaborations)) {
      throw new UnexpectedResponseError("package_collaborator_list_for_user", "not a list");
    }
    for (const c of collaborations) {
      if (ids.has(c.package_id)) continue;
      ids.add(c.package_id);
      found.push(
        await this.api.get<Dataset>("package_show", { id: c.package_id }, callOptions(req)),
      );
    }
    return dedupe(found);
  }

  /** Owned, shared and followed datasets together, each once (`[]` without a token). */
  async getDatasetsUser(options: RequestOptions = {}): Promise<Dataset[]> {
    const owned = await this.getDatasetsUserOwned(options);
    const shared = await this.getDatasetsUserShared(options);
    const following = await this.getDatasetsUserFollowing(options);
    return dedupe([...owned, ...shared, ...following]);
  }
}
