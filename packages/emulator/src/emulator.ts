/** `startEmulator()`: a local DCOR (CKAN + DCOR extensions + S3-like object store) on loopback. */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  CatalogModel,
  type CatalogModel as CatalogModelType,
  ckanDate,
  parseCkanDate,
  type ResourceRecord,
} from "./catalog.js";
import { type FaultRule, FaultSet } from "./faults.js";
import {
  type CachedRtdc,
  defaultCacheRoot,
  ensureDataDirFiles,
  ensureSampleFiles,
  hashFile,
} from "./file-cache.js";
import { readRtdcInfo, writeCondensed } from "./hdf5.js";
import { Presigner } from "./presign.js";
import {
  type DatasetSpec,
  type EmulatorUserSpec,
  SAMPLE_CIRCLES,
  SAMPLE_COLLECTIONS,
  SAMPLE_DATASETS,
  SAMPLE_FILES,
  SAMPLE_USERS,
} from "./sample-catalog.js";
import { createObjectServer, createSiteServer, listen } from "./servers.js";
import { EmulatorStats, type StatsSnapshot } from "./stats.js";
import { syntheticDataset, syntheticGroups } from "./synthetic.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port of the CKAN site (0 = random). @default 0 */
  port?: number;
  /** Port of the object store, a different origin (0 = random). @default 0 */
  objectStorePort?: number;
  /** Serve the deterministic built-in sample catalog. @default true */
  sample?: boolean;
  /** Also serve every `.rtdc` file below this folder (recursive), one dataset per file. */
  dataDir?: string;
  /** Also generate this many synthetic datasets (they share a few files). @default 0 */
  synthetic?: number;
  /** Extra users (a user named like a sample user replaces it). */
  users?: EmulatorUserSpec[];
  /** Initial fault rules. */
  faults?: FaultRule[];
  /** Seed of everything random (ids, data, error rates). @default 42 */
  seed?: number;
  /** Where generated `.rtdc` files are cached. @default `<os.tmpdir()>/dcor-emulator-v1` */
  cacheDir?: string;
  /** Lifetime of presigned object-store URLs in seconds (DCOR: 3600). @default 3600 */
  presignedLifetime?: number;
}

/** A user as the emulator knows it. */
export interface EmulatorUser {
  name: string;
  token: string;
  fullname: string;
  id: string;
  sysadmin: boolean;
}

/** A CKAN dict (resource, organization, group) as the API returns it. */
export interface CkanDict {
  id: string;
  name: string;
  [key: string]: unknown;
}

/** A CKAN dataset dict as `package_show` returns it. */
export interface DatasetDict extends CkanDict {
  title: string;
  private: boolean;
  state: "active" | "draft" | "deleted";
  owner_org: string;
  creator_user_id: string;
  metadata_created: string;
  metadata_modified: string;
  organization: CkanDict & { title: string };
  groups: (CkanDict & { title: string })[];
  tags: { name: string; display_name: string; id: string; state: string; vocabulary_id: null }[];
  /** Resource dicts, each with `url`, `s3_url`, `size`, `sha256`, `etag` and `dc:*` keys. */
  resources: (CkanDict & {
    url: string;
    s3_url: string;
    size: number;
    sha256: string;
    etag: string;
    package_id: string;
  })[];
}

/** Ground truth of the served catalog, as plain CKAN-shaped dicts. */
export interface EmulatorCatalog {
  readonly circles: CkanDict[];
  readonly collections: CkanDict[];
  /** All datasets, including private and draft ones. */
  readonly datasets: DatasetDict[];
  /** What `package_search` with `include_private=true` returns for this user (null: anonymous). */
  visibleDatasets(userName: string | null): DatasetDict[];
  /** A resource with its dataset and the paths of its file and condensed copy. */
  resource(
    id: string,
  ):
    | { resource: CkanDict; dataset: DatasetDict; filePath: string; condensedPath: string }
    | undefined;
}

/** The fault-rule controls of a running emulator. */
export interface EmulatorFaults {
  /** Adds a rule (effective for the next request); returns its id. Throws `FaultRuleError`. */
  add(rule: FaultRule): string;
  /** Removes a rule; returns whether it existed. */
  remove(id: string): boolean;
  /** Removes every rule. */
  clear(): void;
  /** The active rules with their ids (`times` shows the uses left). */
  list(): (FaultRule & { id: string })[];
}

/** A running emulator. */
export interface Emulator {
  /** CKAN site origin, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `url + "/api/3/action/"`. */
  readonly apiUrl: string;
  /** Object-store origin (a different port). */
  readonly objectStoreUrl: string;
  /** Every user with a token: the sample users plus `options.users`. */
  readonly users: EmulatorUser[];
  /** Ground truth of what is served. */
  readonly catalog: EmulatorCatalog;
  /** Fault injection at run time. */
  readonly faults: EmulatorFaults;
  /** Request and body-byte counters per route, with a request log. */
  readonly stats: { snapshot(): StatsSnapshot; reset(): void };
  /** Bumps `metadata_modified` of a dataset (now, or `isoDate`). */
  touchDataset(idOrName: string, isoDate?: string): void;
  /** Replaces a resource's file: new size, sha256, etag and metadata. */
  replaceResourceFile(resourceId: string, bytes: Uint8Array): Promise<void>;
  /** Stops both servers (open connections are closed) and removes run-time files. */
  close(): Promise<void>;
}

/** Thrown for invalid options or unknown ids passed to the emulator's methods. */
export class EmulatorError extends Error {
  constructor(
    readonly code: "EMULATOR_BAD_OPTIONS" | "EMULATOR_NOT_FOUND" | "EMULATOR_BAD_FILE",
    message: string,
  ) {
    super(message);
    this.name = "EmulatorError";
  }
}

const SAMPLE_FOLLOWS: Record<string, string[]> = {
  alice: ["bob-jurkat-cells"],
  bob: ["figshare-7771184-v2", "alice-private-donor-a"],
};

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/\.rtdc$/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 80);
}

function buildCatalog(
  catalog: CatalogModelType,
  opts: { sample: boolean; synthetic: number; seed: number },
  sampleFiles: Map<string, CachedRtdc> | undefined,
  dataFiles: Map<string, CachedRtdc> | undefined,
  follows: Map<string, Set<string>>,
): void {
  if (opts.sample) {
    for (const g of SAMPLE_CIRCLES) catalog.addGroup(g, true);
    for (const g of SAMPLE_COLLECTIONS) catalog.addGroup(g, false);
    for (const spec of SAMPLE_DATASETS) catalog.addDataset(spec, (k) => sampleFiles?.get(k));
    for (const [user, names] of Object.entries(SAMPLE_FOLLOWS)) {
      const u = catalog.user(user);
      if (!u) continue;
      follows.set(
        u.id,
        new Set(names.map((n) => catalog.dataset(n)?.id).filter((x): x is string => !!x)),
      );
    }
  }
  if (dataFiles?.size) {
    catalog.addGroup(
      {
        name: "local-data",
        title: "Local data",
        description: "Files served from a local folder.",
        created: "2024-01-01T00:00:00.000000",
        members: { alice: "admin" },
      },
      true,
    );
    const used = new Set<string>();
    let i = 0;
    for (const [rel, cached] of dataFiles) {
      let name = `local-${slug(rel)}`;
      while (used.has(name) || catalog.dataset(name)) name = `${name}-${++i}`;
      used.add(name);
      const sample = cached.info.attrs["experiment:sample"];
      const date = cached.info.attrs["experiment:date"];
      const created =
        typeof date === "string" && /^\d{4}-\d\d-\d\d$/.test(date)
          ? `${date}T12:00:00.000000`
          : "2024-01-01T12:00:00.000000";
      const spec: DatasetSpec = {
        name,
        title: `${typeof sample === "string" && sample ? sample : path.basename(rel)} (${rel})`,
        notes: `Served from ${rel}.`,
        authors: "Local data",
        license: "CC0-1.0",
        circle: "local-data",
        creator: "alice",
        private: false,
        state: "active",
        tags: ["local"],
        collections: [],
        created,
        resources: [{ file: rel, name: path.basename(rel) }],
      };
      catalog.addDataset(spec, (k) => dataFiles.get(k), `data:${rel}`);
    }
  }
  if (opts.synthetic > 0 && sampleFiles) {
    const groups = syntheticGroups(opts.synthetic);
    for (const g of groups.circles) catalog.addGroup(g, true);
    for (const g of groups.collections) catalog.addGroup(g, false);
    const keys = [...sampleFiles.keys()];
    for (let i = 0; i < opts.synthetic; i++)
      catalog.addDataset(
        syntheticDataset(i, opts.seed, keys, groups),
        (k) => sampleFiles.get(k),
        `synthetic:${i}`,
      );
  }
}

/**
 * Starts an emulator: a CKAN site and an object store on loopback, with the sample catalog (and
 * optionally a data folder and synthetic datasets). Close it with `close()`.
 *
 * @example
 * ```ts
 * const emu = await startEmulator();
 * const r = await fetch(`${emu.apiUrl}package_search?q=*:*`);
 * await emu.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const seed = options.seed ?? 42;
  const sample = options.sample ?? true;
  const synthetic = options.synthetic ?? 0;
  const presignedLifetime = options.presignedLifetime ?? 3600;
  if (!Number.isInteger(synthetic) || synthetic < 0)
    throw new EmulatorError("EMULATOR_BAD_OPTIONS", "synthetic must be a non-negative integer");
  if (!Number.isFinite(presignedLifetime) || presignedLifetime <= 0)
    throw new EmulatorError("EMULATOR_BAD_OPTIONS", "presignedLifetime must be positive");
  for (const u of options.users ?? []) {
    if (!u || typeof u.name !== "string" || !u.name || typeof u.token !== "string" || !u.token) {
      throw new EmulatorError(
        "EMULATOR_BAD_OPTIONS",
        "every user needs a non-empty name and token",
      );
    }
  }
  if (options.dataDir !== undefined) {
    const st = await fs.stat(options.dataDir).catch(() => undefined);
    if (!st?.isDirectory())
      throw new EmulatorError(
        "EMULATOR_BAD_OPTIONS",
        `dataDir is not a folder: ${options.dataDir}`,
      );
  }
  const cacheRoot = options.cacheDir ?? defaultCacheRoot();
  const faults = new FaultSet(seed, options.faults ?? []);
  const catalog = new CatalogModel(seed);
  for (const u of SAMPLE_USERS) catalog.addUser(u);
  for (const u of options.users ?? []) catalog.addUser(u);

  const [sampleFiles, dataFiles] = await Promise.all([
    sample || synthetic > 0 ? ensureSampleFiles(SAMPLE_FILES, seed, cacheRoot) : undefined,
    options.dataDir ? ensureDataDirFiles(options.dataDir, cacheRoot) : undefined,
  ]);
  const follows = new Map<string, Set<string>>();
  buildCatalog(catalog, { sample, synthetic, seed }, sampleFiles, dataFiles, follows);

  const stats = new EmulatorStats();
  const presigner = new Presigner(
    createHash("sha256").update(`dcor-emulator:${seed}:${process.pid}:${Math.random()}`).digest(),
  );
  let siteUrl = "";
  let objectStoreUrl = "";
  const deps = {
    catalog,
    faults,
    stats,
    presigner,
    presignedLifetime,
    follows,
    urls: () => ({ siteUrl, objectStoreUrl }),
  };
  const site = createSiteServer(deps);
  const objects = createObjectServer(deps);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const objectPort = await listen(objects, host, options.objectStorePort ?? 0);
  objectStoreUrl = `http://${urlHost}:${objectPort}`;
  let sitePort: number;
  try {
    sitePort = await listen(site, host, options.port ?? 0);
  } catch (err) {
    objects.close();
    throw err;
  }
  siteUrl = `http://${urlHost}:${sitePort}`;
  catalog.urls = { siteUrl, objectStoreUrl };
  catalog.invalidateAll();

  let runtimeDir: string | undefined;
  const resourceOr404 = (id: string): ResourceRecord => {
    const res = catalog.resources.get(id);
    if (!res) throw new EmulatorError("EMULATOR_NOT_FOUND", `no resource ${id}`);
    return res;
  };
  const groupView = (g: (typeof catalog.circles)[number]): CkanDict =>
    ({
      ...catalog.orgDict(g),
      display_name: g.title,
      image_display_url: "",
    }) as unknown as CkanDict;
  const catalogView: EmulatorCatalog = {
    get circles() {
      return catalog.circles.map(groupView);
    },
    get collections() {
      return catalog.collections.map(groupView);
    },
    get datasets() {
      return catalog.datasets.map(
        (d) => JSON.parse(catalog.datasetJson(d)) as unknown as DatasetDict,
      );
    },
    visibleDatasets(userName) {
      const user = userName === null ? undefined : catalog.user(userName);
      if (userName !== null && !user)
        throw new EmulatorError("EMULATOR_NOT_FOUND", `no user ${userName}`);
      return catalog.datasets
        .filter((d) => d.state === "active" && catalog.canRead(d, user))
        .map((d) => JSON.parse(catalog.datasetJson(d)) as unknown as DatasetDict);
    },
    resource(id) {
      const res = catalog.resources.get(id);
      if (!res) return undefined;
      return {
        resource: catalog.resourceDict(res) as CkanDict,
        dataset: JSON.parse(catalog.datasetJson(res.dataset)) as unknown as DatasetDict,
        filePath: res.file.path,
        condensedPath: res.condensed.path,
      };
    },
  };

  return {
    url: siteUrl,
    apiUrl: `${siteUrl}/api/3/action/`,
    objectStoreUrl,
    users: catalog.users.map((u) => ({
      name: u.name,
      token: u.token,
      fullname: u.fullname,
      id: u.id,
      sysadmin: u.sysadmin,
    })),
    catalog: catalogView,
    faults: {
      add: (rule) => faults.add(rule),
      remove: (id) => faults.remove(id),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    stats: { snapshot: () => stats.snapshot(), reset: () => stats.reset() },
    touchDataset(idOrName, isoDate) {
      const ds = catalog.dataset(idOrName);
      if (!ds) throw new EmulatorError("EMULATOR_NOT_FOUND", `no dataset ${idOrName}`);
      const t = isoDate === undefined ? Date.now() : parseCkanDate(isoDate);
      if (Number.isNaN(t))
        throw new EmulatorError("EMULATOR_BAD_OPTIONS", `invalid date ${isoDate}`);
      ds.modified = ckanDate(t);
      catalog.invalidate(ds);
    },
    async replaceResourceFile(resourceId, bytes) {
      const res = resourceOr404(resourceId);
      if (!(bytes instanceof Uint8Array))
        throw new EmulatorError("EMULATOR_BAD_FILE", "bytes must be a Uint8Array");
      runtimeDir ??= await fs.mkdtemp(path.join(os.tmpdir(), "dcor-emulator-run-"));
      const stamp = `${res.id}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
      const filePath = path.join(runtimeDir, `${stamp}.rtdc`);
      await fs.writeFile(filePath, bytes);
      const hashes = await hashFile(filePath);
      let info = res.info;
      let condensed = res.condensed;
      let condensedInfo = res.condensedInfo;
      try {
        info = await readRtdcInfo(filePath);
        const cpath = path.join(runtimeDir, `${stamp}_condensed.rtdc`);
        await writeCondensed(filePath, cpath);
        condensed = { path: cpath, ...(await hashFile(cpath)) };
        condensedInfo = await readRtdcInfo(cpath);
      } catch {
        // Not an HDF5 file: served as-is, metadata unchanged (like a corrupt upload).
      }
      const now = Date.now();
      res.file = { path: filePath, ...hashes };
      res.info = info;
      res.condensed = condensed;
      res.condensedInfo = condensedInfo;
      res.lastModified = ckanDate(now);
      res.metadataModified = ckanDate(now);
      res.dataset.modified = ckanDate(now);
      catalog.invalidate(res.dataset);
    },
    async close() {
      const stop = (s: typeof site) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      await Promise.all([stop(site), stop(objects)]);
      if (runtimeDir) await fs.rm(runtimeDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
