import type { User } from "@dcor/api";

export type {
  Dataset,
  Group,
  Organization,
  PackageSearchResult,
  Resource,
  Tag,
  User,
} from "@dcor/api";

/**
 * The least a resource must have for the resource helpers; `Resource` of `@dcor/api` is one.
 */
export interface ResourceLike {
  id: string;
  name: string;
  mimetype?: string | null;
  package_id?: string;
  [key: string]: unknown;
}

/** The least a dataset must have for {@link listDCResources}. */
export interface DatasetLike<R extends ResourceLike = ResourceLike> {
  id: string;
  resources?: readonly R[];
}

/** Per-call options every request accepts. */
export interface RequestOptions {
  /** Aborts the request; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Bypass the API client's response cache (`CKANAPI`'s opt-in `cache`), if it has one.
   * @default false
   */
  fresh?: boolean;
}

/** Options passed on to the API client's `get`. */
export interface GetCallOptions {
  signal?: AbortSignal;
  /** `false` bypasses the client's response cache. */
  cache?: boolean;
}

/** A query-string value as `@dcor/api`'s `get` accepts it. */
export type QueryValue = string | number | boolean;

/**
 * What this package needs from an API client. `CKANAPI` from `@dcor/api` satisfies it; any object
 * with these members works (which keeps this package testable and free of a hard client choice).
 */
export interface InterrogatorAPI {
  /** Normalized server origin, e.g. `https://dcor.mpl.mpg.de`. */
  readonly server: string;
  /** Whether requests carry an API token (then private datasets are included in searches). */
  readonly hasApiKey: boolean;
  /** Calls a CKAN action with GET and returns its `result`. */
  get<T>(action: string, params?: Record<string, QueryValue>, options?: GetCallOptions): Promise<T>;
  /** The user the token belongs to. */
  getUserDict(options?: GetCallOptions): Promise<User>;
}
