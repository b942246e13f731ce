/**
 * The little HDF5 the emulator needs, on h5wasm: write RT-DC files, read their metadata, and
 * write condensed (scalar-only) copies.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type * as H5 from "h5wasm";

type H5Lib = typeof import("h5wasm");
let h5Promise: Promise<H5Lib> | undefined;

/** Loads h5wasm once, with the compression plugins and throwing error handler enabled. */
export function loadH5(): Promise<H5Lib> {
  if (!h5Promise) {
    h5Promise = (async () => {
      const mod = (await import("h5wasm/node")) as unknown as { default?: H5Lib } & H5Lib;
      const h5 = (mod.default ?? mod) as H5Lib;
      const Module = await h5.ready;
      // Without this a missing filter plugin silently yields garbage instead of throwing.
      Module.activate_throwing_error_handler();
      try {
        const require = createRequire(import.meta.url);
        const pluginsDir = path.join(
          path.dirname(require.resolve("h5wasm-plugins/package.json")),
          "plugins",
        );
        if (!Module.get_plugin_search_paths().includes(pluginsDir)) {
          Module.insert_plugin_search_path(pluginsDir, 0);
        }
      } catch {
        // Plugins are optional: files compressed with gzip or stored raw are still readable.
      }
      return h5;
    })();
  }
  return h5Promise;
}

/** JSON-compatible attribute value as stored in a file. */
export type AttrValue = string | number | boolean | number[];

/** Root attribute keys whose values dclab types as integers. */
const INT_KEYS = new Set([
  "experiment:event count",
  "experiment:run index",
  "imaging:roi position x",
  "imaging:roi position y",
  "imaging:roi size x",
  "imaging:roi size y",
  "fluorescence:bit depth",
  "fluorescence:channel count",
  "fluorescence:channels installed",
  "fluorescence:laser count",
  "fluorescence:lasers installed",
  "fluorescence:sample rate",
  "fluorescence:samples per event",
  "fluorescence:trace median",
  "online_contour:bin area min",
  "online_contour:bin kernel",
  "online_contour:bin threshold",
  "online_contour:image blur",
  "online_filter:target event count",
]);

/** Root attribute keys whose values dclab types as booleans. */
export function isBoolKey(key: string): boolean {
  return (
    key === "online_contour:no absdiff" ||
    key === "fmt_tdms:video frame offset" ||
    key === "online_filter:target event count enabled" ||
    (key.startsWith("online_filter:") && key.endsWith("soft limit"))
  );
}

/** Data for one RT-DC file to write. */
export interface RtdcData {
  attrs: Record<string, AttrValue>;
  /** 1-D scalar features, all of the same length. */
  scalars: Record<string, Float32Array | Float64Array | Int32Array | BigInt64Array | Uint32Array>;
  image?: { data: Uint8Array; height: number; width: number };
  mask?: { data: Uint8Array; height: number; width: number };
  contour?: Int32Array[];
  traces?: Record<string, { data: Int16Array; samples: number }>;
  logs?: Record<string, string[]>;
  tables?: Record<string, { columns: string[]; rows: number[][] }>;
}

function writeAttr(target: H5.Group, key: string, value: AttrValue): void {
  if (typeof value === "string") target.create_attribute(key, value);
  else if (typeof value === "boolean") target.create_attribute(key, value ? 1 : 0, null, "<B");
  else if (Array.isArray(value)) target.create_attribute(key, new Float64Array(value));
  else if (INT_KEYS.has(key) && Number.isInteger(value))
    target.create_attribute(key, value, null, "<q");
  else target.create_attribute(key, value, null, "<d");
}

/** Writes an RT-DC file (every dataset chunked and gzip-1 compressed). */
export async function writeRtdc(filePath: string, data: RtdcData): Promise<void> {
  const h5 = await loadH5();
  const file = new h5.File(filePath, "w");
  try {
    for (const [key, value] of Object.entries(data.attrs)) writeAttr(file, key, value);
    const events = file.create_group("events");
    for (const name of Object.keys(data.scalars).sort()) {
      const values = data.scalars[name];
      if (!values) continue;
      const n = values.length;
      events.create_dataset({
        name,
        data: values,
        shape: [n],
        maxshape: [null],
        chunks: [Math.max(1, Math.min(n, 100_000))],
        compression: 1,
      });
    }
    for (const kind of ["image", "mask"] as const) {
      const img = data[kind];
      if (!img) continue;
      const n = img.data.length / (img.height * img.width);
      events.create_dataset({
        name: kind,
        data: img.data,
        shape: [n, img.height, img.width],
        maxshape: [null, img.height, img.width],
        chunks: [Math.max(1, Math.min(n, 50)), img.height, img.width],
        compression: 1,
      });
      const ds = events.get(kind) as H5.Dataset;
      ds.create_attribute("CLASS", "IMAGE");
      ds.create_attribute("IMAGE_VERSION", "1.2");
      ds.create_attribute("IMAGE_SUBCLASS", "IMAGE_GRAYSCALE");
    }
    if (data.contour) {
      const group = events.create_group("contour");
      data.contour.forEach((points, i) => {
        group.create_dataset({ name: String(i), data: points, shape: [points.length / 2, 2] });
      });
    }
    if (data.traces) {
      const group = events.create_group("trace");
      for (const [name, trace] of Object.entries(data.traces)) {
        const n = trace.data.length / trace.samples;
        group.create_dataset({
          name,
          data: trace.data,
          shape: [n, trace.samples],
          maxshape: [null, trace.samples],
          chunks: [Math.max(1, Math.min(n, 1000)), trace.samples],
          compression: 1,
        });
      }
    }
    const logs = file.create_group("logs");
    for (const [name, lines] of Object.entries(data.logs ?? {})) {
      logs.create_dataset({ name, data: lines.length ? lines : [""] });
    }
    if (data.tables && Object.keys(data.tables).length) {
      const tables = file.create_group("tables");
      for (const [name, table] of Object.entries(data.tables)) {
        // A compound table with one float64 column per name, as dclab stores monitoring tables.
        const columns = new Map<string, Float64Array>();
        table.columns.forEach((c, ci) => {
          columns.set(
            c,
            Float64Array.from(table.rows, (row) => row[ci] ?? Number.NaN),
          );
        });
        tables.create_dataset({ name, data: columns, shape: [table.rows.length] });
      }
    }
  } finally {
    file.close();
  }
}

/** Metadata of an RT-DC file, all JSON-compatible. */
export interface RtdcInfo {
  /** Root attributes as `section:key` → value (bools as booleans, NaN dropped). */
  attrs: Record<string, AttrValue>;
  eventCount: number;
  /** Innate features (stored in `events`), sorted. */
  features: string[];
  /** The 1-D (scalar) features among them, sorted. */
  scalarFeatures: string[];
  traces: string[];
  logs: Record<string, string[]>;
  tables: Record<string, [string[] | null, (number | null)[][][] | (number | null)[][]]>;
}

/** Event-wise feature names dclab does not recognise (ignored like dclab does). */
const IGNORED_FEATURES = new Set(["ncells"]);
const NON_SCALAR = new Set([
  "image",
  "image_bg",
  "mask",
  "contour",
  "trace",
  "qpi_pha",
  "qpi_amp",
  "raw_qpi_pha",
  "raw_qpi_amp",
]);

function attrJson(attr: H5.Attribute, key: string): AttrValue | undefined {
  let v: unknown;
  try {
    v = attr.json_value;
  } catch {
    return undefined;
  }
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return undefined;
    if (isBoolKey(key) && (v === 0 || v === 1)) return v === 1;
    return v;
  }
  if (Array.isArray(v)) {
    const flat = (v as unknown[])
      .flat(3)
      .filter((x): x is number => typeof x === "number" && Number.isFinite(x));
    return flat;
  }
  return undefined;
}

function versionLess(version: string, than: [number, number, number]): boolean {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return false;
  const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  for (let i = 0; i < 3; i++) {
    const a = v[i] as number;
    const b = than[i] as number;
    if (a !== b) return a < b;
  }
  return false;
}

/**
 * Removes stored features dclab treats as defective (and recomputes): float32 `time`, `volume`
 * written by dclab < 0.37, `aspect` from ShapeIn 2.0.6/2.0.7, inertia ratios and `tilt` of wide
 * ROIs written by dclab < 0.48.3.
 */
function hideDefective(
  features: string[],
  scalars: string[],
  attrs: Record<string, AttrValue>,
  dtype: (name: string) => string,
): void {
  const sw = String(attrs["setup:software version"] ?? "");
  const dclabVersions = [...sw.matchAll(/dclab\s+([\d.]+\S*)/g)].map((m) => m[1] as string);
  const shapeIn = /^(?:ShapeIn\s+)?(\d+\.\d+\.\d+)/.exec(sw.trim())?.[1];
  const defective = new Set<string>();
  if (
    features.includes("time") &&
    dtype("time") === "<f" &&
    features.includes("frame") &&
    typeof attrs["imaging:frame rate"] === "number"
  )
    defective.add("time");
  if (dclabVersions.some((v) => versionLess(v, [0, 37, 0]))) defective.add("volume");
  if (shapeIn === "2.0.6" || shapeIn === "2.0.7") defective.add("aspect");
  const roiX = attrs["imaging:roi size x"];
  if (
    typeof roiX === "number" &&
    roiX > 500 &&
    dclabVersions.some((v) => versionLess(v, [0, 48, 3]))
  ) {
    for (const f of ["inert_ratio_cvx", "inert_ratio_prnc", "inert_ratio_raw", "tilt"])
      defective.add(f);
  }
  for (const list of [features, scalars]) {
    for (let i = list.length - 1; i >= 0; i--)
      if (defective.has(list[i] as string)) list.splice(i, 1);
  }
}

function cleanNumber(x: unknown): number | null {
  if (typeof x === "bigint") return Number(x);
  if (typeof x === "number") return Number.isFinite(x) ? x : null;
  return null;
}

/** Reads the metadata of an RT-DC file (attributes, feature names, logs, tables). */
export async function readRtdcInfo(filePath: string): Promise<RtdcInfo> {
  const h5 = await loadH5();
  const file = new h5.File(filePath, "r");
  try {
    const attrs: Record<string, AttrValue> = {};
    for (const [key, attr] of Object.entries(file.attrs)) {
      const v = attrJson(attr, key);
      if (v !== undefined) attrs[key] = v;
    }
    const features: string[] = [];
    const scalarFeatures: string[] = [];
    let traces: string[] = [];
    let length = 0;
    const events = file.get("events");
    if (events instanceof h5.Group) {
      for (const name of events.keys()) {
        if (IGNORED_FEATURES.has(name)) continue;
        const obj = events.get(name);
        if (obj instanceof h5.Group) {
          const keys = obj.keys();
          if (keys.length === 0) continue;
          if (name === "trace") traces = keys.sort();
          features.push(name);
        } else if (obj instanceof h5.Dataset) {
          const shape = obj.shape ?? [];
          if (shape.length === 1 && !NON_SCALAR.has(name)) {
            scalarFeatures.push(name);
            length = Math.max(length, shape[0] ?? 0);
          }
          features.push(name);
        }
      }
    }
    hideDefective(features, scalarFeatures, attrs, (name) => {
      const ds = events instanceof h5.Group ? events.get(name) : null;
      return ds instanceof h5.Dataset ? String(ds.dtype) : "";
    });
    const logs: Record<string, string[]> = {};
    const logGroup = file.get("logs");
    if (logGroup instanceof h5.Group) {
      for (const name of logGroup.keys()) {
        const ds = logGroup.get(name);
        if (!(ds instanceof h5.Dataset)) continue;
        try {
          const v = ds.json_value;
          logs[name] = (Array.isArray(v) ? v : [v]).map((x) => String(x));
        } catch {
          logs[name] = [];
        }
      }
    }
    const tables: RtdcInfo["tables"] = {};
    const tableGroup = file.get("tables");
    if (tableGroup instanceof h5.Group) {
      for (const name of tableGroup.keys()) {
        const ds = tableGroup.get(name);
        if (!(ds instanceof h5.Dataset)) continue;
        try {
          const members = (ds.metadata as { compound_type?: { members: { name: string }[] } })
            .compound_type?.members;
          const value = ds.value as unknown;
          if (members && Array.isArray(value)) {
            tables[name] = [
              members.map((m) => m.name),
              (value as unknown[][]).map((row) => [row.map(cleanNumber)]),
            ];
          } else if (ArrayBuffer.isView(value)) {
            const shape = ds.shape ?? [];
            const cols = shape[1] ?? 1;
            const arr = Array.from(value as unknown as ArrayLike<number>);
            const rows: (number | null)[][] = [];
            for (let r = 0; r < arr.length / cols; r++)
              rows.push(arr.slice(r * cols, (r + 1) * cols).map(cleanNumber));
            tables[name] = [null, rows];
          }
        } catch {
          // An unreadable table (missing filter) is left out, like a broken log.
        }
      }
    }
    const countAttr = attrs["experiment:event count"];
    const eventCount = typeof countAttr === "number" ? countAttr : length;
    return {
      attrs,
      eventCount,
      features: features.sort(),
      scalarFeatures: scalarFeatures.sort(),
      traces,
      logs,
      tables,
    };
  } finally {
    file.close();
  }
}

function copyAttrs(src: H5.Group, dst: H5.Group): void {
  for (const [key, attr] of Object.entries(src.attrs)) {
    let value: unknown;
    try {
      value = attr.value;
    } catch {
      continue;
    }
    const meta = attr.metadata as { type: number; size: number };
    if (typeof value === "string") dst.create_attribute(key, value);
    else if (typeof value === "bigint") dst.create_attribute(key, Number(value), null, "<q");
    else if (typeof value === "number") {
      if (meta.type === 0 || meta.type === 8)
        dst.create_attribute(key, value, null, meta.size === 1 ? "<B" : "<q");
      else dst.create_attribute(key, value, null, "<d");
    } else if (typeof value === "boolean") dst.create_attribute(key, value ? 1 : 0, null, "<B");
    else if (ArrayBuffer.isView(value)) {
      dst.create_attribute(key, value as unknown as Float64Array, attr.shape ?? null);
    } else if (Array.isArray(value) && value.every((x) => typeof x === "string")) {
      dst.create_attribute(key, value as string[]);
    }
  }
}

/** A 1-D feature as h5wasm reads it (the typed array decides the dtype it is written with). */
type StoredScalar =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A feature as plain numbers (int64 values become doubles, exact below 2^53). */
function asNumbers(a: StoredScalar): ArrayLike<number> {
  return a instanceof BigInt64Array || a instanceof BigUint64Array
    ? Float64Array.from(a, Number)
    : a;
}

/**
 * The ancillary features dclab computes cheaply, in the dtype dclab gives them (`af_basic.py`):
 * `area_um = area_cvx * px²` and `deform = 1 - circ` keep their input's float dtype (float32 stays
 * float32), `aspect` and `area_ratio` are float64 divisions, `index` is int64 `1..n`, `time` is
 * float64 `frame / frame rate`.
 */
export function deriveCheapFeatures(
  features: Map<string, StoredScalar>,
  n: number,
  pixelSize: number | undefined,
  frameRate: number | undefined,
): Record<string, StoredScalar> {
  const derived: Record<string, StoredScalar> = {};
  const f = (name: string) => {
    const a = features.get(name);
    return a ? asNumbers(a) : undefined;
  };
  // float32 in, float32 out (numpy keeps float32 under a Python-float scalar); else float64
  const sameFloat = (src: StoredScalar | undefined, len: number) =>
    src instanceof Float32Array ? new Float32Array(len) : new Float64Array(len);
  const fill = <T extends Float32Array | Float64Array>(out: T, fn: (i: number) => number): T => {
    for (let i = 0; i < out.length; i++) out[i] = fn(i);
    return out;
  };
  const cvx = f("area_cvx");
  if (!features.has("area_um") && cvx && pixelSize) {
    // numpy casts the Python-float px² to float32 before a float32 multiplication.
    const ps2 =
      features.get("area_cvx") instanceof Float32Array
        ? Math.fround(pixelSize * pixelSize)
        : pixelSize * pixelSize;
    derived.area_um = fill(
      sameFloat(features.get("area_cvx"), cvx.length),
      (i) => (cvx[i] as number) * ps2,
    );
  }
  const circ = f("circ");
  if (!features.has("deform") && circ)
    derived.deform = fill(
      sameFloat(features.get("circ"), circ.length),
      (i) => 1 - (circ[i] as number),
    );
  const sx = f("size_x");
  const sy = f("size_y");
  if (!features.has("aspect") && sx && sy)
    derived.aspect = fill(new Float64Array(sx.length), (i) => {
      const y = sy[i] as number;
      return y === 0 ? Number.NaN : (sx[i] as number) / y;
    });
  const msd = f("area_msd");
  if (!features.has("area_ratio") && cvx && msd)
    derived.area_ratio = fill(new Float64Array(cvx.length), (i) => {
      const m = msd[i] as number;
      return m === 0 ? Number.NaN : (cvx[i] as number) / m;
    });
  if (!features.has("index") && n)
    derived.index = BigInt64Array.from({ length: n }, (_x, i) => BigInt(i + 1));
  const frame = f("frame");
  if (!features.has("time") && frame && frameRate)
    derived.time = fill(new Float64Array(frame.length), (i) => (frame[i] as number) / frameRate);
  return derived;
}

/**
 * Writes the condensed copy of an RT-DC file: root attributes, scalar features (plus the cheap
 * ancillary ones dclab would compute: area_um, deform, aspect, area_ratio, index, time), logs.
 */
export async function writeCondensed(srcPath: string, dstPath: string): Promise<void> {
  const h5 = await loadH5();
  const src = new h5.File(srcPath, "r");
  const dst = new h5.File(dstPath, "w");
  try {
    copyAttrs(src, dst);
    const events = dst.create_group("events");
    const srcEvents = src.get("events");
    // stored features keep their stored typed array (so their dtype: int64 stays int64)
    const features = new Map<string, StoredScalar>();
    let n = 0;
    if (srcEvents instanceof h5.Group) {
      for (const name of srcEvents.keys()) {
        const ds = srcEvents.get(name);
        if (!(ds instanceof h5.Dataset) || IGNORED_FEATURES.has(name)) continue;
        const shape = ds.shape ?? [];
        if (shape.length !== 1 || NON_SCALAR.has(name)) continue;
        const value = ds.value;
        if (!ArrayBuffer.isView(value) || value instanceof DataView) continue;
        features.set(name, value as StoredScalar);
        n = Math.max(n, shape[0] ?? 0);
      }
    }
    // leave out stored features dclab treats as defective; the cheap ones are derived below
    const srcAttrs: Record<string, AttrValue> = {};
    for (const [key, a] of Object.entries(src.attrs)) {
      const v = attrJson(a, key);
      if (v !== undefined) srcAttrs[key] = v;
    }
    const kept = [...features.keys()];
    hideDefective(kept, [...kept], srcAttrs, (name) => {
      const ds = srcEvents instanceof h5.Group ? srcEvents.get(name) : null;
      return ds instanceof h5.Dataset ? String(ds.dtype) : "";
    });
    for (const name of [...features.keys()]) if (!kept.includes(name)) features.delete(name);
    const attr = (key: string): number | undefined => {
      const a = src.attrs[key];
      const v = a?.json_value;
      return typeof v === "number" ? v : undefined;
    };
    const ps = attr("imaging:pixel size");
    const fr = attr("imaging:frame rate");
    const derived = deriveCheapFeatures(features, n, ps, fr);
    const all = new Map<string, StoredScalar>([...features, ...Object.entries(derived)]);
    for (const name of [...all.keys()].sort()) {
      const values = all.get(name) as StoredScalar;
      events.create_dataset({
        name,
        data: values as Float64Array,
        shape: [values.length],
        maxshape: [null],
        chunks: [Math.max(1, Math.min(values.length, 100_000))],
        compression: 1,
      });
    }
    const logs = dst.create_group("logs");
    const srcLogs = src.get("logs");
    if (srcLogs instanceof h5.Group) {
      for (const name of srcLogs.keys()) {
        const ds = srcLogs.get(name);
        if (!(ds instanceof h5.Dataset)) continue;
        try {
          const v = ds.json_value;
          const lines = (Array.isArray(v) ? v : [v]).map((x) => String(x));
          logs.create_dataset({ name, data: lines.length ? lines : [""] });
        } catch {
          // skip an unreadable log
        }
      }
    }
    logs.create_dataset({
      name: "dcor-emulator-condense",
      data: [
        JSON.stringify({
          tool: "@dcor/emulator",
          features: [...all.keys()].sort(),
          source: path.basename(srcPath),
        }),
      ],
    });
  } finally {
    dst.close();
    src.close();
  }
}

/** Metadata of a file this module is about to write from `data` (no need to read it back). */
export function infoFromData(data: RtdcData): RtdcInfo {
  const attrs: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(data.attrs)) {
    if (typeof v === "number" && !Number.isFinite(v)) continue;
    attrs[k] = v;
  }
  const scalarFeatures = Object.keys(data.scalars).sort();
  const features = [...scalarFeatures];
  if (data.image) features.push("image");
  if (data.mask) features.push("mask");
  if (data.contour?.length) features.push("contour");
  const traces = Object.keys(data.traces ?? {}).sort();
  if (traces.length) features.push("trace");
  const tables: RtdcInfo["tables"] = {};
  for (const [name, t] of Object.entries(data.tables ?? {})) {
    tables[name] = [t.columns, t.rows.map((r) => [r.map((v) => (Number.isFinite(v) ? v : null))])];
  }
  const first = Object.values(data.scalars)[0];
  const count = data.attrs["experiment:event count"];
  return {
    attrs,
    eventCount: typeof count === "number" ? count : (first?.length ?? 0),
    features: features.sort(),
    scalarFeatures,
    traces,
    logs: Object.fromEntries(Object.entries(data.logs ?? {}).map(([k, v]) => [k, [...v]])),
    tables,
  };
}

/** The condensed counterpart of `data`: scalar features plus `index` and `time`, and the logs. */
export function condenseData(data: RtdcData, sourceName: string): RtdcData {
  const scalars: RtdcData["scalars"] = { ...data.scalars };
  const first = Object.values(data.scalars)[0];
  const n = first?.length ?? 0;
  // dclab's ancillary index is int64 (`np.arange(1, n + 1)`)
  if (!scalars.index) scalars.index = BigInt64Array.from({ length: n }, (_x, i) => BigInt(i + 1));
  const frame = data.scalars.frame;
  const fr = data.attrs["imaging:frame rate"];
  if (!scalars.time && frame && typeof fr === "number")
    scalars.time = Float64Array.from(frame as Float64Array, (x) => Number(x) / fr);
  const logs = { ...(data.logs ?? {}) };
  logs["dcor-emulator-condense"] = [
    JSON.stringify({
      tool: "@dcor/emulator",
      features: Object.keys(scalars).sort(),
      source: sourceName,
    }),
  ];
  return { attrs: { ...data.attrs }, scalars, logs };
}
