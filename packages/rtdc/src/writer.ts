import { randomBytes } from "node:crypto";
import { rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, relative, resolve as resolvePath } from "node:path";
import { basinLines, measurementIdentifier } from "./basins.js";
import { CONFIG_METADATA, type ConfigValue, configKeyKind } from "./config.js";
import type { ExportOptions, RtdcContour, RtdcDataset } from "./dataset.js";
import { RtdcWriteError } from "./errors.js";
import { featureExists, isScalarFeature } from "./features.js";
import { writeHdf5 } from "./hdf5/client.js";
import type {
  TypedArrayOut,
  WriteAttr,
  WriteDataset,
  WriteFilter,
  WritePlan,
} from "./hdf5/protocol.js";

/** An image-like feature (`image`, `image_bg`, `mask`, …): `shape` = [events, height, width]. */
export interface WriteImageStack {
  /** The values in row-major order (uint8 for images and masks, int16 for traces). */
  data: ArrayLike<number>;
  /** `[events, height, width]` (traces: `[events, samples]`). */
  shape: number[];
}

/** The value of one feature to write. */
export type WriteFeature =
  | ArrayLike<number>
  | WriteImageStack
  | RtdcContour[]
  | Record<string, WriteImageStack>;

/** A basin to reference from the written file. */
export interface WriteBasin {
  /** Human-readable name. */
  name: string;
  /**
   * Free-text description.
   * @default undefined
   */
  description?: string;
  /**
   * Where the basin lives.
   * @default "file"
   */
  type?: "file" | "remote" | "internal";
  /**
   * How to open it.
   * @default "hdf5" for file, "http" for remote, "h5dataset" for internal
   */
  format?: "hdf5" | "http" | "s3" | "dcor" | "h5dataset";
  /**
   * File basins: paths (tried as given, then next to the written file).
   * @default []
   */
  paths?: string[];
  /**
   * Remote basins: URLs.
   * @default []
   */
  urls?: string[];
  /**
   * Features the basin provides; `null`/absent: all of them.
   * @default null
   */
  features?: string[] | null;
  /**
   * `"same"` (default), or for each event written here the index of the event in the basin
   * (stored as a `basinmapN` feature).
   * @default "same"
   */
  mapping?: "same" | ArrayLike<number>;
  /**
   * Measurement identifier of the basin.
   * @default undefined (not checked)
   */
  identifier?: string;
  /**
   * The location expires (presigned URLs).
   * @default false
   */
  perishable?: boolean;
  /**
   * Internal basins: the features to store in `basin_events`.
   * @default {}
   */
  internalData?: Record<string, ArrayLike<number>>;
}

/** What {@link writeRtdc} writes. */
export interface WriteRtdcData {
  /**
   * Configuration: section → key → value (e.g. `{ experiment: { sample: "blood" } }`).
   * @default {}
   */
  config?: Partial<Record<string, Record<string, ConfigValue>>>;
  /** Features: scalar arrays, image stacks, contour lists, trace dicts. */
  features: Record<string, WriteFeature>;
  /**
   * Logs: name → lines.
   * @default {}
   */
  logs?: Record<string, string[] | string>;
  /**
   * Tables: name → column name → values (stored as a compound dataset of float64).
   * @default {}
   */
  tables?: Record<string, Record<string, ArrayLike<number>>>;
  /**
   * Basins to reference (stored under `basins/` with dclab's hashed names).
   * @default []
   */
  basins?: WriteBasin[];
}

/** Options of {@link writeRtdc}. */
export interface WriteOptions {
  /**
   * Compression of the datasets, like dclab: zstd (HDF5 filter 32015) or gzip (deflate), always
   * followed by a fletcher32 checksum of every chunk; `"none"` keeps only the checksum.
   * @default "zstd"
   */
  compression?: "zstd" | "gzip" | "none";
  /**
   * Compression level.
   * @default 5 for zstd, 4 for gzip
   */
  compressionLevel?: number;
  /** Target bytes per chunk. @default 1048576 (1 MiB) */
  chunkBytes?: number;
  /** Replace an existing file. @default false */
  overwrite?: boolean;
}

const VERSION = "0.1.0";
const MIB = 1024 * 1024;

const FLETCHER32: WriteFilter = { id: 3, opts: [] };

/** The filter pipeline in h5py's order: compression, then the checksum of the compressed chunk. */
function filtersFor(options: WriteOptions): WriteFilter[] {
  const compression = options.compression ?? "zstd";
  switch (compression) {
    case "zstd":
      return [{ id: 32015, opts: [options.compressionLevel ?? 5] }, FLETCHER32];
    case "gzip":
      return [{ id: 1, opts: [options.compressionLevel ?? 4] }, FLETCHER32];
    case "none":
      return [FLETCHER32];
    default:
      throw new RtdcWriteError(`unknown compression '${String(compression)}'`, {
        action: "write",
      });
  }
}

function attrFor(section: string, key: string, value: ConfigValue): WriteAttr | undefined {
  const kind = configKeyKind(section, key);
  if (typeof value === "boolean") return { t: "bool", v: value };
  if (typeof value === "string") return { t: "string", v: value };
  if (typeof value === "number") {
    if (kind === "int") return { t: "int", v: value };
    if (kind === "float" || kind === "boolorfloat") return { t: "float", v: value };
    return Number.isInteger(value) && kind !== "raw"
      ? { t: "int", v: value }
      : { t: "float", v: value };
  }
  if (Array.isArray(value)) {
    const rows = (value as unknown[]).map((r) => (Array.isArray(r) ? r.map(Number) : [Number(r)]));
    const cols = rows[0]?.length ?? 0;
    const flat = new Float64Array(rows.flat());
    const is2d = (value as unknown[]).some((r) => Array.isArray(r));
    return { t: "floatArray", v: flat, shape: is2d ? [rows.length, cols] : [flat.length] };
  }
  return undefined;
}

function isStack(v: unknown): v is WriteImageStack {
  return (
    typeof v === "object" &&
    v !== null &&
    "shape" in v &&
    "data" in v &&
    Array.isArray((v as WriteImageStack).shape)
  );
}

function toTyped(data: ArrayLike<number>): TypedArrayOut {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array)
      return Float64Array.from(data as unknown as ArrayLike<number>, Number);
    return data as unknown as TypedArrayOut;
  }
  return Float64Array.from(data);
}

function chunkRows(rowBytes: number, n: number, chunkBytes: number): number {
  return Math.max(1, Math.min(Math.max(n, 1), Math.floor(chunkBytes / Math.max(1, rowBytes))));
}

/** Turn the data into the worker's write plan (validating as we go). */
export function planRtdc(data: WriteRtdcData, options: WriteOptions = {}): WritePlan {
  const filters = filtersFor(options);
  const chunkBytes = options.chunkBytes ?? MIB;
  const attrs: Record<string, WriteAttr> = {};
  const datasets: WriteDataset[] = [];
  const groups = new Set<string>(["events"]);
  // Event count: from the first feature.
  let n = -1;
  const setN = (m: number, name: string) => {
    if (n === -1) n = m;
    else if (n !== m)
      throw new RtdcWriteError(`feature '${name}' has ${m} events, others have ${n}`, {
        feature: name,
      });
  };
  const features = { ...data.features };
  const basins = data.basins ?? [];
  // Mapped basins: add their basinmapN features.
  const basinMapNames: string[] = [];
  for (const b of basins) {
    if (b.mapping && b.mapping !== "same") {
      const name = `basinmap${basinMapNames.length}`;
      if (basinMapNames.length >= 10) throw new RtdcWriteError("at most 10 mapped basins");
      basinMapNames.push(name);
      features[name] = b.mapping;
    } else basinMapNames.push("same");
  }
  for (const [name, value] of Object.entries(features)) {
    if (!featureExists(name))
      throw new RtdcWriteError(`'${name}' is not an RT-DC feature`, { feature: name });
    if (isScalarFeature(name)) {
      if (isStack(value) || !(ArrayBuffer.isView(value) || Array.isArray(value))) {
        throw new RtdcWriteError(`scalar feature '${name}' needs a 1-D array`, { feature: name });
      }
      const arr = value as ArrayLike<number>;
      setN(arr.length, name);
      let typed: TypedArrayOut | BigUint64Array = toTyped(arr);
      if (/^basinmap\d$/.test(name))
        typed = BigUint64Array.from(Array.from(arr), (v) => BigInt(Math.trunc(v)));
      const itemBytes = typed.BYTES_PER_ELEMENT;
      datasets.push({
        path: `events/${name}`,
        kind: "numeric",
        data: typed,
        shape: [arr.length],
        chunks: [chunkRows(itemBytes, arr.length, chunkBytes)],
        filters,
      });
    } else if (name === "contour") {
      if (!Array.isArray(value))
        throw new RtdcWriteError("'contour' needs a list of { x, y }", { feature: name });
      const list = value as RtdcContour[];
      setN(list.length, name);
      groups.add("events/contour");
      list.forEach((c, i) => {
        const m = c.x.length;
        if (c.y.length !== m || m === 0)
          throw new RtdcWriteError(`contour ${i} is empty or uneven`, { feature: name });
        const xy = new Int32Array(2 * m);
        for (let k = 0; k < m; k++) {
          xy[2 * k] = c.x[k] as number;
          xy[2 * k + 1] = c.y[k] as number;
        }
        datasets.push({
          path: `events/contour/${i}`,
          kind: "numeric",
          data: xy,
          shape: [m, 2],
          chunks: [m, 2],
          filters,
        });
      });
    } else if (name === "trace") {
      if (isStack(value) || typeof value !== "object")
        throw new RtdcWriteError("'trace' needs { fl1_raw: {data, shape}, … }", { feature: name });
      groups.add("events/trace");
      for (const [tname, stack] of Object.entries(value as Record<string, WriteImageStack>)) {
        if (!isStack(stack) || stack.shape.length !== 2)
          throw new RtdcWriteError(`trace '${tname}' needs shape [events, samples]`, {
            feature: name,
          });
        setN(stack.shape[0] as number, `trace/${tname}`);
        const typed = ArrayBuffer.isView(stack.data)
          ? toTyped(stack.data)
          : Int16Array.from(stack.data);
        const rowBytes = (stack.shape[1] as number) * typed.BYTES_PER_ELEMENT;
        datasets.push({
          path: `events/trace/${tname}`,
          kind: "numeric",
          data: typed,
          shape: stack.shape,
          chunks: [
            chunkRows(rowBytes, stack.shape[0] as number, chunkBytes),
            stack.shape[1] as number,
          ],
          filters,
        });
      }
    } else {
      if (!isStack(value) || value.shape.length < 2)
        throw new RtdcWriteError(`'${name}' needs { data, shape: [events, …] }`, { feature: name });
      const shape = value.shape;
      setN(shape[0] as number, name);
      let typed: TypedArrayOut;
      // dclab stores masks as uint8 0/255. A byte array is mapped in the worker, chunk by chunk
      // (a 400 MB mask would block the caller ~0.4 s here); anything else is mapped here.
      let binaryTo255 = false;
      if (
        name === "mask" &&
        (value.data instanceof Uint8Array || value.data instanceof Int8Array)
      ) {
        typed =
          value.data instanceof Uint8Array
            ? value.data
            : new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.length);
        binaryTo255 = true;
      } else if (name === "mask") {
        typed = new Uint8Array(value.data.length);
        for (let i = 0; i < typed.length; i++) typed[i] = value.data[i] ? 255 : 0;
      } else if (name === "image" || name === "image_bg") {
        typed = value.data instanceof Uint8Array ? value.data : Uint8Array.from(value.data);
      } else typed = toTyped(value.data);
      const expected = shape.reduce((a, b) => a * b, 1);
      if (typed.length !== expected)
        throw new RtdcWriteError(`'${name}' has ${typed.length} values, shape needs ${expected}`, {
          feature: name,
        });
      const rowBytes = (expected / Math.max(1, shape[0] as number)) * typed.BYTES_PER_ELEMENT;
      datasets.push({
        path: `events/${name}`,
        kind: "numeric",
        data: typed,
        shape,
        chunks: [chunkRows(rowBytes, shape[0] as number, chunkBytes), ...shape.slice(1)],
        filters,
        ...(binaryTo255 ? { binaryTo255 } : {}),
      });
    }
  }
  if (n < 0) n = 0;
  // Configuration → root attributes.
  for (const [section, keys] of Object.entries(data.config ?? {})) {
    if (!keys) continue;
    if (section !== "user" && !CONFIG_METADATA[section]) continue; // analysis sections are never stored
    for (const [key, value] of Object.entries(keys)) {
      if (configKeyKind(section, key.toLowerCase()) === undefined) continue;
      const a = attrFor(section, key.toLowerCase(), value);
      if (a) attrs[`${section}:${key.toLowerCase()}`] = a;
    }
  }
  attrs["experiment:event count"] = { t: "int", v: n };
  const sw = attrs["setup:software version"];
  const chain =
    sw?.t === "string" && sw.v ? `${sw.v} | dcor-rtdc ${VERSION}` : `dcor-rtdc ${VERSION}`;
  attrs["setup:software version"] = { t: "string", v: chain };
  // Logs.
  for (const [name, lines] of Object.entries(data.logs ?? {})) {
    groups.add("logs");
    datasets.push({
      path: `logs/${name}`,
      kind: "strings",
      data: typeof lines === "string" ? lines.split("\n") : [...lines],
      filters,
    });
  }
  // Tables.
  for (const [name, cols] of Object.entries(data.tables ?? {})) {
    groups.add("tables");
    const columns: Record<string, Float64Array> = {};
    let rows = -1;
    for (const [c, v] of Object.entries(cols)) {
      columns[c] = Float64Array.from(v);
      if (rows >= 0 && v.length !== rows)
        throw new RtdcWriteError(`table '${name}' has columns of different lengths`);
      rows = v.length;
    }
    if (Object.keys(columns).length === 0)
      throw new RtdcWriteError(`table '${name}' has no columns`);
    datasets.push({ path: `tables/${name}`, kind: "table", columns, filters });
  }
  // Basins.
  basins.forEach((b, i) => {
    groups.add("basins");
    const type = b.type ?? "file";
    const format =
      b.format ?? (type === "file" ? "hdf5" : type === "internal" ? "h5dataset" : "http");
    const def: Record<string, unknown> = {
      description: b.description ?? `Written by dcor-rtdc ${VERSION}`,
      format,
      name: b.name,
      type,
      features: b.features ? [...b.features].sort() : null,
      mapping: basinMapNames[i],
      perishable: b.perishable ?? false,
      identifier: b.identifier ?? null,
    };
    if (type === "file") def.paths = b.paths ?? [];
    else if (type === "internal") {
      def.paths = ["basin_events"];
      groups.add("basin_events");
      for (const [f, v] of Object.entries(b.internalData ?? {})) {
        if (!isScalarFeature(f))
          throw new RtdcWriteError(`internal basin feature '${f}' must be scalar`, { feature: f });
        const typed = toTyped(v);
        datasets.push({
          path: `basin_events/${f}`,
          kind: "numeric",
          data: typed,
          shape: [typed.length],
          chunks: [chunkRows(typed.BYTES_PER_ELEMENT, typed.length, chunkBytes)],
          filters,
        });
      }
      if (!b.features) def.features = Object.keys(b.internalData ?? {}).sort();
    } else def.urls = b.urls ?? [];
    const { key, lines } = basinLines(def as never);
    datasets.push({ path: `basins/${key}`, kind: "strings", data: lines, filters });
  });
  return { attrs, groups: [...groups], datasets };
}

/** Datasets at least this big go to the worker through shared memory, copied in slices. */
const SHARE_BYTES = MIB;
const SLICE_BYTES = 4 * MIB;

/**
 * Move the big arrays of `plan` into SharedArrayBuffers, 4 MiB per event-loop turn: posting
 * them to the HDF5 worker then copies nothing, where a structured clone of a 400 MB image stack
 * would stall the caller's event loop for ~0.5 s in one piece.
 */
async function shareLargeArrays(plan: WritePlan): Promise<void> {
  for (const d of plan.datasets) {
    if (d.kind !== "numeric" || d.data.byteLength < SHARE_BYTES) continue;
    if (d.data.buffer instanceof SharedArrayBuffer) continue;
    const src = new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength);
    const shared = new SharedArrayBuffer(d.data.byteLength);
    const dst = new Uint8Array(shared);
    for (let at = 0; at < src.length; at += SLICE_BYTES) {
      dst.set(src.subarray(at, at + SLICE_BYTES), at);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    type Numeric = typeof d.data;
    const Ctor = d.data.constructor as new (b: SharedArrayBuffer) => Numeric;
    d.data = new Ctor(shared);
  }
}

/**
 * Write an `.rtdc` file in dclab's layout: root attributes `section:key`, an `events` group
 * (1-D scalar features, `(N,H,W)` images, `contour/<i>`, `trace/<name>`), `logs`, `tables` and
 * `basins` with hashed names. The file is written to a temporary name and renamed at the end,
 * so a failed write never leaves a half-written file under `path`.
 * @throws {@link RtdcWriteError} for invalid data or when the file exists (without `overwrite`).
 */
export async function writeRtdc(
  path: string,
  data: WriteRtdcData,
  options: WriteOptions = {},
): Promise<void> {
  const target = resolvePath(path);
  if (!options.overwrite) {
    const st = await stat(target).catch(() => undefined);
    if (st)
      throw new RtdcWriteError("file exists (pass overwrite: true)", {
        path: target,
        action: "write",
      });
  }
  const plan = planRtdc(data, options);
  const tmp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    await shareLargeArrays(plan);
    await writeHdf5(tmp, plan);
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (err instanceof RtdcWriteError) throw err;
    throw new RtdcWriteError(
      `writing failed: ${(err as Error).message}`,
      { path: target, action: "write" },
      { cause: err },
    );
  }
}

/** @internal Implementation of {@link RtdcDataset.export}. */
export async function exportDataset(
  ds: RtdcDataset,
  path: string,
  options: ExportOptions = {},
): Promise<void> {
  let keep: number[] | undefined;
  if (options.filtered) {
    const all = ds.filter.all;
    keep = [];
    for (let i = 0; i < ds.length; i++) if (all[i] ?? 1) keep.push(i);
  }
  const idx = keep ?? Array.from({ length: ds.length }, (_, i) => i);
  const nonScalarStored = ["image", "image_bg", "mask", "contour", "trace"].filter((f) =>
    ds.features.includes(f),
  );
  const wanted = options.features ?? [
    ...ds.featuresScalar.filter((f) => !/^basinmap\d$/.test(f)),
    ...nonScalarStored,
  ];
  const features: Record<string, WriteFeature> = {};
  for (const name of wanted) {
    if (!ds.features.includes(name))
      throw new RtdcWriteError(`feature '${name}' is not available`, { feature: name });
    if (isScalarFeature(name)) {
      const all = await ds.get(name);
      const Ctor = all.constructor as new (n: number) => TypedArrayOut;
      const out = new Ctor(idx.length);
      idx.forEach((j, k) => {
        out[k] = all[j] as number;
      });
      features[name] = out;
    } else if (name === "contour") {
      const list: RtdcContour[] = [];
      for (const j of idx) list.push(await ds.contour(j));
      features.contour = list;
    } else if (name === "trace") {
      const traces: Record<string, WriteImageStack> = {};
      for (const t of await ds.traceNames()) {
        const rows: TypedArrayOut[] = [];
        for (const j of idx) rows.push(await ds.trace(t, j));
        const samples = rows[0]?.length ?? 0;
        const Ctor = (rows[0]?.constructor ?? Int16Array) as new (n: number) => TypedArrayOut;
        const data = new Ctor(rows.length * samples);
        for (const [k, r] of rows.entries()) data.set(r, k * samples);
        traces[t] = { data, shape: [rows.length, samples] };
      }
      features.trace = traces;
    } else {
      let h = 0;
      let w = 0;
      let data: Uint8Array | undefined;
      for (let k = 0; k < idx.length; k++) {
        const img =
          name === "mask"
            ? await ds.mask(idx[k] as number)
            : await ds.eventData(name, idx[k] as number);
        const px = "height" in img ? img.data : (img.data as Uint8Array);
        if (!data) {
          [h, w] =
            "height" in img ? [img.height, img.width] : [img.shape[0] ?? 0, img.shape[1] ?? 0];
          data = new Uint8Array(idx.length * h * w);
        }
        data.set(px as ArrayLike<number>, k * h * w);
      }
      features[name] = { data: data ?? new Uint8Array(0), shape: [idx.length, h, w] };
    }
  }
  const config: Record<string, Record<string, ConfigValue>> = {};
  for (const [s, keys] of Object.entries(ds.config)) config[s] = { ...keys };
  const write: WriteRtdcData = { config, features };
  if (options.logs !== false) {
    write.logs = await ds.logs();
    const tables = await ds.tables();
    const t: Record<string, Record<string, ArrayLike<number>>> = {};
    for (const [name, tab] of Object.entries(tables)) {
      if (!tab.columns) continue;
      const cols: Record<string, number[]> = {};
      tab.columns.forEach((c, ci) => {
        cols[c] = tab.rows.map((r) => r[ci] as number);
      });
      t[name] = cols;
    }
    write.tables = t;
  }
  if (options.basins) {
    if (ds.file?.source.kind !== "file") {
      throw new RtdcWriteError("export basins need a local source file", {
        path,
        action: "export",
      });
    }
    const src = ds.file.source.path;
    const identifier = measurementIdentifier(ds.config);
    write.basins = [
      {
        name: "Exported data",
        description: `Exported with dcor-rtdc ${VERSION}`,
        type: "file",
        format: "hdf5",
        // Absolute path first, then relative to the export's folder (dclab does the same).
        paths: [...new Set([src, relative(dirname(resolvePath(path)), src)])],
        mapping: keep ? keep : "same",
        ...(identifier ? { identifier } : {}),
      },
    ];
  }
  await writeRtdc(path, write, {
    ...(options.compression ? { compression: options.compression } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
  });
}
