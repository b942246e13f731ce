/** Shared pieces of the action handlers: CKAN's errors, the request context, parameter parsing. */
import type { CatalogModel, DatasetRecord, ResourceRecord, UserRecord } from "./catalog.js";
import type { Presigner } from "./presign.js";

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
export const searchQueryError = (msg: string) =>
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
export type ActionFn = (ctx: ActionContext, data: DataDict) => unknown;

// ---- parameter helpers (CKAN converts GET params from strings) ----

export function str(data: DataDict, key: string): string | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function requireId(data: DataDict, key = "id"): string {
  const v = str(data, key);
  if (v === undefined || v === "") throw validationError({ [key]: ["Missing value"] });
  return v;
}

/** CKAN's `asbool`. */
export function bool(data: DataDict, key: string, fallback: boolean): boolean {
  const v = data[key];
  if (v === undefined || v === null || v === "") return fallback;
  if (typeof v === "boolean") return v;
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).toLowerCase();
  if (["true", "yes", "on", "y", "t", "1"].includes(s)) return true;
  if (["false", "no", "off", "n", "f", "0"].includes(s)) return false;
  throw validationError({ [key]: [`"${String(v)}" is not a valid boolean`] });
}

export function int(
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
export function list(data: DataDict, key: string): string[] | undefined {
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

export function datasetOrThrow(ctx: ActionContext, id: string): DatasetRecord {
  const ds = ctx.catalog.dataset(id);
  if (!ds || (ds.state === "deleted" && !ctx.user?.sysadmin)) throw notFound();
  if (!ctx.catalog.canRead(ds, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to read package ${ds.id}`);
  return ds;
}

export function resourceOrThrow(ctx: ActionContext, id: string): ResourceRecord {
  const res = ctx.catalog.resources.get(id);
  if (!res || res.dataset.state === "deleted") throw notFound("Resource was not found.");
  if (!ctx.catalog.canRead(res.dataset, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to read resource ${res.id}`);
  return res;
}

/** The Solr document of a dataset (cached on the record). */
