/**
 * The catalog model: users, circles (organizations), collections (groups), datasets and
 * resources, plus the CKAN-shaped dicts the API returns for them and DCOR's visibility rules.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type { CachedRtdc, StoredFile } from "./file-cache.js";
import type { AttrValue, RtdcInfo } from "./hdf5.js";
import { licenseById } from "./licenses.js";
import { canEditDataset, canReadDataset } from "./permissions.js";
import { hashString, Rng } from "./rng.js";
import type { Capacity, DatasetSpec, EmulatorUserSpec, GroupSpec } from "./sample-catalog.js";

/** CKAN timestamp format: `2025-03-01T10:04:00.000000` (UTC, microseconds, no zone). */
export function ckanDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/** Parses a CKAN or ISO timestamp (no zone means UTC). */
export function parseCkanDate(text: string): number {
  const t = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`;
  return Date.parse(t.replace(/(\.\d{3})\d+/, "$1"));
}

export interface UserRecord {
  id: string;
  name: string;
  token: string;
  fullname: string;
  sysadmin: boolean;
  email: string;
  created: string;
}

export interface GroupRecord {
  id: string;
  name: string;
  title: string;
  description: string;
  created: string;
  isOrganization: boolean;
  /** user id → capacity */
  members: Map<string, Capacity>;
}

export interface ResourceRecord {
  id: string;
  name: string;
  description: string;
  position: number;
  created: string;
  lastModified: string;
  metadataModified: string;
  dataset: DatasetRecord;
  file: StoredFile;
  condensed: StoredFile;
  info: RtdcInfo;
  condensedInfo: RtdcInfo;
}

export interface DatasetRecord {
  id: string;
  name: string;
  title: string;
  notes: string;
  authors: string;
  doi: string;
  references: string;
  licenseId: string;
  org: GroupRecord;
  creator: UserRecord;
  private: boolean;
  state: "active" | "draft" | "deleted";
  tags: string[];
  groups: GroupRecord[];
  created: string;
  modified: string;
  resources: ResourceRecord[];
  /**
   * Cached UTF-8 JSON of the dataset dict (cleared on change): search pages are concatenated from
   * these. Only the bytes are kept (off the JS heap), not the dict or its text, so 10,000 cached
   * datasets cost the garbage collector nothing.
   */
  jsonBytes?: Buffer;
  /** Cached `Date.parse` of `created` / `modified` (sort keys); cleared on change. */
  createdMs?: number;
  modifiedMs?: number;
  /** Cached search document; cleared on change. */
  doc?: import("./solr.js").SolrDocument;
  /** user id → collaborator capacity (CKAN's dataset collaborators). */
  collaborators?: Map<string, { capacity: "member" | "editor"; modified: string }>;
}

/** Sections whose keys become `dc:<section>:<key>` resource fields. */
const DC_SECTIONS = new Set([
  "experiment",
  "fluorescence",
  "fmt_tdms",
  "imaging",
  "online_contour",
  "online_filter",
  "pipeline",
  "qpi",
  "setup",
]);

/** `dc:<section>:<key>` entries of a file's metadata, computed once per file. */
const dcCache = new WeakMap<RtdcInfo, [string, AttrValue][]>();
function dcEntries(info: RtdcInfo): [string, AttrValue][] {
  let entries = dcCache.get(info);
  if (!entries) {
    entries = [];
    for (const [key, value] of Object.entries(info.attrs).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      const section = key.split(":", 1)[0] ?? "";
      if (!DC_SECTIONS.has(section) || Array.isArray(value)) continue;
      // feature-derived online_filter keys ("area_um min", "... soft limit") are not config keys
      if (section === "online_filter" && /( min| max|soft limit|polygon points)$/.test(key))
        continue;
      entries.push([`dc:${key}`, value]);
    }
    dcCache.set(info, entries);
  }
  return entries;
}

/** Whether a file has fluorescence data (its resource format is then RT-FDC). */
export function isFluorescence(info: RtdcInfo): boolean {
  return Object.keys(info.attrs).some((k) => k.startsWith("fluorescence:"));
}

function uuidFor(seed: number, kind: string, name: string): string {
  return new Rng(hashString(`${seed}:${kind}:${name}`) ^ Math.imul(seed, 0x9e3779b1)).uuid();
}

export interface CatalogUrls {
  siteUrl: string;
  objectStoreUrl: string;
}

/** The mutable catalog behind an emulator. */
export class CatalogModel {
  readonly users: UserRecord[] = [];
  readonly circles: GroupRecord[] = [];
  readonly collections: GroupRecord[] = [];
  readonly datasets: DatasetRecord[] = [];
  readonly resources = new Map<string, ResourceRecord>();
  private readonly datasetsByKey = new Map<string, DatasetRecord>();
  urls: CatalogUrls = { siteUrl: "", objectStoreUrl: "" };
  /** Bumped on every change, so caches of derived results can tell they are stale. */
  version = 0;

  constructor(readonly seed: number) {}

  addUser(spec: EmulatorUserSpec): UserRecord {
    const existing = this.users.findIndex((u) => u.name === spec.name);
    const rec: UserRecord = {
      id: uuidFor(this.seed, "user", spec.name),
      name: spec.name,
      token: spec.token,
      fullname: spec.fullname ?? spec.name,
      sysadmin: spec.sysadmin ?? false,
      email: `${spec.name}@example.org`,
      created: "2019-01-15T09:00:00.000000",
    };
    if (existing >= 0) this.users[existing] = rec;
    else this.users.push(rec);
    return rec;
  }

  user(nameOrId: string): UserRecord | undefined {
    return this.users.find((u) => u.name === nameOrId || u.id === nameOrId);
  }

  userByToken(token: string | undefined): UserRecord | undefined {
    if (!token) return undefined;
    return this.users.find((u) => u.token === token);
  }

  addGroup(spec: GroupSpec, isOrganization: boolean): GroupRecord {
    const members = new Map<string, Capacity>();
    for (const [name, cap] of Object.entries(spec.members)) {
      const u = this.user(name);
      if (u) members.set(u.id, cap);
    }
    const rec: GroupRecord = {
      id: uuidFor(this.seed, isOrganization ? "org" : "group", spec.name),
      name: spec.name,
      title: spec.title,
      description: spec.description,
      created: spec.created,
      isOrganization,
      members,
    };
    (isOrganization ? this.circles : this.collections).push(rec);
    return rec;
  }

  circle(nameOrId: string): GroupRecord | undefined {
    return this.circles.find((g) => g.name === nameOrId || g.id === nameOrId);
  }

  collection(nameOrId: string): GroupRecord | undefined {
    return this.collections.find((g) => g.name === nameOrId || g.id === nameOrId);
  }

  /** Adds a dataset whose resources point at already-cached files. */
  addDataset(
    spec: DatasetSpec,
    files: (name: string) => CachedRtdc | undefined,
    idKey = spec.name,
  ): DatasetRecord {
    const org = this.circle(spec.circle);
    const creator = this.user(spec.creator);
    if (!org || !creator) throw new Error(`dataset ${spec.name}: unknown circle or creator`);
    const created = parseCkanDate(spec.created);
    const rec: DatasetRecord = {
      id: uuidFor(this.seed, "dataset", idKey),
      name: spec.name,
      title: spec.title,
      notes: spec.notes,
      authors: spec.authors,
      doi: spec.doi ?? "",
      references: spec.references ?? "",
      licenseId: spec.license,
      org,
      creator,
      private: spec.private,
      state: spec.state,
      tags: spec.tags,
      groups: spec.collections.map((c) => this.collection(c)).filter((g): g is GroupRecord => !!g),
      created: ckanDate(created),
      modified: ckanDate(created + 60_000 * (3 + spec.resources.length)),
      resources: [],
    };
    spec.resources.forEach((r, position) => {
      const cached = files(r.file);
      if (!cached) throw new Error(`dataset ${spec.name}: file ${r.file} missing`);
      const t = created + 60_000 * (1 + position);
      const res: ResourceRecord = {
        id: uuidFor(this.seed, "resource", `${idKey}/${position}/${r.name}`),
        name: r.name,
        description: r.description ?? "",
        position,
        created: ckanDate(t),
        lastModified: ckanDate(t + 30_654),
        metadataModified: ckanDate(t + 30_700),
        dataset: rec,
        file: cached.file,
        condensed: cached.condensed,
        info: cached.info,
        condensedInfo: cached.condensedInfo,
      };
      rec.resources.push(res);
      this.resources.set(res.id, res);
    });
    this.datasets.push(rec);
    this.datasetsByKey.set(rec.id, rec);
    this.datasetsByKey.set(rec.name, rec);
    return rec;
  }

  dataset(idOrName: string): DatasetRecord | undefined {
    return this.datasetsByKey.get(idOrName);
  }

  /** Capacity of `user` in `group`, if a member. */
  capacity(group: GroupRecord, user: UserRecord | undefined): Capacity | undefined {
    return user ? group.members.get(user.id) : undefined;
  }

  /** Whether `user` (undefined = anonymous) may read `ds` (see `permissions.ts`). */
  canRead(ds: DatasetRecord, user: UserRecord | undefined): boolean {
    return canReadDataset(ds, user);
  }

  /** Whether `user` may edit `ds` (see `permissions.ts`). */
  canEdit(ds: DatasetRecord, user: UserRecord | undefined): boolean {
    return canEditDataset(ds, user);
  }

  // ---- dicts ----

  orgDict(g: GroupRecord): Record<string, unknown> {
    return {
      id: g.id,
      name: g.name,
      title: g.title,
      type: g.isOrganization ? "organization" : "group",
      description: g.description,
      image_url: "",
      created: g.created,
      is_organization: g.isOrganization,
      approval_status: "approved",
      state: "active",
    };
  }

  groupListDict(g: GroupRecord, packageCount: number): Record<string, unknown> {
    return {
      ...this.orgDict(g),
      display_name: g.title,
      package_count: packageCount,
      image_display_url: "",
    };
  }

  s3Url(res: ResourceRecord, artifact: "resource" | "condensed" = "resource"): string {
    const rid = res.id;
    return `${this.urls.objectStoreUrl}/${objectKey(res.dataset.org.id, artifact, rid)}`;
  }

  resourceDict(res: ResourceRecord): Record<string, unknown> {
    const ds = res.dataset;
    const fluorescence = isFluorescence(res.info);
    const dict: Record<string, unknown> = {
      cache_last_updated: null,
      cache_url: null,
      created: res.created,
      description: res.description,
      format: fluorescence ? "RT-FDC" : "RT-DC",
      hash: "",
      id: res.id,
      last_modified: res.lastModified,
      metadata_modified: res.metadataModified,
      mimetype: "RT-DC",
      mimetype_inner: null,
      name: res.name,
      package_id: ds.id,
      position: res.position,
      resource_type: null,
      size: res.file.size,
      state: "active",
      url: `${this.urls.siteUrl}/dataset/${ds.id}/resource/${res.id}/download/${res.name.toLowerCase()}`,
      url_type: "s3_upload",
      etag: res.file.md5,
      sha256: res.file.sha256,
      s3_available: true,
      s3_url: this.s3Url(res),
    };
    for (const [key, value] of dcEntries(res.info)) dict[key] = value;
    return dict;
  }

  /** A fresh dataset dict (callers may change it). */
  datasetDict(ds: DatasetRecord): Record<string, unknown> {
    const lic = licenseById(ds.licenseId);
    const dict: Record<string, unknown> = {
      authors: ds.authors,
      creator_user_id: ds.creator.id,
      doi: ds.doi,
      extras: [],
      groups: ds.groups.map((g) => ({
        description: g.description,
        display_name: g.title,
        id: g.id,
        image_display_url: "",
        name: g.name,
        title: g.title,
      })),
      id: ds.id,
      isopen: lic ? lic.od_conformance === "approved" : false,
      license_id: ds.licenseId,
      license_title: lic?.title ?? ds.licenseId,
      license_url: lic?.url ?? "",
      metadata_created: ds.created,
      metadata_modified: ds.modified,
      name: ds.name,
      notes: ds.notes,
      num_resources: ds.resources.length,
      num_tags: ds.tags.length,
      organization: this.orgDict(ds.org),
      owner_org: ds.org.id,
      private: ds.private,
      references: ds.references,
      relationships_as_object: [],
      relationships_as_subject: [],
      resources: ds.resources.map((r) => this.resourceDict(r)),
      state: ds.state,
      tags: ds.tags.map((t) => ({
        display_name: t,
        id: uuidFor(this.seed, "tag", t),
        name: t,
        state: "active",
        vocabulary_id: null,
      })),
      title: ds.title,
      type: "dataset",
    };
    return dict;
  }

  /** The dataset dict as JSON text (from the cached bytes). */
  datasetJson(ds: DatasetRecord): string {
    return this.datasetJsonBytes(ds).toString("utf8");
  }

  /** The dataset dict as UTF-8 JSON bytes (cached: a 1000-row page is a concatenation of these). */
  datasetJsonBytes(ds: DatasetRecord): Buffer {
    ds.jsonBytes ??= Buffer.from(JSON.stringify(this.datasetDict(ds)));
    return ds.jsonBytes;
  }

  userDict(u: UserRecord, self: boolean): Record<string, unknown> {
    const n = this.datasets.filter((d) => d.creator.id === u.id && d.state === "active").length;
    const dict: Record<string, unknown> = {
      id: u.id,
      name: u.name,
      fullname: u.fullname,
      created: u.created,
      about: null,
      last_active: ckanDate(Date.now()),
      activity_streams_email_notifications: false,
      sysadmin: u.sysadmin,
      state: "active",
      image_url: null,
      display_name: u.fullname || u.name,
      email_hash: createHash("md5").update(u.email).digest("hex"),
      number_created_packages: n,
      image_display_url: null,
    };
    if (self) {
      dict.apikey = null;
      dict.email = u.email;
    }
    return dict;
  }

  /** Marks a dataset changed (dicts are rebuilt on next access). */
  invalidate(ds: DatasetRecord): void {
    this.version++;
    ds.jsonBytes = undefined;
    ds.createdMs = undefined;
    ds.modifiedMs = undefined;
    ds.doc = undefined;
  }

  invalidateAll(): void {
    for (const ds of this.datasets) this.invalidate(ds);
  }
}

/** Object-store key of an artifact: `circle-<org>/<artifact>/<rid[:3]>/<rid[3:6]>/<rid[6:]>`. */
export function objectKey(orgId: string, artifact: "resource" | "condensed", rid: string): string {
  return `circle-${orgId}/${artifact}/${rid.slice(0, 3)}/${rid.slice(3, 6)}/${rid.slice(6)}`;
}

/** The stem used for condensed download names: `<stem>_condensed.<suffix>`. */
export function condensedName(name: string): string {
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)}_condensed${ext || ".rtdc"}`;
}

/** Nested `{section: {key: value}}` metadata as dclab's `Configuration.as_dict()`. */
export function nestedMetadata(
  attrs: Record<string, AttrValue>,
): Record<string, Record<string, AttrValue>> {
  const out: Record<string, Record<string, AttrValue>> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const i = key.indexOf(":");
    if (i < 0) continue;
    const section = key.slice(0, i);
    if (section === "filtering" || section === "calculation") continue;
    const sub = out[section] ?? {};
    sub[key.slice(i + 1)] = value;
    out[section] = sub;
  }
  for (const section of Object.keys(out)) {
    const sub = out[section] as Record<string, AttrValue>;
    out[section] = Object.fromEntries(
      Object.entries(sub).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
