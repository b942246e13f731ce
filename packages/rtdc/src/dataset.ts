import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve as resolvePath } from "node:path";
import { ANCILLARY_FEATURES, type AncillaryFeature, type FeatureArray } from "./ancillary.js";
import {
  type BasinDefinition,
  measurementIdentifier,
  parseBasinLines,
  sortBasins,
} from "./basins.js";
import { chunkCache } from "./chunk-cache.js";
import { parseConfig, type RtdcConfig } from "./config.js";
import {
  RtdcBasinError,
  RtdcClosedError,
  RtdcFeatureUnavailableError,
  RtdcFormatError,
  redactUrl,
} from "./errors.js";
import { featureExists, isScalarFeature } from "./features.js";
import { applyMask, Filter } from "./filter/index.js";
import { Hdf5File } from "./hdf5/client.js";
import type { DatasetInfo, GroupInfo, TableResult, TypedArrayOut } from "./hdf5/protocol.js";
import {
  type KdeContourOptions,
  type KdeContourResult,
  type KdeParallelOptions,
  type KdeScatterOptions,
  kdeContourAsync,
  kdeScatterAsync,
} from "./kde/index.js";
import { contourFromMask } from "./mask-contour.js";
import { compareVersions } from "./version.js";

/** The part of `@dcor/api`'s `CKANAPI` used here. */
export interface DcorApiLike {
  /** The action API base URL (`…/api/3/action/`). */
  readonly apiUrl: string;
  /** A `dcserv` query (`size`, `metadata`, `basins`, `logs`, `tables`, …) for a resource. */
  dcserv<T = unknown>(
    resourceId: string,
    query: string,
    options?: { signal?: AbortSignal },
  ): Promise<T>;
  /** Authorization headers for a URL: only for the API's own origin, else `{}`. */
  authHeadersFor(url: string | URL): Record<string, string>;
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /**
   * API client for DCOR resources (resource id or dcserv URL) and `dcor` basins.
   * @default undefined (no DCOR access; `dcor` basins are skipped)
   */
  api?: DcorApiLike;
  /**
   * Abort the opening (remote metadata reads).
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Resolve basins (file, remote, DCOR). `false` keeps only internal basins, like dclab's
   * `enable_basins=False`.
   * @default true
   */
  basins?: boolean;
  /**
   * Extra HTTP headers for remote files (e.g. authorization for a private server).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Remote files up to 64 MiB: fetch the whole file in one request at open (faster when most
   * features will be read); otherwise only the ranges that reads need.
   * @default false
   */
  prefetch?: boolean;
  /** @internal Keys of the basins above this one (cycle protection). */
  _ancestors?: string[];
}

/** One image-like event: row-major `height × width` pixels. */
export interface RtdcImage {
  /** `height × width` pixels, row by row (masks: 0/1). */
  data: Uint8Array;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/** Contour of one event: pixel coordinates. */
export interface RtdcContour {
  /** Column of each contour point. */
  x: Int32Array;
  /** Row of each contour point. */
  y: Int32Array;
}

/** A range of image-like or trace events, the first axis being the events. */
export interface RtdcEventBlock {
  /** The values in row-major order. */
  data: TypedArrayOut;
  /** `[events, …]`, e.g. `[count, height, width]` for images, `[count, samples]` for traces. */
  shape: number[];
}

/**
 * Options of {@link RtdcDataset.getKdeScatter}: the KDE options, the two features (lower-cased
 * like dclab) and the worker-thread options (`threads`, `signal`).
 */
export interface DatasetKdeScatterOptions extends KdeScatterOptions, KdeParallelOptions {
  /**
   * Feature on the x axis.
   * @default "area_um"
   */
  xax?: string;
  /**
   * Feature on the y axis.
   * @default "deform"
   */
  yax?: string;
}

/**
 * Options of {@link RtdcDataset.getKdeContour}: the KDE options, the two features (lower-cased
 * like dclab) and the worker-thread options (`threads`, `signal`).
 */
export interface DatasetKdeContourOptions extends KdeContourOptions, KdeParallelOptions {
  /**
   * Feature on the x axis.
   * @default "area_um"
   */
  xax?: string;
  /**
   * Feature on the y axis.
   * @default "deform"
   */
  yax?: string;
}

/** What the dataset knows about one basin. */
export interface BasinInfo {
  /** Hash of the basin definition (its name in the file's `basins/` group). */
  key: string;
  /** Display name. */
  name: string | undefined;
  /** `internal`, `file` or `remote`. */
  type: string;
  /** `h5dataset`, `hdf5`, `http`, `s3` or `dcor`. */
  format: string;
  /** `"same"` or the `basinmapN` feature mapping this dataset's events to the basin's. */
  mapping: string;
  /** Features it provides (listed, or learned by opening it). */
  features: string[];
  /** `false` once opening or verifying it failed (see `error`); `undefined` before first use. */
  available: boolean | undefined;
  /** Why the basin is unavailable. */
  error?: string;
  /** Where it was found (path or URL without query). */
  location?: string;
}

/** @internal The public description of a basin definition, before or after opening it. */
export function basinInfo(
  def: Pick<BasinDefinition, "key" | "name" | "type" | "format" | "mapping">,
  features: string[],
  available: boolean | undefined,
): BasinInfo {
  const { key, name, type, format, mapping } = def;
  return { key, name, type, format, mapping, features, available };
}

const DEFECT_CHECKS: Record<string, (ds: DefectContext) => boolean> = {
  aspect: (c) => ["ShapeIn 2.0.6", "ShapeIn 2.0.7"].includes(c.software),
  time: (c) => {
    if (!c.events.frame || !(Number(c.attrs["imaging:frame rate"] ?? 0) !== 0)) return false;
    const t = c.events.time;
    if (t?.kind === "dataset" && t.cls === "float" && t.size === 4) return true;
    if (!c.software.includes("ShapeIn")) return false;
    const last = c.software.split("|").at(-1)?.trim() ?? "";
    return last.startsWith("dclab") && compareVersions(last.split(/\s+/)[1] ?? "0", "0.47.6") < 0;
  },
  volume: (c) => {
    if (c.logs.includes("dclab_issue_141")) return false;
    const last = c.software.split("|").at(-1)?.trim() ?? "";
    return last.startsWith("dclab") && compareVersions(last.split(/\s+/)[1] ?? "0", "0.37.0") < 0;
  },
  inert_ratio_prnc: (c) => inertRatioDefect(c),
  tilt: (c) => inertRatioDefect(c),
  inert_ratio_cvx: (c) => inertRatioRawCvxDefect(c),
  inert_ratio_raw: (c) => inertRatioRawCvxDefect(c),
};

interface DefectContext {
  attrs: Record<string, unknown>;
  software: string;
  events: Record<string, DatasetInfo | GroupInfo>;
  logs: string[];
}

function inertRatioDefect(c: DefectContext): boolean {
  if (!(Number(c.attrs["imaging:roi size x"] ?? 0) > 500)) return false;
  const last = c.software.split("|").at(-1)?.trim() ?? "";
  return last.startsWith("dclab") && compareVersions(last.split(/\s+/)[1] ?? "0", "0.48.3") < 0;
}

function inertRatioRawCvxDefect(c: DefectContext): boolean {
  if (!inertRatioDefect(c)) return false;
  const first = c.software.split("|")[0]?.trim() ?? "";
  let si: string;
  if (first.startsWith("ShapeIn")) si = first.split(/\s+/)[1] ?? "0";
  else if (c.logs.includes("shapein-acquisition")) si = first;
  else return true;
  return compareVersions(si, "2.0.5") < 0;
}

/** Placeholder: `contour` is computed per event from `mask` by contour()/contours(). */
const CONTOUR_FROM_MASK: AncillaryFeature = {
  name: "contour",
  reqFeatures: ["mask"],
  reqConfig: [],
  compute: () =>
    Promise.reject(
      new RtdcFeatureUnavailableError("use contour(i) or contours()", { feature: "contour" }),
    ),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface BasinState {
  def: BasinDefinition;
  info: BasinInfo;
  ds?: RtdcDataset;
  opening?: Promise<RtdcDataset>;
  /** Refresh perishable URLs (DCOR): returns fresh definitions. */
  refresh?: () => Promise<BasinDefinition[]>;
}

/**
 * An RT-DC dataset: a local file, a remote file read by HTTP range requests, or a DCOR resource.
 * Create it with {@link openDataset}; close it with {@link RtdcDataset.close}.
 */
export class RtdcDataset {
  /** The configuration (metadata), typed like dclab's. */
  readonly config: RtdcConfig;
  /** Number of events. */
  readonly length: number;
  /** Where the data come from: path, URL (without query) or DCOR resource id. */
  readonly source: string;
  /** The filter state (box, invalid, polygon, manual, limit); `filter.all` after {@link applyFilter}. */
  readonly filter: Filter;
  /** @internal */
  readonly file: Hdf5File | undefined;
  private readonly stored = new Map<string, { path: string; info: DatasetInfo | GroupInfo }>();
  private readonly basinStates: BasinState[] = [];
  private readonly cache = new Map<string, Promise<FeatureArray>>();
  private readonly ancillary = new Map<string, AncillaryFeature>();
  private readonly uid: string;
  private readonly localDir: string | undefined;
  private closed = false;
  private readonly ownsFile: boolean;
  private readonly logNames: string[];
  private readonly tableNames: string[];
  /** @internal Logs/tables from DCOR's dcserv when there is no primary file. */
  private readonly remoteExtras: {
    logs?: () => Promise<Record<string, string[]>>;
    tables?: () => Promise<Record<string, TableResult>>;
  };
  private static nextUid = 1;

  /** @internal Use {@link openDataset}. */
  constructor(init: {
    source: string;
    config: RtdcConfig;
    length: number;
    file?: Hdf5File;
    localDir?: string;
    logs?: string[];
    tables?: string[];
    remoteExtras?: RtdcDataset["remoteExtras"];
    ownsFile?: boolean;
  }) {
    this.ownsFile = init.ownsFile ?? true;
    this.source = init.source;
    this.config = init.config;
    this.length = init.length;
    this.file = init.file;
    this.localDir = init.localDir;
    this.logNames = init.logs ?? [];
    this.tableNames = init.tables ?? [];
    this.remoteExtras = init.remoteExtras ?? {};
    this.uid = `ds${RtdcDataset.nextUid++}`;
    this.filter = new Filter(this.length);
  }

  // ---------------------------------------------------------------- features

  /** Stored (innate) features: in the file, recognised by name and not defective. */
  get featuresInnate(): string[] {
    return [...this.stored.keys()].sort();
  }

  /** Features provided by basins (available or not yet checked). */
  get featuresBasin(): string[] {
    const s = new Set<string>();
    for (const b of this.basinStates)
      if (b.info.available !== false) for (const f of b.info.features) s.add(f);
    return [...s].sort();
  }

  /** Ancillary features that can be computed here (whether or not stored elsewhere). */
  get featuresAncillary(): string[] {
    return [...this.ancillary.keys()].filter((f) => !this.stored.has(f)).sort();
  }

  /** Every available feature: innate, basin and computable ancillary ones. */
  get features(): string[] {
    return [
      ...new Set([...this.featuresInnate, ...this.featuresBasin, ...this.featuresAncillary]),
    ].sort();
  }

  /** The scalar ones of {@link features}. */
  get featuresScalar(): string[] {
    return this.features.filter((f) => isScalarFeature(f));
  }

  /** The basins of this dataset, in lookup order. */
  get basins(): BasinInfo[] {
    return this.basinStates.map((b) => ({ ...b.info, features: [...b.info.features] }));
  }

  /** Whether `name` is available (see {@link features}). */
  has(name: string): boolean {
    return this.stored.has(name) || this.featuresBasin.includes(name) || this.ancillary.has(name);
  }

  private assertOpen(): void {
    if (this.closed) throw new RtdcClosedError("the dataset is closed", { action: "read" });
  }

  /** @internal */
  registerStored(name: string, path: string, info: DatasetInfo | GroupInfo): void {
    this.stored.set(name, { path, info });
  }

  /** @internal */
  addBasin(state: BasinState): void {
    this.basinStates.push(state);
  }

  /** @internal Work out which ancillary features are computable (after stored + basins are known). */
  resolveAncillary(): void {
    this.ancillary.clear();
    const have = new Set([...this.stored.keys(), ...this.featuresBasin]);
    // The contour can come from the mask (non-scalar, so not in ANCILLARY_FEATURES).
    if (!have.has("contour") && have.has("mask")) this.ancillary.set("contour", CONTOUR_FROM_MASK);
    // Repeat so that chains (feature computed from a computed feature) resolve.
    for (let pass = 0; pass < 3; pass++) {
      for (const a of ANCILLARY_FEATURES) {
        if (this.ancillary.has(a.name)) continue;
        const cfgOk = a.reqConfig.every(([s, k]) => this.config[s]?.[k] !== undefined);
        const featOk = a.reqFeatures.every((f) => have.has(f) || this.ancillary.has(f));
        if (cfgOk && featOk) this.ancillary.set(a.name, a);
      }
    }
  }

  /**
   * A whole scalar feature (all events, unfiltered): the stored numeric type, or Float64Array
   * for 64-bit integers and computed features with float64 results.
   * Lookup order as dclab: stored → computed before → basins → compute ancillary.
   * @throws {@link RtdcFeatureUnavailableError} if not available; {@link RtdcFilterUnavailableError}
   *   if stored with a filter that is not available.
   */
  get(name: string, options: { signal?: AbortSignal } = {}): Promise<FeatureArray> {
    if (this.closed)
      return Promise.reject(
        new RtdcClosedError("the dataset is closed", { action: "read", feature: name }),
      );
    if (!isScalarFeature(name)) {
      return Promise.reject(
        new RtdcFeatureUnavailableError(
          featureExists(name)
            ? `'${name}' is not a scalar feature: use image(i), mask(i), contour(i), trace(name, i) or getRange()`
            : `'${name}' is not an RT-DC feature`,
          { feature: name },
        ),
      );
    }
    const cached = this.cache.get(name);
    if (cached) return cached;
    const p = this.loadScalar(name, options.signal);
    this.cache.set(name, p);
    p.catch(() => this.cache.delete(name));
    return p;
  }

  private async loadScalar(name: string, signal?: AbortSignal): Promise<FeatureArray> {
    const st = this.stored.get(name);
    if (st && this.file) {
      const { data } = await this.file.read(st.path, undefined, signal);
      return checkLength(data as FeatureArray, this.length, name);
    }
    const errors: string[] = [];
    for (const b of this.basinStates) {
      if (b.info.available === false || !b.info.features.includes(name)) continue;
      try {
        const ds = await this.openBasin(b);
        const data = await ds.get(name, signal ? { signal } : {});
        return await this.mapScalar(b, data);
      } catch (err) {
        if (err instanceof RtdcBasinError || err instanceof RtdcClosedError)
          errors.push(String((err as Error).message));
        else throw err;
      }
    }
    const anc = this.ancillary.get(name);
    if (anc) {
      return anc.compute({
        config: this.config,
        length: this.length,
        get: (n) => this.get(n, signal ? { signal } : {}),
        contours: () => this.contours(),
        pixels: async (n, i) =>
          n === "mask"
            ? (await this.mask(i)).data
            : ((await this.eventData(n, i)).data as Uint8Array),
        has: (n) => this.has(n),
      });
    }
    throw new RtdcFeatureUnavailableError(
      `feature '${name}' is not available${errors.length ? ` (basins: ${errors.join("; ")})` : ""}`,
      { feature: name },
    );
  }

  private async basinMap(b: BasinState): Promise<FeatureArray | undefined> {
    if (b.def.mapping === "same") return undefined;
    return this.get(b.def.mapping);
  }

  private async mapScalar(b: BasinState, data: FeatureArray): Promise<FeatureArray> {
    const map = await this.basinMap(b);
    if (!map) return checkLength(data, this.length, "basin feature");
    const Ctor = data.constructor as new (n: number) => FeatureArray;
    const out = new Ctor(map.length);
    for (let i = 0; i < map.length; i++) {
      const j = map[i] as number;
      if (!(j >= 0 && j < data.length))
        throw new RtdcFormatError(`${b.def.mapping}[${i}] = ${j} is out of range`);
      out[i] = data[j] as number;
    }
    return out;
  }

  private async mapIndex(b: BasinState, i: number): Promise<number> {
    const map = await this.basinMap(b);
    if (!map) return i;
    const j = map[i];
    if (j === undefined || !(j >= 0))
      throw new RtdcFormatError(`${b.def.mapping}[${i}] is out of range`);
    return j;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`event index ${i} is out of range 0..${this.length - 1}`);
    }
  }

  /** Find where a non-scalar feature comes from: stored here, or the first basin having it. */
  private async nonScalarSource(
    name: string,
  ): Promise<
    | { kind: "stored"; path: string; info: DatasetInfo | GroupInfo }
    | { kind: "basin"; b: BasinState; ds: RtdcDataset }
  > {
    const st = this.stored.get(name);
    if (st && this.file) return { kind: "stored", ...st };
    for (const b of this.basinStates) {
      if (b.info.available === false || !b.info.features.includes(name)) continue;
      try {
        return { kind: "basin", b, ds: await this.openBasin(b) };
      } catch (err) {
        if (!(err instanceof RtdcBasinError)) throw err;
      }
    }
    throw new RtdcFeatureUnavailableError(`feature '${name}' is not available`, { feature: name });
  }

  /** Read event `i` of an (N, ...) dataset through the chunk cache. */
  private async readEventRow(
    path: string,
    info: DatasetInfo,
    i: number,
  ): Promise<{ data: TypedArrayOut; shape: number[] }> {
    const file = this.file as Hdf5File;
    const rowShape = info.shape.slice(1);
    const rowLen = rowShape.reduce((a, b) => a * b, 1);
    const n = info.shape[0] ?? 0;
    if (i >= n) throw new RtdcFormatError(`'${path}' has only ${n} events`, { feature: path });
    // Whole chunks (or ~1 MiB when not chunked) so neighbours come from the cache.
    const rows = Math.max(
      1,
      info.chunks?.[0] ?? Math.floor((1 << 20) / Math.max(1, rowLen * info.size)),
    );
    const c = Math.floor(i / rows);
    const key = `${this.uid}|${path}|${c}`;
    let chunk = chunkCache.get(key);
    if (!chunk) {
      const start = c * rows;
      const res = await file.read(path, { start, count: Math.min(rows, n - start) });
      chunk = { data: res.data, shape: res.shape, start };
      chunkCache.set(key, chunk);
    }
    const off = (i - chunk.start) * rowLen;
    return { data: chunk.data.slice(off, off + rowLen) as TypedArrayOut, shape: rowShape };
  }

  /**
   * Event `i` of an image-like feature (`image`, `image_bg`, `mask`, `qpi_*`) or one trace row
   * (`trace/fl1_raw`), read lazily (whole HDF5 chunks are decoded once and cached).
   */
  async eventData(name: string, i: number): Promise<RtdcEventBlock> {
    this.assertOpen();
    this.checkIndex(i);
    const [feat, sub] = name.split("/", 2) as [string, string | undefined];
    const src = await this.nonScalarSource(feat);
    if (src.kind === "basin") return src.ds.eventData(name, await this.mapIndex(src.b, i));
    let info: DatasetInfo | GroupInfo | undefined = src.info;
    let path = src.path;
    if (sub !== undefined) {
      if (info.kind !== "group")
        throw new RtdcFeatureUnavailableError(`'${feat}' has no member '${sub}'`, {
          feature: name,
        });
      info = info.children[sub];
      path = `${path}/${sub}`;
    }
    if (info?.kind !== "dataset")
      throw new RtdcFeatureUnavailableError(`'${name}' is not available`, { feature: name });
    return this.readEventRow(path, info, i);
  }

  /** The image of event `i` (uint8, `height × width`). */
  async image(i: number): Promise<RtdcImage> {
    return toImage(await this.eventData("image", i), "image");
  }

  /** The background image of event `i`. */
  async imageBg(i: number): Promise<RtdcImage> {
    return toImage(await this.eventData("image_bg", i), "image_bg");
  }

  /** The mask of event `i` as 0/1 bytes (stored 0/255; any non-zero is 1, like dclab's bool cast). */
  async mask(i: number): Promise<RtdcImage> {
    const img = toImage(await this.eventData("mask", i), "mask");
    for (let k = 0; k < img.data.length; k++) img.data[k] = img.data[k] ? 1 : 0;
    return img;
  }

  /** The contour of event `i` (stored `events/contour/<i>`, shape (M, 2)). */
  async contour(i: number): Promise<RtdcContour> {
    this.assertOpen();
    this.checkIndex(i);
    const src = await this.contourSource();
    if (src.kind === "mask") {
      const m = await this.mask(i);
      return contourFromMask(m.data, m.height, m.width);
    }
    if (src.kind === "basin") return src.ds.contour(await this.mapIndex(src.b, i));
    const { data, shape } = await (this.file as Hdf5File).read(`${src.path}/${i}`);
    const m = shape[0] ?? 0;
    if (shape.length !== 2 || shape[1] !== 2)
      throw new RtdcFormatError(`contour ${i} has shape [${shape}]`, { feature: "contour" });
    const x = new Int32Array(m);
    const y = new Int32Array(m);
    for (let k = 0; k < m; k++) {
      x[k] = data[2 * k] as number;
      y[k] = data[2 * k + 1] as number;
    }
    return { x, y };
  }

  /**
   * Contours of events `start … start+count-1` (default: all), read in batches of 5,000 per
   * worker call.
   */
  async contours(range: { start?: number; count?: number } = {}): Promise<RtdcContour[]> {
    this.assertOpen();
    const start = Math.max(0, range.start ?? 0);
    const count = Math.max(0, Math.min(range.count ?? this.length - start, this.length - start));
    const src = await this.contourSource();
    if (src.kind === "mask") {
      const out: RtdcContour[] = [];
      for (let i = start; i < start + count; i++) out.push(await this.contour(i));
      return out;
    }
    if (src.kind === "basin") {
      if (src.b.def.mapping === "same") return src.ds.contours({ start, count });
      const out: RtdcContour[] = [];
      for (let i = start; i < start + count; i++) out.push(await this.contour(i));
      return out;
    }
    const out: RtdcContour[] = [];
    for (let s = start; s < start + count; s += 5000) {
      const n = Math.min(5000, start + count - s);
      const { data, offsets } = await (this.file as Hdf5File).contours(src.path, s, n);
      for (let k = 0; k < n; k++) {
        const a = offsets[k] as number;
        const b = offsets[k + 1] as number;
        const x = new Int32Array(b - a);
        const y = new Int32Array(b - a);
        for (let p = a; p < b; p++) {
          x[p - a] = data[2 * p] as number;
          y[p - a] = data[2 * p + 1] as number;
        }
        out.push({ x, y });
      }
    }
    return out;
  }

  /** Stored/basin contours, else computed from the mask (like dclab's ancillary contour). */
  private async contourSource(): Promise<
    Awaited<ReturnType<RtdcDataset["nonScalarSource"]>> | { kind: "mask" }
  > {
    try {
      return await this.nonScalarSource("contour");
    } catch (err) {
      if (err instanceof RtdcFeatureUnavailableError && this.ancillary.has("contour"))
        return { kind: "mask" };
      throw err;
    }
  }

  /** Names of the stored fluorescence traces (e.g. `fl1_raw`). */
  async traceNames(): Promise<string[]> {
    this.assertOpen();
    const st = this.stored.get("trace");
    if (st && st.info.kind === "group") return Object.keys(st.info.children).sort();
    try {
      const src = await this.nonScalarSource("trace");
      if (src.kind === "basin") return src.ds.traceNames();
    } catch {
      // no traces
    }
    return [];
  }

  /** Trace `name` (e.g. `"fl1_raw"`) of event `i`. */
  async trace(name: string, i: number): Promise<TypedArrayOut> {
    return (await this.eventData(`trace/${name}`, i)).data;
  }

  /**
   * Events `start … start+count-1` of a non-scalar feature (`image`, `mask`, `trace/fl1_raw`, …)
   * or a scalar one, in one block (first axis = events). Only stored features and `same`-mapped
   * basins; use the per-event methods otherwise.
   */
  async getRange(name: string, range: { start: number; count: number }): Promise<RtdcEventBlock> {
    this.assertOpen();
    const start = Math.max(0, Math.min(range.start, this.length));
    const count = Math.max(0, Math.min(range.count, this.length - start));
    if (isScalarFeature(name)) {
      const all = await this.get(name);
      return { data: all.slice(start, start + count) as TypedArrayOut, shape: [count] };
    }
    const [feat, sub] = name.split("/", 2) as [string, string | undefined];
    const src = await this.nonScalarSource(feat);
    if (src.kind === "basin") {
      if (src.b.def.mapping !== "same")
        throw new RtdcFeatureUnavailableError(
          `'${name}' comes from a mapped basin: read events one by one`,
          { feature: name },
        );
      return src.ds.getRange(name, { start, count });
    }
    const path = sub ? `${src.path}/${sub}` : src.path;
    return (this.file as Hdf5File).read(path, { start, count });
  }

  // ---------------------------------------------------------------- basins

  private async openBasin(b: BasinState): Promise<RtdcDataset> {
    if (b.info.available === false)
      throw new RtdcBasinError(b.info.error ?? "basin not available", { action: "basin" });
    await this.refreshIfPerishable(b);
    if (b.ds) return b.ds;
    b.opening ??= this.openBasinNow(b);
    try {
      b.ds = await b.opening;
      b.info.available = true;
      return b.ds;
    } catch (err) {
      b.info.available = false;
      b.info.error = err instanceof Error ? err.message : String(err);
      throw err instanceof RtdcBasinError
        ? err
        : new RtdcBasinError(
            `basin '${b.def.name ?? b.def.key}': ${b.info.error}`,
            {},
            { cause: err },
          );
    } finally {
      b.opening = undefined;
    }
  }

  private async refreshIfPerishable(b: BasinState): Promise<void> {
    const exp = b.def.time_expiration;
    if (!b.def.perishable || !b.refresh || typeof exp !== "number") return;
    // dclab refreshes 30 s before expiry.
    if (Date.now() / 1000 < exp - 30) return;
    const fresh = (await b.refresh()).find((d) => d.name === b.def.name);
    const url = fresh?.urls?.[0];
    if (!fresh || !url)
      throw new RtdcBasinError(`could not refresh the URL of basin '${b.def.name}'`);
    b.def = { ...b.def, ...fresh };
    b.info.location = redactUrl(url);
    const file = b.ds?.file;
    if (file) await file.setUrl(url);
  }

  private async openBasinNow(b: BasinState): Promise<RtdcDataset> {
    const def = b.def;
    const ancestors = [...(this.ancestors ?? []), def.key];
    const referrerId = measurementIdentifier(this.config);
    let ds: RtdcDataset | undefined;
    const errors: string[] = [];
    if (def.type === "file" && def.format === "hdf5") {
      for (const p of candidatePaths(def.paths ?? [], this.localDir)) {
        if (!existsSync(p)) continue;
        try {
          ds = await openDataset(p, { _ancestors: ancestors });
          b.info.location = p;
          break;
        } catch (err) {
          errors.push(`${p}: ${(err as Error).message}`);
        }
      }
    } else if (def.type === "remote" && (def.format === "http" || def.format === "s3")) {
      for (const url of def.urls ?? []) {
        try {
          ds = await openDataset(url, {
            _ancestors: ancestors,
            ...(this.api ? { api: this.api } : {}),
          });
          b.info.location = redactUrl(url);
          break;
        } catch (err) {
          errors.push(`${redactUrl(url)}: ${(err as Error).message}`);
        }
      }
    } else if (def.type === "remote" && def.format === "dcor") {
      if (!this.api) throw new RtdcBasinError("a 'dcor' basin needs the `api` option");
      for (const url of def.urls ?? []) {
        try {
          ds = await openDataset(url, { _ancestors: ancestors, api: this.api });
          b.info.location = redactUrl(url);
          break;
        } catch (err) {
          errors.push(`${redactUrl(url)}: ${(err as Error).message}`);
        }
      }
    } else if (def.type === "internal" && this.file) {
      // A view of this file's basin group (e.g. "basin_events"), mapped into our events.
      const group = def.paths?.[0] ?? "basin_events";
      const tree = this.file.tree;
      const events = group === "basin_events" ? tree.basinEvents : {};
      const first = Object.values(events).find((v) => v.kind === "dataset");
      const n = first?.kind === "dataset" ? (first.shape[0] ?? 0) : 0;
      ds = new RtdcDataset({
        source: this.source,
        config: this.config,
        length: n,
        file: this.file,
        ownsFile: false,
      });
      for (const [f, info] of Object.entries(events))
        if (featureExists(f)) ds.registerStored(f, `${group}/${f}`, info);
      ds.resolveAncillary();
    } else {
      throw new RtdcBasinError(`unsupported basin type/format '${def.type}/${def.format}'`);
    }
    if (!ds)
      throw new RtdcBasinError(
        `basin '${def.name ?? def.key}' not found${errors.length ? `: ${errors.join("; ")}` : ""}`,
      );
    // Identifier checks as dclab: exact for "same", prefix for mapped basins.
    const basinId = measurementIdentifier(ds.config);
    if (def.identifier && basinId && def.identifier !== basinId) {
      await ds.close();
      throw new RtdcBasinError(
        `basin identifier mismatch: expected '${def.identifier}', got '${basinId}'`,
      );
    }
    if (referrerId && basinId) {
      const ok = def.mapping === "same" ? referrerId === basinId : referrerId.startsWith(basinId);
      if (!ok) {
        await ds.close();
        throw new RtdcBasinError(
          `measurement identifier mismatch: '${referrerId}' vs basin '${basinId}'`,
        );
      }
    }
    if (def.mapping === "same" && ds.length !== this.length) {
      await ds.close();
      throw new RtdcBasinError(`basin has ${ds.length} events, expected ${this.length}`);
    }
    if (def.features === null) b.info.features = basinFeatures(ds);
    return ds;
  }

  /** @internal */
  api: DcorApiLike | undefined;
  /** @internal */
  ancestors: string[] | undefined;

  /** @internal Open file basins eagerly (local and cheap) to learn their features and check them. */
  async openLocalBasins(): Promise<void> {
    for (const b of this.basinStates) {
      if (b.def.type === "file" || b.def.features === null) {
        try {
          await this.openBasin(b);
        } catch {
          // Recorded in b.info; the basin is skipped.
        }
      }
    }
  }

  // ---------------------------------------------------------------- logs, tables

  /** The logs: name → lines. */
  async logs(): Promise<Record<string, string[]>> {
    this.assertOpen();
    if (!this.file && this.remoteExtras.logs) return this.remoteExtras.logs();
    const out: Record<string, string[]> = {};
    for (const name of this.logNames)
      out[name] = await (this.file as Hdf5File).strings(`logs/${name}`);
    return out;
  }

  /** The tables: name → `{ columns, rows }` (`columns` null for plain arrays). */
  async tables(): Promise<Record<string, TableResult>> {
    this.assertOpen();
    if (!this.file && this.remoteExtras.tables) return this.remoteExtras.tables();
    const out: Record<string, TableResult> = {};
    for (const name of this.tableNames)
      out[name] = await (this.file as Hdf5File).table(`tables/${name}`);
    return out;
  }

  // ---------------------------------------------------------------- filters and KDE

  /**
   * Recompute {@link Filter.all} from the current filter settings and return it
   * (1 = event kept).
   */
  async applyFilter(): Promise<Uint8Array> {
    this.assertOpen();
    return this.filter.apply((name) => this.get(name), this.featuresScalar);
  }

  /**
   * The filtered events of two scalar features. A Float32Array stays a Float32Array, so the KDE
   * follows numpy's float32 arithmetic (bin widths, grid sizes) like dclab on float32 features.
   */
  private async filteredXY(
    xax: string,
    yax: string,
    signal?: AbortSignal,
  ): Promise<{ x: Float32Array | Float64Array; y: Float32Array | Float64Array }> {
    const [xs, ys] = await Promise.all([this.get(xax, { signal }), this.get(yax, { signal })]);
    const keep = this.filter.all;
    return { x: applyMask(xs, keep), y: applyMask(ys, keep) };
  }

  /**
   * Kernel density of `yax` vs `xax` (filtered events) evaluated at every filtered event or at
   * `positions`, like dclab's `get_kde_scatter`. Computed off the calling thread
   * ({@link kdeScatterAsync}: the exact gauss and the multivariate KDE on worker threads), so the
   * event loop keeps running; rejects with the signal's reason when aborted.
   *
   * @example
   * const density = await ds.getKdeScatter({ xax: "area_um", yax: "deform", kdeType: "gauss" });
   */
  async getKdeScatter(options: DatasetKdeScatterOptions = {}): Promise<Float64Array> {
    this.assertOpen();
    const { xax = "area_um", yax = "deform", ...kde } = options;
    const { x, y } = await this.filteredXY(xax.toLowerCase(), yax.toLowerCase(), kde.signal);
    return kdeScatterAsync(x, y, kde);
  }

  /**
   * Density on a grid for contour plots (filtered events), like dclab's `get_kde_contour`;
   * computed off the calling thread like {@link getKdeScatter}.
   */
  async getKdeContour(options: DatasetKdeContourOptions = {}): Promise<KdeContourResult> {
    this.assertOpen();
    const { xax = "area_um", yax = "deform", ...kde } = options;
    const { x, y } = await this.filteredXY(xax.toLowerCase(), yax.toLowerCase(), kde.signal);
    return kdeContourAsync(x, y, kde);
  }

  // ---------------------------------------------------------------- export, close

  /**
   * Write (a subset of) this dataset to a new `.rtdc` file: scalar features, plus `image`,
   * `image_bg`, `mask`, `contour`, `trace` when asked for; `filtered` keeps only the events of
   * `filter.all`.
   */
  async export(path: string, options: ExportOptions = {}): Promise<void> {
    const { exportDataset } = await import("./writer.js");
    await exportDataset(this, path, options);
  }

  /** Close the file and every basin. Further reads throw {@link RtdcClosedError}. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    chunkCache.dropPrefix(`${this.uid}|`);
    this.cache.clear();
    if (this.ownsFile) await this.file?.close();
    for (const b of this.basinStates) await b.ds?.close();
  }
}

/** Options of {@link RtdcDataset.export}. */
export interface ExportOptions {
  /**
   * Features to export.
   * @default every scalar feature plus the stored non-scalar ones
   */
  features?: string[];
  /**
   * Export only the events kept by `ds.filter.all`.
   * @default false
   */
  filtered?: boolean;
  /** Compression, see {@link WriteOptions.compression}. @default "zstd" */
  compression?: "zstd" | "gzip" | "none";
  /** Also write logs and tables. @default true */
  logs?: boolean;
  /**
   * Reference this (local) file as a `file` basin of the export (mapped with `basinmap0` when
   * `filtered`), so features not exported stay reachable, like dclab's `basins=True`.
   * @default false
   */
  basins?: boolean;
  /**
   * Replace an existing file at `path` (atomically: the new file is renamed over it when complete).
   * @default false
   */
  overwrite?: boolean;
}

function checkLength(data: FeatureArray, length: number, name: string): FeatureArray {
  if (data.length < length) {
    throw new RtdcFormatError(`feature '${name}' has ${data.length} values, expected ${length}`, {
      feature: name,
    });
  }
  return data.length === length ? data : (data.subarray(0, length) as FeatureArray);
}

function toImage(block: RtdcEventBlock, name: string): RtdcImage {
  if (block.shape.length !== 2)
    throw new RtdcFormatError(`'${name}' events have shape [${block.shape}]`, { feature: name });
  const [height = 0, width = 0] = block.shape;
  const data =
    block.data instanceof Uint8Array
      ? block.data
      : Uint8Array.from(block.data as ArrayLike<number>);
  return { data, height, width };
}

/** dclab: each path as given (relative to the working directory), then next to the referrer. */
function candidatePaths(paths: string[], localDir: string | undefined): string[] {
  const out: string[] = [];
  const all = [...paths];
  for (const p of paths)
    if (p.includes("..") && p.includes("\\")) all.push(p.replaceAll("\\", "/"));
  for (const p of all) out.push(isAbsolute(p) ? p : resolvePath(p));
  if (localDir)
    for (const p of all) out.push(resolvePath(localDir, basename(p.replaceAll("\\", "/"))));
  return [...new Set(out)];
}

function basinFeatures(ds: RtdcDataset): string[] {
  return ds.featuresInnate;
}

// ---------------------------------------------------------------- opening

function isDcorSource(s: string): boolean {
  if (UUID.test(s)) return true;
  try {
    const u = new URL(s);
    return (
      /\/api\/(3\/)?action\/dcserv$/.test(u.pathname) && UUID.test(u.searchParams.get("id") ?? "")
    );
  } catch {
    return false;
  }
}

/**
 * Open an RT-DC dataset: a local `.rtdc` path, an `http(s)://` URL (read by Range requests,
 * never downloaded whole) or a DCOR resource (id or dcserv URL, with `{ api }`).
 * @throws {@link RtdcFormatError} for input that is not a readable RT-DC file.
 */
export async function openDataset(
  source: string,
  options: OpenDatasetOptions = {},
): Promise<RtdcDataset> {
  options.signal?.throwIfAborted();
  if (typeof source !== "string" || source.length === 0)
    throw new RtdcFormatError("no source given");
  if ((options._ancestors?.length ?? 0) > 8)
    throw new RtdcBasinError("basins nested too deeply (cycle?)");
  if (isDcorSource(source) && !(UUID.test(source) && existsSync(source))) {
    if (!options.api)
      throw new RtdcFormatError("a DCOR resource needs the `api` option", {
        url: redactUrl(source),
      });
    const { openDcorResource } = await import("./dcor.js");
    return openDcorResource(source, { ...options, api: options.api });
  }
  if (/^https?:\/\//i.test(source)) {
    const headers = { ...(options.api?.authHeadersFor(source) ?? {}), ...(options.headers ?? {}) };
    const file = await Hdf5File.open(
      { kind: "http", url: source, headers, ...(options.prefetch ? { prefetch: true } : {}) },
      options.signal ? { signal: options.signal } : {},
    );
    return fromFile(file, redactUrl(source), undefined, options);
  }
  const path = resolvePath(source);
  const file = await Hdf5File.open(
    { kind: "file", path },
    options.signal ? { signal: options.signal } : {},
  );
  return fromFile(file, path, dirname(path), options);
}

async function fromFile(
  file: Hdf5File,
  source: string,
  localDir: string | undefined,
  options: OpenDatasetOptions,
): Promise<RtdcDataset> {
  try {
    const tree = file.tree;
    if (!tree.groups.includes("events") && tree.basins.length === 0) {
      throw new RtdcFormatError("not an RT-DC file: no 'events' group and no basins", {
        action: "open",
      });
    }
    const config = parseConfig(tree.attrs);
    const rawAttrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree.attrs)) rawAttrs[k] = v.v;
    const software = String(rawAttrs["setup:software version"] ?? "");
    const defectCtx: DefectContext = {
      attrs: rawAttrs,
      software,
      events: tree.events,
      logs: tree.logs,
    };
    // Length: dclab uses the event count; fall back to the first 1-D feature.
    let length =
      typeof config.experiment["event count"] === "number"
        ? (config.experiment["event count"] as number)
        : -1;
    if (length < 0) {
      const first = Object.entries(tree.events).find(
        ([k, v]) => isScalarFeature(k) && v.kind === "dataset",
      );
      length = first && first[1].kind === "dataset" ? (first[1].shape[0] ?? 0) : 0;
    }
    if (!Number.isSafeInteger(length) || length < 0)
      throw new RtdcFormatError(`invalid event count ${length}`);
    const ds = new RtdcDataset({
      source,
      config,
      length,
      file,
      ...(localDir ? { localDir } : {}),
      logs: tree.logs,
      tables: tree.tables,
    });
    ds.api = options.api;
    ds.ancestors = options._ancestors;
    for (const [name, info] of Object.entries(tree.events)) {
      if (!featureExists(name)) continue; // unknown datasets (e.g. "ncells") are ignored like dclab
      if (DEFECT_CHECKS[name]?.(defectCtx)) continue; // hidden and recomputed
      if (isScalarFeature(name)) {
        if (info.kind !== "dataset" || info.shape.length !== 1) continue;
      } else if (name === "trace") {
        if (info.kind !== "group" || info.count === 0) continue;
      } else if (name === "contour") {
        if (info.kind !== "group" || info.count === 0) continue;
      } else if (info.kind !== "dataset" || info.shape.length < 2) continue;
      ds.registerStored(name, `events/${name}`, info);
    }
    const ancestors = new Set(options._ancestors ?? []);
    const defs = tree.basins
      .map((b) => parseBasinLines(b.key, b.lines))
      .filter((d): d is BasinDefinition => d !== undefined && !ancestors.has(d.key));
    for (const def of sortBasins(defs)) {
      if (options.basins === false && def.type !== "internal") continue;
      // Like dclab: a remote file may not point into the local file system.
      if (def.type === "file" && file.source.kind !== "file") continue;
      if (def.type === "internal") {
        // Internal basins live in this file (usually "basin_events").
        const group = def.paths?.[0] ?? "basin_events";
        const events = group === "basin_events" ? tree.basinEvents : {};
        const feats = (def.features ?? Object.keys(events)).filter(
          (f) => events[f] && featureExists(f),
        );
        for (const f of feats) {
          if (ds.featuresInnate.includes(f)) continue;
          if (def.mapping === "same")
            ds.registerStored(f, `${group}/${f}`, events[f] as DatasetInfo);
        }
        if (def.mapping !== "same") {
          ds.addBasin({
            def,
            info: basinInfo(def, feats, true),
          });
        }
        continue;
      }
      const feats = (def.features ?? []).filter((f) => featureExists(f));
      ds.addBasin({
        def,
        info: basinInfo(def, feats, undefined),
      });
    }
    await ds.openLocalBasins();
    ds.resolveAncillary();
    return ds;
  } catch (err) {
    await file.close();
    throw err;
  }
}
