/**
 * `@dcor/api`: a client of the CKAN/DCOR action API on undici.
 *
 * @packageDocumentation
 */

export { type CacheOptions, DEFAULT_CACHE_TTL } from "./cache.js";
export {
  type AvailabilityOptions,
  type CallOptions,
  CKANAPI,
  type CKANAPIOptions,
  compareVersions,
  type GetOptions,
  MIN_CKAN_VERSION,
  type ParamsFor,
  type PostOptions,
  type RetryState,
} from "./client.js";
export {
  APIAuthorizationError,
  APIBadRequestError,
  APIConflictError,
  APIConnectionError,
  APINotFoundError,
  APIRateLimitError,
  APIResponseError,
  APIServerError,
  APITimeoutError,
  DCORError,
  type DCORErrorCode,
  type DCORErrorContext,
  type FieldErrors,
  isDCORError,
  NoAPIKeyError,
  ServerUnderMaintenanceError,
} from "./errors.js";
export {
  encodeParams,
  type NormalizedServer,
  normalizeServer,
  type Params,
  type ParamValue,
  RepeatedParam,
  repeated,
} from "./params.js";
export {
  computeBackoff,
  DEFAULT_RETRY,
  parseRetryAfter,
  type ResolvedRetry,
  type RetryOptions,
} from "./retry.js";
export type {
  ActionParams,
  ActionResults,
  Dataset,
  DCMetadataKey,
  DCServBasin,
  DCServQuery,
  DCServResults,
  Group,
  License,
  Organization,
  PackageSearchParams,
  PackageSearchResult,
  Resource,
  SearchFacetItem,
  SPMetadataKey,
  StatusShow,
  Tag,
  User,
} from "./types.js";
export { VERSION } from "./version.js";
