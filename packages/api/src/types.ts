/**
 * Shapes of the results of the common CKAN/DCOR actions, as DCOR (CKAN 2.11 + dcor_schemas +
 * dc_serve) returns them. Fields the server may add are allowed through index signatures where
 * CKAN plugins commonly add keys.
 */

/** A tag of a dataset. */
export interface Tag {
  id: string;
  name: string;
  display_name: string;
  state: string;
  vocabulary_id: string | null;
}

/** A circle: a CKAN organization. */
export interface Organization {
  id: string;
  name: string;
  title: string;
  type: string;
  description: string;
  image_url: string;
  created: string;
  is_organization: boolean;
  approval_status: string;
  state: string;
  display_name?: string;
  image_display_url?: string;
  package_count?: number;
  /** Present in `organization_list_for_user` results: the user's role in the circle. */
  capacity?: "admin" | "editor" | "member" | string;
  [key: string]: unknown;
}

/** A collection: a CKAN group. */
export interface Group {
  id: string;
  name: string;
  title: string;
  type?: string;
  description: string;
  display_name: string;
  image_display_url: string;
  image_url?: string;
  created?: string;
  is_organization?: boolean;
  approval_status?: string;
  state?: string;
  package_count?: number;
  capacity?: string;
  [key: string]: unknown;
}

/** DCOR metadata of an RT-DC resource, e.g. `"dc:setup:flow rate": 0.16`. */
export type DCMetadataKey = `dc:${string}:${string}`;
/** Supplementary resource metadata, e.g. `"sp:general:sample type"`. */
export type SPMetadataKey = `sp:${string}:${string}`;

/** A resource (file) of a dataset. */
export interface Resource {
  id: string;
  package_id: string;
  name: string;
  description: string;
  format: string;
  mimetype: string | null;
  mimetype_inner: string | null;
  size: number | null;
  url: string;
  url_type: string | null;
  state: string;
  position: number;
  created: string;
  last_modified: string | null;
  metadata_modified: string | null;
  hash: string;
  resource_type: string | null;
  cache_url: string | null;
  cache_last_updated: string | null;
  /** S3 ETag of the object (DCOR). */
  etag?: string;
  /** SHA-256 of the file (DCOR). */
  sha256?: string;
  /** Whether the object is available on S3 (DCOR). */
  s3_available?: boolean;
  /** S3 URL of the object, present for private resources too (DCOR). */
  s3_url?: string;
  /** `dc:<section>:<key>` metadata read from the file, `sp:<section>:<key>` supplements. */
  [key: DCMetadataKey | SPMetadataKey]: string | number | boolean | null | undefined;
  [key: string]: unknown;
}

/** A dataset (CKAN package) as DCOR returns it. */
export interface Dataset {
  id: string;
  name: string;
  title: string;
  type: string;
  state: "active" | "draft" | "deleted" | string;
  private: boolean;
  /** Comma-separated list of authors (DCOR). */
  authors: string;
  doi?: string;
  /** Comma-separated references (DCOR). */
  references?: string;
  notes: string;
  license_id: string;
  license_title?: string;
  license_url?: string;
  isopen?: boolean;
  creator_user_id: string;
  owner_org: string;
  organization: Organization;
  groups: Group[];
  resources: Resource[];
  num_resources: number;
  num_tags: number;
  tags: Tag[];
  extras: { key: string; value: string }[];
  metadata_created: string;
  metadata_modified: string;
  relationships_as_object?: unknown[];
  relationships_as_subject?: unknown[];
  [key: string]: unknown;
}

/** A CKAN user; `email` and `apikey` only for yourself. */
export interface User {
  id: string;
  name: string;
  fullname: string | null;
  display_name: string;
  created: string;
  about: string | null;
  last_active?: string | null;
  sysadmin: boolean;
  state: string;
  image_url: string | null;
  image_display_url: string | null;
  email_hash: string;
  number_created_packages: number;
  activity_streams_email_notifications?: boolean;
  email?: string;
  apikey?: string | null;
  [key: string]: unknown;
}

/** One facet item of `search_facets`. */
export interface SearchFacetItem {
  name: string;
  display_name: string;
  count: number;
}

/** The result of `package_search`. */
export interface PackageSearchResult {
  count: number;
  results: Dataset[];
  sort: string;
  facets: Record<string, Record<string, number>>;
  search_facets: Record<string, { title: string; items: SearchFacetItem[] }>;
  [key: string]: unknown;
}

/** The result of `status_show`. */
export interface StatusShow {
  site_title: string;
  site_description: string;
  site_url: string;
  error_emails_to: string | null;
  locale_default: string;
  extensions: string[];
  /** Omitted if the server hides its version. */
  ckan_version?: string;
  [key: string]: unknown;
}

/** A license of `license_list`. */
export interface License {
  id: string;
  title: string;
  url?: string;
  [key: string]: unknown;
}

/** A basin as listed by `dcserv?query=basins` (dc_serve, version 2). */
export interface DCServBasin {
  /** `"condensed-<rid[:5]>"` or `"resource-<rid[:5]>"`. */
  name: string;
  format: "http" | string;
  type: "remote" | string;
  mapping: "same" | string;
  /** `true` for presigned URLs (private resources) that expire. */
  perishable: boolean;
  key: string;
  urls: string[];
  /** Features available from this basin; missing if the basin file is not available. */
  features?: string[];
  /** Epoch seconds (float) when the presigned URLs were made (perishable basins only). */
  time_request?: number;
  /** Epoch seconds when the presigned URLs expire (perishable basins only). */
  time_expiration?: number;
  [key: string]: unknown;
}

/** Results of the `dcserv` queries. */
export interface DCServResults {
  valid: boolean;
  metadata: Record<string, Record<string, unknown>>;
  size: number;
  feature_list: string[];
  logs: Record<string, string[]>;
  tables: Record<string, [string[], unknown[][][]]>;
  trace_list: string[];
  basins: DCServBasin[];
}

/** A `dcserv` query name. */
export type DCServQuery = keyof DCServResults;

/** Result types of the actions `get()`/`post()` know; others default to `unknown`. */
export interface ActionResults {
  status_show: StatusShow;
  package_show: Dataset;
  resource_show: Resource;
  package_search: PackageSearchResult;
  organization_show: Organization;
  organization_list: string[] | Organization[];
  organization_list_for_user: Organization[];
  group_show: Group;
  group_list: string[] | Group[];
  group_list_authz: Group[];
  user_show: User;
  user_autocomplete: { id: string; name: string; fullname: string }[];
  dataset_followee_list: Dataset[];
  package_collaborator_list_for_user: { package_id: string; capacity: string; modified: string }[];
  license_list: License[];
  supported_resource_suffixes: string[];
  resource_schema_supplements: Record<string, unknown>;
  package_create: Dataset;
  package_revise: { package: Dataset; [key: string]: unknown };
  package_patch: Dataset;
  package_update: Dataset;
}

/** Parameters of `package_search` (CKAN 2.11). */
export interface PackageSearchParams {
  /** Solr query. @default "*:*" */
  q?: string;
  /** Filter query. */
  fq?: string;
  /** Several filter queries (sent as repeated keys). */
  fq_list?: readonly string[];
  /** Rows per page; the server clamps values above 1000 silently. @default 10 */
  rows?: number;
  /** Offset of the first result. @default 0 */
  start?: number;
  /** @default "score desc, metadata_modified desc" */
  sort?: string;
  /** Include private datasets the user may see. @default false */
  include_private?: boolean;
  /** Include the user's drafts. @default false */
  include_drafts?: boolean;
  include_deleted?: boolean;
  facet?: boolean;
  /** Fields to facet on, e.g. `["organization", "groups"]` (sent as a JSON list). */
  "facet.field"?: readonly string[];
  "facet.limit"?: number;
  "facet.mincount"?: number;
  use_default_schema?: boolean;
  fl?: string;
}

/** Parameters of `organization_list` / `group_list`. */
export interface GroupListParams {
  all_fields?: boolean;
  /** Capped by the server at 1000, or 25 with `all_fields`. */
  limit?: number;
  offset?: number;
  sort?: string;
  q?: string;
  include_dataset_count?: boolean;
  include_extras?: boolean;
  include_tags?: boolean;
  include_groups?: boolean;
  include_users?: boolean;
}

/** Parameters of `organization_show` / `group_show`. */
export interface GroupShowParams {
  id: string;
  include_datasets?: boolean;
  include_dataset_count?: boolean;
  include_extras?: boolean;
  include_users?: boolean;
  include_groups?: boolean;
  include_tags?: boolean;
  include_followers?: boolean;
}

/** Parameters known for common read actions; any other key is still allowed. */
export interface ActionParams {
  package_show: { id: string; use_default_schema?: boolean; include_plugin_data?: boolean };
  resource_show: { id: string };
  package_search: PackageSearchParams;
  organization_list: GroupListParams;
  group_list: GroupListParams;
  organization_show: GroupShowParams;
  group_show: GroupShowParams;
  organization_list_for_user: {
    id?: string;
    /** @default "manage_group" (DCOR-Aid asks for "create_dataset") */
    permission?: string;
    include_dataset_count?: boolean;
  };
  group_list_authz: { available_only?: boolean; am_member?: boolean };
  user_show: { id?: string };
  dataset_followee_list: { id: string };
  package_collaborator_list_for_user: { id: string; capacity?: string };
  user_autocomplete: { q: string; limit?: number };
}
