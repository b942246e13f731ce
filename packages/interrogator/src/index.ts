export { InterrogatorError, InvalidOptionError, UnexpectedResponseError } from "./errors.js";
export type {
  APIInterrogatorOptions,
  GetUsersOptions,
  IterateOptions,
  SearchOptions,
  UserSummary,
} from "./interrogator.js";
export { APIInterrogator } from "./interrogator.js";
export type { GroupTolerance, MetadataGroups, ResourceConfig } from "./resources.js";
export { groupByMetadata, isDCResource, listDCResources, resourceConfig } from "./resources.js";
export type { FilterParts, SortClause, TimeInput } from "./solr.js";
export {
  buildFilterQuery,
  escapeSolrTerm,
  escapeSolrText,
  parseSort,
  planFilterQueries,
  solrDate,
  solrFieldMatch,
  solrSinceQuery,
} from "./solr.js";
export type {
  Dataset,
  DatasetLike,
  GetCallOptions,
  Group,
  InterrogatorAPI,
  Organization,
  PackageSearchResult,
  QueryValue,
  RequestOptions,
  Resource,
  ResourceLike,
  Tag,
  User,
} from "./types.js";
