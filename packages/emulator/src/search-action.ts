/** `package_search`: CKAN's implicit filters, the Solr subset, sorting, paging and facets. */
import {
  type ActionContext,
  bool,
  type DataDict,
  int,
  list,
  searchQueryError,
  str,
} from "./action-base.js";
import type { CatalogModel, DatasetRecord } from "./catalog.js";
import { parseCkanDate } from "./catalog.js";
import { RawJson } from "./http-send.js";
import {
  checkFields,
  matches,
  parseSolr,
  plainTextScore,
  type SolrDocument,
  SolrSyntaxError,
  tokens,
} from "./solr.js";

export function solrDocument(catalog: CatalogModel, ds: DatasetRecord): SolrDocument {
  if (ds.doc) return ds.doc;
  const resDicts = ds.resources;
  const fields: Record<string, string[]> = {
    id: [ds.id],
    name: [ds.name],
    title: [ds.title],
    notes: [ds.notes],
    authors: [ds.authors],
    doi: ds.doi ? [ds.doi] : [],
    references: ds.references ? [ds.references] : [],
    organization: [ds.org.name],
    owner_org: [ds.org.id],
    groups: ds.groups.map((g) => g.name),
    creator_user_id: [ds.creator.id],
    state: [ds.state],
    capacity: [ds.private ? "private" : "public"],
    tags: ds.tags,
    license_id: [ds.licenseId],
    metadata_created: [ds.created],
    metadata_modified: [ds.modified],
    num_resources: [String(ds.resources.length)],
    num_tags: [String(ds.tags.length)],
    res_name: resDicts.map((r) => r.name),
    res_description: resDicts.map((r) => r.description),
    res_format: resDicts.map((r) =>
      Object.keys(r.info.attrs).some((k) => k.startsWith("fluorescence:")) ? "RT-FDC" : "RT-DC",
    ),
    res_url: resDicts.map(
      (r) =>
        `${catalog.urls.siteUrl}/dataset/${ds.id}/resource/${r.id}/download/${r.name.toLowerCase()}`,
    ),
    res_type: [],
    res_extras_sha256: resDicts.map((r) => r.file.sha256),
    res_extras_etag: resDicts.map((r) => r.file.md5),
    dataset_type: ["dataset"],
  };
  const text = tokens(
    [
      ds.name,
      ds.title,
      ds.notes,
      ds.authors,
      ds.doi,
      ds.org.name,
      ds.org.title,
      ...ds.tags,
      ...ds.groups.map((g) => `${g.name} ${g.title}`),
      ...resDicts.map((r) => `${r.name} ${r.description}`),
    ].join(" "),
  );
  ds.doc = { fields, text };
  return ds.doc;
}

const SORT_FIELDS: Record<string, (ds: DatasetRecord) => string | number> = {
  metadata_modified: (d) => {
    d.modifiedMs ??= parseCkanDate(d.modified);
    return d.modifiedMs;
  },
  metadata_created: (d) => {
    d.createdMs ??= parseCkanDate(d.created);
    return d.createdMs;
  },
  name: (d) => d.name,
  title_string: (d) => d.title.toLowerCase(),
  title: (d) => d.title.toLowerCase(),
  id: (d) => d.id,
  num_resources: (d) => d.resources.length,
  num_tags: (d) => d.tags.length,
  views_recent: () => 0,
  views_total: () => 0,
};

function parseSort(sort: string): { field: string; desc: boolean }[] {
  return sort
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const [field = "", dir = "asc", extra] = part.split(/\s+/);
      if (
        extra !== undefined ||
        (dir !== "asc" && dir !== "desc") ||
        (field !== "score" && !SORT_FIELDS[field])
      ) {
        throw searchQueryError(`Can't determine a Sort Order (asc or desc) in sort spec '${part}'`);
      }
      return { field, desc: dir === "desc" };
    });
}

function parseQuery(text: string) {
  try {
    const node = parseSolr(text);
    checkFields(node);
    return node;
  } catch (err) {
    if (err instanceof SolrSyntaxError) throw searchQueryError(err.message);
    throw err;
  }
}

/** How long sorted hits of a query with `NOW` date math are reused (they may be that stale). */
const HIT_CACHE_MS = 5_000;
type Hits = { ds: DatasetRecord; score: number }[];
interface SearchCaches {
  /** query → its sorted hits, valid for one catalog version */
  hits: Map<string, { version: number; at: number; now: boolean; scored: Hits }>;
  /** sort spec → the whole catalog in that order, valid for one catalog version */
  orders: Map<string, { version: number; order: DatasetRecord[] }>;
}
const searchCaches = new WeakMap<CatalogModel, SearchCaches>();
function cachesOf(catalog: CatalogModel): SearchCaches {
  let caches = searchCaches.get(catalog);
  if (!caches) {
    caches = { hits: new Map(), orders: new Map() };
    searchCaches.set(catalog, caches);
  }
  return caches;
}

type SortSpec = { field: string; desc: boolean }[];

/** Sorts `items` stably by `sort` (keys computed once per item, not per comparison). */
function sortBy<T>(
  items: T[],
  sort: SortSpec,
  key: (item: T, field: string) => string | number,
): T[] {
  const keyed = items.map((item) => ({ item, keys: sort.map((srt) => key(item, srt.field)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const va = a.keys[i] as string | number;
      const vb = b.keys[i] as string | number;
      if (va < vb) return sort[i]?.desc ? 1 : -1;
      if (va > vb) return sort[i]?.desc ? -1 : 1;
    }
    return 0;
  });
  return keyed.map((k) => k.item);
}

/**
 * The whole catalog sorted by `sort` (no score fields), cached until the catalog changes: a query
 * whose hits all score alike walks this order and needs no sort of its own.
 */
function catalogOrder(catalog: CatalogModel, sort: SortSpec): DatasetRecord[] {
  const key = JSON.stringify(sort);
  const { orders } = cachesOf(catalog);
  const cached = orders.get(key);
  if (cached && cached.version === catalog.version) return cached.order;
  const order = sortBy(catalog.datasets, sort, (ds, field) =>
    (SORT_FIELDS[field] as (d: DatasetRecord) => string | number)(ds),
  );
  orders.set(key, { version: catalog.version, order });
  if (orders.size > 16) orders.delete(orders.keys().next().value as string);
  return order;
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

const FACET_TITLES: Record<string, string> = {
  organization: "Circles",
  groups: "Collections",
  tags: "Tags",
  res_format: "Formats",
  license_id: "Licenses",
};

export function packageSearch(ctx: ActionContext, data: DataDict): unknown {
  const q = str(data, "q")?.trim() || "*:*";
  const fqs = [str(data, "fq"), ...(list(data, "fq_list") ?? [])].filter(
    (x): x is string => !!x && x.trim() !== "",
  );
  const rows = Math.min(int(data, "rows", 10) as number, 1000);
  const start = int(data, "start", 0) as number;
  const sortText = str(data, "sort")?.trim() || "score desc, metadata_modified desc";
  const sort = parseSort(sortText);
  const includePrivate = bool(data, "include_private", false);
  const includeDrafts = bool(data, "include_drafts", false);
  const includeDeleted = bool(data, "include_deleted", false);
  const facet = bool(data, "facet", true);
  const facetFields = list(data, "facet.field") ?? [];
  const facetLimit = int(data, "facet.limit", 50, -1) as number;
  const facetMinCount = int(data, "facet.mincount", 1) as number;

  const plainText = !q.includes(":");
  const qNode = plainText ? undefined : parseQuery(q);
  const fqNodes = fqs.map(parseQuery);
  const stateGiven = fqs.some((f) => f.includes("+state"));
  const user = ctx.user;
  // Paging clients repeat a query with another `start`: reuse the sorted hits until the catalog
  // changes (a few seconds at most for `NOW`-relative date math).
  const cacheKey = JSON.stringify([
    user?.id ?? null,
    q,
    fqs,
    sortText,
    includePrivate,
    includeDrafts,
    includeDeleted,
  ]);
  const usesNow = q.includes("NOW") || fqs.some((f) => f.includes("NOW"));
  const { hits } = cachesOf(ctx.catalog);
  const cached = hits.get(cacheKey);
  let scored: Hits;
  if (
    cached &&
    cached.version === ctx.catalog.version &&
    (!cached.now || ctx.now - cached.at < HIT_CACHE_MS)
  ) {
    scored = cached.scored;
  } else {
    scored = findHits();
    hits.set(cacheKey, { version: ctx.catalog.version, at: ctx.now, now: usesNow, scored });
    if (hits.size > 64) hits.delete(hits.keys().next().value as string);
  }

  function findHits(): Hits {
    // only plain-text queries score; otherwise every hit scores 1 and the catalog's cached order
    // for the other sort keys is already the answer's order
    const scoring = plainText && q !== "*:*";
    const order = scoring
      ? ctx.catalog.datasets
      : catalogOrder(
          ctx.catalog,
          sort.filter((srt) => srt.field !== "score"),
        );
    const scored: Hits = [];
    try {
      for (const ds of order) {
        // CKAN's implicit filters: capacity, state and the permission labels
        if (!includePrivate && ds.private) continue;
        if (!stateGiven) {
          if (ds.state === "draft" && !includeDrafts) continue;
          if (ds.state === "deleted" && !includeDeleted) continue;
        }
        if (
          ds.state === "draft"
            ? !(user?.sysadmin || ds.creator.id === user?.id)
            : !ctx.catalog.canRead(ds, user)
        )
          continue;
        const doc = solrDocument(ctx.catalog, ds);
        let score = 1;
        if (scoring) {
          score = plainTextScore(q, doc);
          if (!score) continue;
        } else if (qNode && !matches(qNode, doc, ctx.now)) continue;
        if (!fqNodes.every((n) => matches(n, doc, ctx.now))) continue;
        scored.push({ ds, score });
      }
    } catch (err) {
      // e.g. bad date math found while matching
      if (err instanceof SolrSyntaxError) throw searchQueryError(err.message);
      throw err;
    }
    if (!scoring) return scored;
    return sortBy(scored, sort, (item, field) =>
      field === "score"
        ? item.score
        : (SORT_FIELDS[field] as (d: DatasetRecord) => string | number)(item.ds),
    );
  }
  const facets: Record<string, Record<string, number>> = {};
  const searchFacets: Record<
    string,
    { title: string; items: { name: string; display_name: string; count: number }[] }
  > = {};
  if (facet) {
    for (const field of facetFields) {
      const counts = new Map<string, number>();
      for (const { ds } of scored) {
        for (const v of new Set(solrDocument(ctx.catalog, ds).fields[field] ?? []))
          counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      let entries = [...counts]
        .filter(([, c]) => c >= facetMinCount)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      if (facetLimit >= 0) entries = entries.slice(0, facetLimit);
      facets[field] = Object.fromEntries(entries);
      const display = (name: string) =>
        field === "organization"
          ? (ctx.catalog.circle(name)?.title ?? name)
          : field === "groups"
            ? (ctx.catalog.collection(name)?.title ?? name)
            : name;
      searchFacets[field] = {
        title: FACET_TITLES[field] ?? field,
        items: entries
          .map(([name, count]) => ({ name, display_name: display(name), count }))
          .sort((a, b) =>
            a.display_name < b.display_name ? 1 : a.display_name > b.display_name ? -1 : 0,
          ),
      };
    }
  }
  return {
    count: scored.length,
    facets,
    // the page is spliced together from each dataset's cached JSON bytes
    results: new RawJson(pageParts(ctx.catalog, scored, start, rows)),
    sort: sortText,
    search_facets: searchFacets,
  };
}

function pageParts(catalog: CatalogModel, scored: Hits, start: number, rows: number): Buffer[] {
  const parts: Buffer[] = [OPEN];
  const end = Math.min(scored.length, start + rows);
  for (let i = Math.max(0, start); i < end; i++) {
    if (parts.length > 1) parts.push(COMMA);
    parts.push(catalog.datasetJsonBytes((scored[i] as Hits[number]).ds));
  }
  parts.push(CLOSE);
  return parts;
}
