/** The CKAN/DCOR action API: handlers, CKAN's validation and error semantics. */
import type {
  CatalogModel,
  DatasetRecord,
  GroupRecord,
  ResourceRecord,
  UserRecord,
} from "./catalog.js";
import { nestedMetadata, objectKey, parseCkanDate } from "./catalog.js";
import { RawJson } from "./http-send.js";
import { LICENSES } from "./licenses.js";
import type { Presigner } from "./presign.js";
import type { Capacity } from "./sample-catalog.js";
import {
  checkFields,
  matches,
  parseSolr,
  plainTextScore,
  type SolrDocument,
  SolrSyntaxError,
  tokens,
} from "./solr.js";

/** A CKAN action error; `error` is the dict placed in the envelope. */
export class ActionError extends Error {
  readonly code = "EMULATOR_ACTION_ERROR";
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
  ) {
    super(String(error.message ?? error.__type));
  }
}

export const notAuthorized = (msg?: string) =>
  new ActionError(403, {
    __type: "Authorization Error",
    message: msg ? `Access denied: ${msg}` : "Access denied",
  });
export const notFound = (msg?: string) =>
  new ActionError(404, {
    __type: "Not Found Error",
    message: msg ? `Not found: ${msg}` : "Not found",
  });
export const validationError = (fields: Record<string, string[]> | string) =>
  new ActionError(
    409,
    typeof fields === "string"
      ? { message: fields, __type: "Validation Error" }
      : { ...fields, __type: "Validation Error" },
  );
const searchQueryError = (msg: string) =>
  new ActionError(400, {
    __type: "Search Query Error",
    message: `Search Query is invalid: "Invalid search query: ${msg}"`,
  });

/** Everything an action needs about the request and the emulator. */
export interface ActionContext {
  catalog: CatalogModel;
  user: UserRecord | undefined;
  presigner: Presigner;
  presignedLifetime: number;
  siteUrl: string;
  objectStoreUrl: string;
  /** user id → followed dataset ids */
  follows: Map<string, Set<string>>;
  now: number;
}

export type DataDict = Record<string, unknown>;
type ActionFn = (ctx: ActionContext, data: DataDict) => unknown;

// ---- parameter helpers (CKAN converts GET params from strings) ----

function str(data: DataDict, key: string): string | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function requireId(data: DataDict, key = "id"): string {
  const v = str(data, key);
  if (v === undefined || v === "") throw validationError({ [key]: ["Missing value"] });
  return v;
}

/** CKAN's `asbool`. */
function bool(data: DataDict, key: string, fallback: boolean): boolean {
  const v = data[key];
  if (v === undefined || v === null || v === "") return fallback;
  if (typeof v === "boolean") return v;
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).toLowerCase();
  if (["true", "yes", "on", "y", "t", "1"].includes(s)) return true;
  if (["false", "no", "off", "n", "f", "0"].includes(s)) return false;
  throw validationError({ [key]: [`"${String(v)}" is not a valid boolean`] });
}

function int(
  data: DataDict,
  key: string,
  fallback: number | undefined,
  min = 0,
): number | undefined {
  const v = data[key];
  if (v === undefined || v === null || v === "") return fallback;
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).trim();
  if (!/^-?\d+$/.test(s)) throw validationError({ [key]: ["Invalid integer"] });
  const n = Number(s);
  if (n < min) throw validationError({ [key]: ["Must be a natural number"] });
  return n;
}

/** A list parameter: a JSON list string, a repeated GET parameter, or a comma list. */
function list(data: DataDict, key: string): string[] | undefined {
  const v = data[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (Array.isArray(v)) return v.map(String);
  const s = String(v).trim();
  if (s.startsWith("[")) {
    try {
      const parsed = JSON.parse(s) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through to a plain value
    }
    throw validationError({ [key]: ["Invalid JSON list"] });
  }
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

// ---- datasets ----

function datasetOrThrow(ctx: ActionContext, id: string): DatasetRecord {
  const ds = ctx.catalog.dataset(id);
  if (!ds || (ds.state === "deleted" && !ctx.user?.sysadmin)) throw notFound();
  if (!ctx.catalog.canRead(ds, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to read package ${ds.id}`);
  return ds;
}

function resourceOrThrow(ctx: ActionContext, id: string): ResourceRecord {
  const res = ctx.catalog.resources.get(id);
  if (!res || res.dataset.state === "deleted") throw notFound("Resource was not found.");
  if (!ctx.catalog.canRead(res.dataset, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to read resource ${res.id}`);
  return res;
}

/** The Solr document of a dataset (cached on the record). */
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
  metadata_modified: (d) => parseCkanDate(d.modified),
  metadata_created: (d) => parseCkanDate(d.created),
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

const FACET_TITLES: Record<string, string> = {
  organization: "Circles",
  groups: "Collections",
  tags: "Tags",
  res_format: "Formats",
  license_id: "Licenses",
};

function packageSearch(ctx: ActionContext, data: DataDict): unknown {
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
  const scored: { ds: DatasetRecord; score: number }[] = [];
  try {
    for (const ds of ctx.catalog.datasets) {
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
      if (plainText) {
        score = q === "*:*" ? 1 : plainTextScore(q, doc);
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
  // compute the sort keys once per dataset, not per comparison
  const keyed = scored.map((item) => ({
    item,
    keys: sort.map((srt) =>
      srt.field === "score"
        ? item.score
        : (SORT_FIELDS[srt.field] as (d: DatasetRecord) => string | number)(item.ds),
    ),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const va = a.keys[i] as string | number;
      const vb = b.keys[i] as string | number;
      if (va < vb) return sort[i]?.desc ? 1 : -1;
      if (va > vb) return sort[i]?.desc ? -1 : 1;
    }
    return 0;
  });
  scored.splice(0, scored.length, ...keyed.map((k) => k.item));
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
    results: new RawJson(
      `[${scored
        .slice(start, start + rows)
        .map(({ ds }) => ctx.catalog.datasetJson(ds))
        .join(",")}]`,
    ),
    sort: sortText,
    search_facets: searchFacets,
  };
}

// ---- circles and collections ----

const CAPACITY_PERMISSIONS: Record<Capacity, string[]> = {
  admin: ["read", "create_dataset", "update_dataset", "delete_dataset", "manage_group"],
  editor: ["read", "create_dataset", "update_dataset", "delete_dataset"],
  member: ["read"],
};

function packageCount(ctx: ActionContext, g: GroupRecord): number {
  let n = 0;
  for (const ds of ctx.catalog.datasets) {
    if (ds.state !== "active") continue;
    if (g.isOrganization ? ds.org !== g : !ds.groups.includes(g)) continue;
    if (ctx.catalog.canRead(ds, ctx.user)) n++;
  }
  return n;
}

function groupList(isOrg: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    const allFields = bool(data, "all_fields", false);
    if (!isOrg && bool(data, "include_users", false)) throw notAuthorized();
    const maxLimit = allFields ? 25 : 1000;
    const limitGiven = int(data, "limit", undefined);
    const limit = limitGiven === undefined || limitGiven > maxLimit ? maxLimit : limitGiven;
    const offset = int(data, "offset", 0) as number;
    const sortText = str(data, "sort") ?? "title asc";
    const [sortField = "title", sortDir = "asc"] = sortText.trim().split(/\s+/);
    if (
      !["title", "name", "package_count", "created"].includes(sortField) ||
      !["asc", "desc"].includes(sortDir)
    ) {
      throw validationError({ sort: [`Cannot sort by field \`${sortField}\``] });
    }
    const q = str(data, "q")?.toLowerCase();
    const only = list(data, isOrg ? "organizations" : "groups");
    let groups = isOrg ? [...ctx.catalog.circles] : [...ctx.catalog.collections];
    if (q)
      groups = groups.filter(
        (g) =>
          g.name.toLowerCase().includes(q) ||
          g.title.toLowerCase().includes(q) ||
          g.description.toLowerCase().includes(q),
      );
    if (only) groups = groups.filter((g) => only.includes(g.name) || only.includes(g.id));
    const counts = new Map(groups.map((g) => [g, packageCount(ctx, g)]));
    const key = (g: GroupRecord): string | number =>
      sortField === "package_count"
        ? (counts.get(g) ?? 0)
        : sortField === "created"
          ? g.created
          : sortField === "name"
            ? g.name
            : g.title.toLowerCase();
    groups.sort((a, b) => {
      const va = key(a);
      const vb = key(b);
      const c = va < vb ? -1 : va > vb ? 1 : a.name < b.name ? -1 : 1;
      return sortDir === "desc" ? -c : c;
    });
    const page = groups.slice(offset, offset + limit);
    if (!allFields) return page.map((g) => g.name);
    return page.map((g) => groupDict(ctx, g, data, counts.get(g) ?? 0));
  };
}

function groupDict(
  ctx: ActionContext,
  g: GroupRecord,
  data: DataDict,
  count: number,
): Record<string, unknown> {
  const dict: Record<string, unknown> = ctx.catalog.groupListDict(g, count);
  if (bool(data, "include_extras", false)) dict.extras = [];
  if (bool(data, "include_tags", false)) dict.tags = [];
  if (bool(data, "include_groups", false)) dict.groups = [];
  return dict;
}

function groupShow(isOrg: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    const id = requireId(data);
    const g = isOrg ? ctx.catalog.circle(id) : ctx.catalog.collection(id);
    if (!g) throw notFound(isOrg ? "Organization was not found." : "Group was not found.");
    const count = packageCount(ctx, g);
    const dict: Record<string, unknown> = {
      ...ctx.catalog.groupListDict(g, count),
      extras: [],
      groups: [],
      tags: [],
      num_followers: 0,
    };
    if (!bool(data, "include_dataset_count", true)) delete dict.package_count;
    if (bool(data, "include_users", false)) {
      if (!ctx.user) throw notAuthorized();
      dict.users = [...g.members].map(([uid, capacity]) => {
        const u = ctx.catalog.user(uid) as UserRecord;
        return { ...ctx.catalog.userDict(u, false), capacity };
      });
    }
    if (bool(data, "include_datasets", false)) {
      dict.packages = ctx.catalog.datasets
        .filter(
          (ds) =>
            ds.state === "active" &&
            (isOrg ? ds.org === g : ds.groups.includes(g)) &&
            ctx.catalog.canRead(ds, ctx.user),
        )
        .slice(0, 10)
        .map((ds) => ctx.catalog.datasetDict(ds));
    }
    return dict;
  };
}

function userFromParam(ctx: ActionContext, data: DataDict): UserRecord | undefined {
  const id = str(data, "id") ?? str(data, "user_id") ?? str(data, "username");
  if (id === undefined || id === "") return ctx.user;
  const u = ctx.catalog.user(id);
  if (!u) throw notFound("User not found");
  return u;
}

function organizationListForUser(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!target) return [];
  if (target !== ctx.user && !ctx.user?.sysadmin) throw notAuthorized();
  const permission = str(data, "permission") ?? "manage_group";
  const withCount = bool(data, "include_dataset_count", false);
  const out: Record<string, unknown>[] = [];
  for (const g of ctx.catalog.circles) {
    const cap: Capacity | undefined = target.sysadmin ? "admin" : g.members.get(target.id);
    if (!cap || !CAPACITY_PERMISSIONS[cap].includes(permission)) continue;
    const d: Record<string, unknown> = {
      ...ctx.catalog.orgDict(g),
      display_name: g.title,
      image_display_url: "",
      capacity: cap,
    };
    if (withCount) d.package_count = packageCount(ctx, g);
    out.push(d);
  }
  return out;
}

function groupListAuthz(ctx: ActionContext, data: DataDict): unknown {
  if (!ctx.user) throw notAuthorized();
  const amMember = bool(data, "am_member", false);
  const out: Record<string, unknown>[] = [];
  for (const g of ctx.catalog.collections) {
    const cap = g.members.get(ctx.user.id);
    // DCOR removes manage_group from the member role: only admins (and sysadmins) qualify
    if (!(ctx.user.sysadmin && !amMember) && cap !== "admin") continue;
    out.push({ ...ctx.catalog.groupListDict(g, packageCount(ctx, g)), capacity: cap ?? "admin" });
  }
  return out;
}

// ---- users, follows, collaborators ----

function userShow(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!ctx.user || !target || (target !== ctx.user && !ctx.user.sysadmin))
    throw notAuthorized("Users may only view their own details");
  const dict = ctx.catalog.userDict(target, true);
  if (bool(data, "include_datasets", false)) {
    dict.datasets = ctx.catalog.datasets
      .filter((d) => d.creator === target && ctx.catalog.canRead(d, ctx.user))
      .map((d) => ctx.catalog.datasetDict(d));
  }
  return dict;
}

function followeeTarget(ctx: ActionContext, data: DataDict): UserRecord {
  const id = requireId(data);
  const target = ctx.catalog.user(id);
  if (!ctx.user) throw notAuthorized();
  if (!target) throw notFound("User not found");
  if (target !== ctx.user && !ctx.user.sysadmin) throw notAuthorized();
  return target;
}

function datasetFolloweeList(ctx: ActionContext, data: DataDict): unknown {
  const target = followeeTarget(ctx, data);
  const ids = ctx.follows.get(target.id) ?? new Set<string>();
  return [...ids]
    .map((id) => ctx.catalog.dataset(id))
    .filter((d): d is DatasetRecord => !!d && ctx.catalog.canRead(d, ctx.user))
    .map((d) => ctx.catalog.datasetDict(d));
}

function followeeList(ctx: ActionContext, data: DataDict): unknown {
  const target = followeeTarget(ctx, data);
  const q = str(data, "q")?.toLowerCase();
  return [...(ctx.follows.get(target.id) ?? [])]
    .map((id) => ctx.catalog.dataset(id))
    .filter((d): d is DatasetRecord => !!d && ctx.catalog.canRead(d, ctx.user))
    .filter((d) => !q || d.title.toLowerCase().includes(q) || d.name.includes(q))
    .map((d) => ({ type: "dataset", display_name: d.title, dict: ctx.catalog.datasetDict(d) }));
}

function followDataset(follow: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    if (!ctx.user) throw notAuthorized();
    const ds = datasetOrThrow(ctx, requireId(data));
    const set = ctx.follows.get(ctx.user.id) ?? new Set<string>();
    ctx.follows.set(ctx.user.id, set);
    if (follow) {
      if (set.has(ds.id))
        throw validationError({ message: ["You are already following {0}".replace("{0}", ds.id)] });
      set.add(ds.id);
      return {
        follower_id: ctx.user.id,
        object_id: ds.id,
        datetime: new Date(ctx.now).toISOString().slice(0, 23),
      };
    }
    if (!set.delete(ds.id)) throw notFound("You are not following {0}.".replace("{0}", ds.id));
    return null;
  };
}

function collaboratorListForUser(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!ctx.user || !target || (target !== ctx.user && !ctx.user.sysadmin)) throw notAuthorized();
  const capacity = str(data, "capacity");
  const out: { package_id: string; capacity: string; modified: string }[] = [];
  for (const ds of ctx.catalog.datasets) {
    const c = ds.collaborators?.get(target.id);
    if (c && (!capacity || capacity === c.capacity))
      out.push({ package_id: ds.id, capacity: c.capacity, modified: c.modified });
  }
  return out;
}

function collaboratorList(ctx: ActionContext, data: DataDict): unknown {
  const ds = datasetOrThrow(ctx, requireId(data));
  if (!ctx.catalog.canEdit(ds, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to edit package ${ds.id}`);
  return [...(ds.collaborators ?? [])].map(([uid, c]) => ({
    package_id: ds.id,
    user_id: uid,
    capacity: c.capacity,
    modified: c.modified,
  }));
}

// ---- dcserv ----

function basins(ctx: ActionContext, res: ResourceRecord): unknown[] {
  const isPublic = !res.dataset.private && res.dataset.state === "active";
  const features: Record<string, string[]> = {
    condensed: res.condensedInfo.features,
    resource: res.info.features,
  };
  return (["condensed", "resource"] as const).map((artifact) => {
    const key = objectKey(res.dataset.org.id, artifact, res.id);
    const base = {
      name: `${artifact}-${res.id.slice(0, 5)}`,
      format: "http",
      type: "remote",
      mapping: "same",
    };
    if (isPublic) {
      return {
        ...base,
        perishable: false,
        key: `dcor-${artifact}-${res.id}`,
        urls: [`${ctx.objectStoreUrl}/${key}`],
        features: features[artifact],
      };
    }
    const timeRequest = ctx.now / 1000;
    const signed = ctx.presigner.presign(ctx.objectStoreUrl, key, ctx.presignedLifetime, {
      now: ctx.now,
    });
    return {
      ...base,
      perishable: true,
      time_request: timeRequest,
      time_expiration: signed.expiration,
      key: `dcor-presigned-${artifact}-${res.id}`,
      urls: [signed.url],
      features: features[artifact],
    };
  });
}

function dcserv(ctx: ActionContext, data: DataDict): unknown {
  const version = str(data, "version") ?? "2";
  const query = str(data, "query");
  const id = str(data, "id");
  if (query === undefined) throw validationError("Please specify 'query' parameter!");
  if (id === undefined) throw validationError("Please specify 'id' parameter!");
  if (version === "1")
    throw validationError(
      "Version '1' of the DCOR API is not supported anymore. Please use version '2' instead!",
    );
  if (version !== "2") throw validationError("Please specify version '1' or '2'!");
  // every emulator resource is an RT-DC file (mimetype RT-DC), so the "must be .rtdc" check passes
  const res = resourceOrThrow(ctx, id);
  switch (query) {
    case "valid":
      return true;
    case "metadata": {
      const meta = nestedMetadata(res.info.attrs);
      meta.experiment ??= {};
      if (!meta.experiment["event count"]) meta.experiment["event count"] = res.info.eventCount;
      return meta;
    }
    case "size":
      return res.info.eventCount;
    case "feature_list":
      return [];
    case "logs": {
      const logs: Record<string, string[]> = { ...res.info.logs };
      for (const [k, v] of Object.entries(res.condensedInfo.logs)) if (!(k in logs)) logs[k] = v;
      return logs;
    }
    case "tables":
      return res.info.tables;
    case "trace_list":
      return res.info.traces;
    case "basins":
      return basins(ctx, res);
    default:
      throw validationError(`Invalid query parameter '${query}'!`);
  }
}

// ---- misc ----

function statusShow(ctx: ActionContext): unknown {
  return {
    site_title: "DCOR emulator",
    site_description: "A local DCOR-compatible server for tests and demos (@dcor/emulator).",
    site_url: ctx.siteUrl,
    error_emails_to: null,
    locale_default: "en",
    extensions: [
      "stats",
      "text_view",
      "image_view",
      "dcor_depot",
      "dcor_schemas",
      "dc_serve",
      "dc_view",
      "dc_log_view",
      "dcor_theme",
      "envvars",
    ],
    ckan_version: "2.11.3",
  };
}

function packageList(ctx: ActionContext, data: DataDict): unknown {
  const limit = int(data, "limit", undefined);
  const offset = int(data, "offset", 0) as number;
  const names = ctx.catalog.datasets
    .filter((d) => d.state === "active" && !d.private)
    .map((d) => d.name)
    .sort();
  return names.slice(offset, limit === undefined ? undefined : offset + limit);
}

function tagList(ctx: ActionContext, data: DataDict): unknown {
  const q = str(data, "query") ?? str(data, "q");
  const tags = new Set<string>();
  for (const d of ctx.catalog.datasets)
    if (d.state === "active" && !d.private) for (const t of d.tags) tags.add(t);
  return [...tags].filter((t) => !q || t.toLowerCase().includes(q.toLowerCase())).sort();
}

function userAutocomplete(ctx: ActionContext, data: DataDict): unknown {
  if (!ctx.user) throw notAuthorized();
  const q = (str(data, "q") ?? "").toLowerCase();
  const limit = int(data, "limit", 20) as number;
  return ctx.catalog.users
    .filter((u) => u.name.toLowerCase().includes(q) || u.fullname.toLowerCase().includes(q))
    .slice(0, limit)
    .map((u) => ({ id: u.id, name: u.name, fullname: u.fullname }));
}

const SUFFIXES = [
  ".rtdc",
  ".ini",
  ".csv",
  ".tsv",
  ".pdf",
  ".txt",
  ".jpg",
  ".png",
  ".tif",
  ".py",
  ".ipynb",
  ".poly",
  ".sof",
  ".so2",
];

/** Read ("side-effect-free") actions: GET allowed. */
export const READ_ACTIONS: Record<string, ActionFn> = {
  status_show: statusShow,
  package_show: (ctx, data) =>
    new RawJson(ctx.catalog.datasetJson(datasetOrThrow(ctx, requireId(data)))),
  package_search: packageSearch,
  package_list: packageList,
  resource_show: (ctx, data) => ctx.catalog.resourceDict(resourceOrThrow(ctx, requireId(data))),
  organization_list: groupList(true),
  organization_show: groupShow(true),
  organization_list_for_user: organizationListForUser,
  group_list: groupList(false),
  group_show: groupShow(false),
  group_list_authz: groupListAuthz,
  user_show: userShow,
  user_list: () => {
    throw notAuthorized();
  },
  user_autocomplete: userAutocomplete,
  dataset_followee_list: datasetFolloweeList,
  followee_list: followeeList,
  package_collaborator_list_for_user: collaboratorListForUser,
  package_collaborator_list: collaboratorList,
  license_list: () => LICENSES.map((l) => ({ ...l })),
  tag_list: tagList,
  dcserv,
  supported_resource_suffixes: () => [...SUFFIXES],
};

/** Write actions (POST only). */
export const WRITE_ACTIONS: Record<string, ActionFn> = {
  follow_dataset: followDataset(true),
  unfollow_dataset: followDataset(false),
};

/** Write actions CKAN/DCOR know but the emulator does not implement (answered 409/403). */
export const UNIMPLEMENTED_ACTIONS = new Set([
  "package_create",
  "package_update",
  "package_patch",
  "package_revise",
  "package_delete",
  "dataset_purge",
  "resource_create",
  "resource_update",
  "resource_patch",
  "resource_delete",
  "organization_create",
  "group_create",
  "member_create",
  "package_collaborator_create",
  "api_token_create",
]);
