import { InvalidOptionError } from "./errors.js";

/**
 * Characters with a meaning in the Lucene/Solr standard query parser. `&&` and `||` are covered by
 * escaping `&` and `|` one by one.
 */
const SOLR_SPECIAL = /[+\-&|!(){}[\]^"~*?:\\/]/g;

/** Words the Lucene parser reads as operators when they stand alone. */
const SOLR_OPERATOR_WORDS = new Set(["AND", "OR", "NOT", "TO"]);

/** CKAN names (circles, collections, datasets) and uuids never need escaping in Solr. */
const PLAIN_VALUE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Backslash-escapes every Solr special character (and whitespace) in `value`, so that it is read as
 * one literal term.
 */
export function escapeSolrTerm(value: string): string {
  return value.replace(SOLR_SPECIAL, (c) => `\\${c}`).replace(/\s/g, (c) => `\\${c}`);
}

/**
 * Turns a user's free text into a Solr `q` that matches the words of the text and nothing else, so
 * the text can neither change the query's structure nor make it fail to parse:
 * - colons and double quotes separate words (without a colon CKAN runs its plain-text `dismax`
 *   search with field boosts, the same as its web UI, whatever the user typed);
 * - pieces without a letter or digit (`&&`, `||`, `!`, `-`, `*`, …) are dropped: Solr's text
 *   analysis would drop them anyway;
 * - every remaining special character is backslash-escaped and operator words (`AND`, `OR`,
 *   `NOT`, `TO`) are made literal.
 *
 * Text without any word gives `*:*` (everything).
 */
export function escapeSolrText(text: string): string {
  const words = text
    .split(/[\s:"]+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .map((w) => {
      const escaped = escapeSolrTerm(w);
      return SOLR_OPERATOR_WORDS.has(w) ? `\\${escaped}` : escaped;
    });
  return words.length === 0 ? "*:*" : words.join(" ");
}

/**
 * `field:value` for an exact match on a string field. CKAN names and ids are written as they are
 * (exactly as DCOR-Aid writes them); anything else is quoted so it stays one value.
 */
export function solrFieldMatch(field: string, value: string): string {
  if (PLAIN_VALUE.test(value)) return `${field}:${value}`;
  return `${field}:"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** `a` alone or `(a OR b …)`, as DCOR-Aid joins circle and collection matches. */
function anyOf(field: string, values: readonly string[]): string {
  const parts = values.map((v) => solrFieldMatch(field, v));
  return parts.length === 1 ? parts[0]! : `(${parts.join(" OR ")})`;
}

/** A point in time: a `Date`, an ISO 8601 string, or milliseconds since the epoch. */
export type TimeInput = Date | string | number;

/** Parses a {@link TimeInput}; throws {@link InvalidOptionError} if it is not a valid time. */
export function toDate(value: TimeInput, option = "since"): Date {
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidOptionError(option, `not a valid date or time: ${String(value)}`);
  }
  return date;
}

/**
 * Solr date literal with escaped colons, e.g. `2024-01-01T00\:00\:00Z` (milliseconds only when not
 * zero), in UTC.
 */
export function solrDate(date: Date): string {
  let iso = date.toISOString(); // always UTC with milliseconds
  if (iso.endsWith(".000Z")) iso = `${iso.slice(0, -5)}Z`;
  return iso.replace(/:/g, "\\:");
}

/** `metadata_modified:[<since> TO NOW]` as DCOR-Aid writes it. */
export function solrSinceQuery(since: TimeInput): string {
  return `metadata_modified:[${solrDate(toDate(since))} TO NOW]`;
}

/** The parts a dataset search filter is built from. */
export interface FilterParts {
  /** Extra Solr `fq` clauses, joined with AND. Passed on unchanged (they are Solr syntax). */
  filterQueries?: readonly string[];
  /** Circle (organization) names; a dataset must be in one of them. */
  circles?: readonly string[];
  /** Collection (group) names; a dataset must be in one of them. */
  collections?: readonly string[];
  /** With circles and collections: match datasets in either (true) or both (false). */
  circleCollectionUnion?: boolean;
  /** Only datasets modified at or after this time. */
  since?: TimeInput;
}

/**
 * Builds the `fq` of a `package_search` exactly like DCOR-Aid: circles become
 * `organization:<name>`, collections `groups:<name>` (several joined as `(a OR b)`), both combined
 * with AND (or OR for a union), `since` becomes `metadata_modified:[… TO NOW]`, and all clauses are
 * joined as `(a AND b …)`. Returns `""` when there is nothing to filter.
 */
export function buildFilterQuery(parts: FilterParts): string {
  const clauses = [...(parts.filterQueries ?? [])].filter((c) => c.trim() !== "");
  const circles = parts.circles?.length ? anyOf("organization", parts.circles) : undefined;
  const collections = parts.collections?.length ? anyOf("groups", parts.collections) : undefined;
  if (circles && collections) {
    clauses.push(`(${circles} ${parts.circleCollectionUnion ? "OR" : "AND"} ${collections})`);
  } else if (circles ?? collections) {
    clauses.push((circles ?? collections)!);
  }
  if (parts.since !== undefined) clauses.push(solrSinceQuery(parts.since));
  if (clauses.length === 0) return "";
  return clauses.length === 1 ? clauses[0]! : `(${clauses.join(" AND ")})`;
}

/** Splits `items` into consecutive chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The filter queries to run so that no query names more than `chunkSize` circles or collections
 * (long lists make URLs too long for the server: "414 URI too long"). The union of the results of
 * these queries is the result of the unsplit query; duplicates are possible (a dataset in several
 * collections) and must be removed by id.
 */
export function planFilterQueries(parts: FilterParts, chunkSize = 20): string[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidOptionError("chunkSize", `must be a positive integer, got ${chunkSize}`);
  }
  const circles = parts.circles?.length ? chunk(parts.circles, chunkSize) : [undefined];
  const collections = parts.collections?.length ? chunk(parts.collections, chunkSize) : [undefined];
  if (circles.length === 1 && collections.length === 1) return [buildFilterQuery(parts)];
  const base = { filterQueries: parts.filterQueries, since: parts.since };
  const plans: string[] = [];
  if (parts.circleCollectionUnion && parts.circles?.length && parts.collections?.length) {
    for (const c of circles) plans.push(buildFilterQuery({ ...base, circles: c }));
    for (const g of collections) plans.push(buildFilterQuery({ ...base, collections: g }));
  } else {
    for (const c of circles) {
      for (const g of collections)
        plans.push(buildFilterQuery({ ...base, circles: c, collections: g }));
    }
  }
  return plans;
}

/** One `field direction` clause of a Solr sort. */
export interface SortClause {
  field: string;
  direction: "asc" | "desc";
}

const SORT_CLAUSE = /^([A-Za-z_][A-Za-z0-9_]*)\s+(asc|desc)$/i;

/**
 * Parses and validates a Solr sort such as `"metadata_created desc"` or
 * `"score desc, metadata_modified desc"`; rejects anything else (so a sort cannot smuggle in
 * other parameters).
 */
export function parseSort(sort: string): SortClause[] {
  const clauses = sort.split(",").map((s) => s.trim());
  return clauses.map((c) => {
    const m = SORT_CLAUSE.exec(c);
    if (!m) throw new InvalidOptionError("sort", `expected "<field> asc|desc[, …]", got "${sort}"`);
    return { field: m[1]!, direction: m[2]!.toLowerCase() as "asc" | "desc" };
  });
}

/**
 * A comparator ordering datasets like the Solr sort would, for merging the results of split
 * queries. Returns `undefined` when the order cannot be reproduced locally (relevance `score`).
 */
export function datasetComparator(
  clauses: readonly SortClause[],
): ((a: Record<string, unknown>, b: Record<string, unknown>) => number) | undefined {
  if (clauses.some((c) => c.field === "score")) return undefined;
  return (a, b) => {
    for (const { field, direction } of clauses) {
      const key = field === "title_string" ? "title" : field;
      const va = a[key];
      const vb = b[key];
      let cmp = 0;
      if (typeof va === "number" && typeof vb === "number") cmp = va - vb;
      else {
        // Solr orders string fields by code point, not by locale.
        const sa = String(va ?? "");
        const sb = String(vb ?? "");
        cmp = sa < sb ? -1 : sa > sb ? 1 : 0;
      }
      if (cmp !== 0) return direction === "asc" ? cmp : -cmp;
    }
    return 0;
  };
}
