// The HDF5 worker: owns the h5wasm module, answers Requests from client.ts one at a time.
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { MessagePort } from "node:worker_threads";
import { crc32 } from "node:zlib";
import h5wasm, { type Attribute } from "h5wasm/node";
import {
  RtdcError,
  RtdcFilterUnavailableError,
  RtdcFormatError,
  RtdcRemoteError,
  RtdcWriteError,
  redactUrl,
  serializeError,
} from "../errors.js";
import { ClassicFile } from "./classic-reader.js";
import { classicCanWrite, pipelineOf, writeClassicHdf5 } from "./classic-writer.js";
import {
  type AttrValue,
  CHUNK_CRC_ATTR,
  type ContoursResult,
  type DatasetInfo,
  type DtypeClass,
  type FileSource,
  type FileTree,
  type GroupInfo,
  type OpenResult,
  type ReadResult,
  type Request,
  type Response,
  type TableResult,
  type TypedArrayOut,
  type WorkerStats,
  type WriteAttr,
  type WritePlan,
} from "./protocol.js";
import { RemoteFiles } from "./remote.js";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Module = Awaited<typeof h5wasm.ready>;

/** Filter ids of the plugin files shipped by h5wasm-plugins. */
const PLUGIN_IDS: Record<string, number> = {
  lzf: 32000,
  blosc: 32001,
  lz4: 32004,
  bshuf: 32008,
  zfp: 32013,
  zstd: 32015,
  jpeg: 32019,
  bitgroom: 32022,
  bitround: 32023,
  blosc2: 32026,
  bz2: 307,
};
export const FILTER_NAMES: Record<number, string> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32019: "jpeg",
  32022: "bitgroom",
  32023: "bitround",
  32026: "blosc2",
};
/** Built into h5wasm's HDF5 (szip is compiled in: it decodes the 2017 dclab test file). */
const BUILTIN_FILTERS = [1, 2, 3, 4, 5, 6];

export interface ServerOptions {
  /** Plugin names to load (default: every plugin of h5wasm-plugins). */
  plugins?: string[];
  /** URL of the worker entry file, to start the fetch helper thread. */
  entryUrl: string;
}

interface OpenFile {
  file: H5File;
  source: FileSource;
  vpath?: string;
  /** The native read path for a local classic-format file; `null` when it does not apply. */
  classic?: ClassicFile | null;
}

function filterName(id: number): string {
  return FILTER_NAMES[id] ?? `filter ${id}`;
}

/** The useful line of an HDF5-DIAG error stack (the whole stack is ~3 KB). */
function hdf5Reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const filter = /required filter '([^']*)' is not registered/.exec(msg);
  if (filter) return `required filter '${filter[1]}' is not registered`;
  const lines = msg
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^#\d+:/.test(l));
  const last = lines.at(-1) ?? msg.split("\n")[0] ?? msg;
  const m = /\):\s*(.*)$/.exec(last);
  return (m?.[1] ?? last).slice(0, 200);
}

function featureOf(path: string): string | undefined {
  const m = /^\/?(?:events|basin_events)\/([^/]+)/.exec(path);
  return m?.[1];
}

export class Hdf5Server {
  private readonly files = new Map<number, OpenFile>();
  private nextHandle = 1;
  private readonly available: Set<number>;
  private readonly remote: RemoteFiles;

  private constructor(
    private readonly M: H5Module,
    available: Set<number>,
    opts: ServerOptions,
  ) {
    this.available = available;
    this.remote = new RemoteFiles(M.FS as never, opts.entryUrl);
  }

  static async start(opts: ServerOptions): Promise<Hdf5Server> {
    const M = await h5wasm.ready;
    // Without it a dataset whose filter plugin is missing returns garbage instead of throwing.
    M.activate_throwing_error_handler();
    const require = createRequire(import.meta.url);
    const pluginDir = join(dirname(require.resolve("h5wasm-plugins/package.json")), "plugins");
    const available = new Set<number>(BUILTIN_FILTERS);
    const wanted = opts.plugins ?? Object.keys(PLUGIN_IDS);
    if (existsSync(pluginDir)) {
      const present = readdirSync(pluginDir);
      if (opts.plugins) {
        // A restricted set: only the wanted plugins in a private directory.
        const { mkdtempSync, copyFileSync } = await import("node:fs");
        const { tmpdir } = await import("node:os");
        const dir = mkdtempSync(join(tmpdir(), "rtdc-plugins-"));
        for (const name of wanted) {
          const file = `libH5Z${name}.so`;
          if (present.includes(file)) copyFileSync(join(pluginDir, file), join(dir, file));
        }
        M.insert_plugin_search_path(dir, 0);
      } else {
        M.insert_plugin_search_path(pluginDir, 0);
      }
      for (const name of wanted) {
        const id = PLUGIN_IDS[name];
        if (id !== undefined && present.includes(`libH5Z${name}.so`)) available.add(id);
      }
    }
    return new Hdf5Server(M, available, opts);
  }

  listen(port: MessagePort): void {
    // Requests are answered in arrival order; an async one (a native-zlib read) holds the queue
    // until it settles, so h5wasm is never entered by two requests at once.
    let queue: Promise<void> = Promise.resolve();
    port.on("message", (msg: { id: number; req: Request }) => {
      queue = queue.then(() => this.answer(port, msg));
    });
  }

  private async answer(port: MessagePort, msg: { id: number; req: Request }): Promise<void> {
    let res: Response;
    const transfer: ArrayBuffer[] = [];
    try {
      const result = await this.handle(msg.req);
      if (
        result &&
        typeof result === "object" &&
        "data" in result &&
        ArrayBuffer.isView(result.data)
      ) {
        transfer.push((result.data as TypedArrayOut).buffer as ArrayBuffer);
        const offsets = (result as { offsets?: unknown }).offsets;
        if (offsets instanceof Int32Array) transfer.push(offsets.buffer as ArrayBuffer);
      }
      res = { id: msg.id, ok: true, result };
    } catch (err) {
      // A wasm abort (RuntimeError) leaves the module unusable: tell the client to restart us.
      const fatal =
        err instanceof Error && (err.name === "RuntimeError" || /^abort/i.test(err.message));
      res = { id: msg.id, ok: false, error: serializeError(this.mapError(err, msg.req)), fatal };
    }
    port.postMessage(res, transfer);
  }

  private mapError(err: unknown, req: Request): unknown {
    if (err instanceof RtdcError) return err;
    const remoteCause = this.remote.lastError;
    this.remote.lastError = undefined;
    const path = "path" in req ? req.path : undefined;
    const feature = path ? featureOf(path) : undefined;
    const src =
      "handle" in req
        ? this.files.get(req.handle)?.source
        : req.op === "open"
          ? req.source
          : undefined;
    const where = src
      ? src.kind === "file"
        ? { path: src.path }
        : { url: redactUrl(src.url) }
      : {};
    if (remoteCause) {
      if (remoteCause instanceof RtdcError) return remoteCause;
      return new RtdcRemoteError(
        `remote read failed: ${remoteCause.message}`,
        { ...where, action: req.op },
        { cause: remoteCause },
      );
    }
    const reason = hdf5Reason(err);
    const missing = /required filter '([^']*)'/.exec(reason);
    if (missing) {
      return new RtdcFilterUnavailableError(
        `feature '${feature ?? path}' needs HDF5 filter '${missing[1]}', which is not available`,
        { ...where, ...(feature ? { feature } : {}), filter: missing[1] },
      );
    }
    if (req.op === "write")
      return new RtdcWriteError(`writing failed: ${reason}`, { path: req.path, action: "write" });
    const what = req.op === "open" ? "not a readable HDF5 file" : `cannot read '${path ?? ""}'`;
    return new RtdcFormatError(`${what}: ${reason}`, {
      ...where,
      ...(feature ? { feature } : {}),
      action: req.op,
    });
  }

  private handle(req: Request): unknown | Promise<unknown> {
    switch (req.op) {
      case "open":
        return this.open(req.source, req.describe !== false);
      case "read":
        return this.read(req.handle, req.path, req.start, req.count);
      case "strings":
        return this.strings(req.handle, req.path);
      case "table":
        return this.table(req.handle, req.path);
      case "contours":
        return this.contours(req.handle, req.path, req.start, req.count);
      case "describeGroup":
        return this.describeGroupAt(req.handle, req.path);
      case "close":
        return this.close(req.handle);
      case "setUrl": {
        const f = this.files.get(req.handle);
        if (f?.vpath) this.remote.setUrl(f.vpath, req.url, req.headers ?? {});
        return null;
      }
      case "write":
        return this.write(req.path, req.plan);
      case "stats":
        return {
          remoteRequests: this.remote.requests,
          remoteBytes: this.remote.bytes,
          openFiles: this.files.size,
          availableFilters: [...this.available].sort((a, b) => a - b),
        } satisfies WorkerStats;
    }
  }

  private getFile(handle: number): OpenFile {
    const f = this.files.get(handle);
    if (!f) throw new RtdcFormatError(`file handle ${handle} is not open`);
    return f;
  }

  private open(source: FileSource, describe = true): OpenResult {
    let path: string;
    let vpath: string | undefined;
    let size: number;
    if (source.kind === "file") {
      const st = statSync(source.path, { throwIfNoEntry: false });
      if (!st?.isFile())
        throw new RtdcFormatError("no such file", { path: source.path, action: "open" });
      path = source.path;
      size = st.size;
    } else {
      const entry = this.remote.register(
        source.url,
        source.headers ?? {},
        source.prefetch ?? false,
      );
      path = entry.vpath;
      vpath = entry.vpath;
      size = entry.size;
    }
    if (size < 8) throw new RtdcFormatError("file too small to be HDF5", { action: "open" });
    let file: H5File;
    try {
      file = new h5wasm.File(path, "r");
    } catch (err) {
      if (vpath) this.remote.unregister(vpath);
      throw err;
    }
    const handle = this.nextHandle++;
    this.files.set(handle, { file, source, ...(vpath ? { vpath } : {}) });
    try {
      const tree = describe ? this.describe(file, size) : emptyTree(size);
      return { handle, tree };
    } catch (err) {
      this.close(handle);
      throw err;
    }
  }

  private close(handle: number): null {
    const f = this.files.get(handle);
    if (!f) return null;
    this.files.delete(handle);
    f.classic?.close();
    try {
      f.file.close();
    } catch {
      // Closing a damaged file may fail; the handle is gone either way.
    }
    if (f.vpath) this.remote.unregister(f.vpath);
    return null;
  }

  private decodeAttr(obj: { attrs: Record<string, unknown> }, name: string): AttrValue {
    const attr = (obj.attrs as Record<string, Attribute>)[name];
    if (!attr) return { t: "other", v: null };
    const md = attr.metadata;
    const shape = md.shape ?? [];
    const isScalar = shape.length === 0 || (shape.length === 1 && shape[0] === 1 && md.type !== 3);
    const T = this.M.H5T_class_t;
    if (md.type === T.H5T_ENUM.value) {
      const v = attr.value;
      const n =
        typeof v === "bigint"
          ? Number(v)
          : Number(Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<number>)[0] : v);
      const members = md.enum_type?.members ?? {};
      const names = Object.keys(members).map((k) => k.toUpperCase());
      if (names.includes("TRUE") || names.includes("FALSE")) return { t: "bool", v: n !== 0 };
      return { t: "int", v: n };
    }
    const value = attr.value;
    if (md.type === T.H5T_STRING.value) {
      if (typeof value === "string") return { t: "string", v: value.replace(/\0+$/, "") };
      if (Array.isArray(value)) {
        const arr = value.map((s) => String(s).replace(/\0+$/, ""));
        return arr.length === 1 ? { t: "string", v: arr[0] as string } : { t: "array", v: arr };
      }
      return { t: "other", v: null };
    }
    if (md.type === T.H5T_INTEGER.value || md.type === T.H5T_FLOAT.value) {
      const t = md.type === T.H5T_INTEGER.value ? "int" : "float";
      const flat: number[] =
        typeof value === "number" || typeof value === "bigint"
          ? [Number(value)]
          : ArrayBuffer.isView(value)
            ? Array.from(value as unknown as ArrayLike<number | bigint>, Number)
            : Array.isArray(value)
              ? value.map(Number)
              : [];
      if (isScalar && flat.length === 1) return { t, v: flat[0] as number };
      if (shape.length === 2) {
        const [r = 0, c = 0] = shape;
        const rows: number[][] = [];
        for (let i = 0; i < r; i++) rows.push(flat.slice(i * c, (i + 1) * c));
        return { t: "array", v: rows };
      }
      return { t: "array", v: flat };
    }
    return { t: "other", v: null };
  }

  private attrsOf(obj: { attrs: Record<string, unknown> }): Record<string, AttrValue> {
    const out: Record<string, AttrValue> = {};
    for (const name of Object.keys(obj.attrs)) {
      try {
        out[name] = this.decodeAttr(obj, name);
      } catch {
        out[name] = { t: "other", v: null };
      }
    }
    return out;
  }

  private classOf(type: number): DtypeClass {
    const T = this.M.H5T_class_t;
    if (type === T.H5T_INTEGER.value) return "int";
    if (type === T.H5T_FLOAT.value) return "float";
    if (type === T.H5T_STRING.value) return "string";
    if (type === T.H5T_ENUM.value) return "enum";
    if (type === T.H5T_COMPOUND.value) return "compound";
    return "other";
  }

  private describeDataset(ds: H5Dataset, withAttrs: boolean): DatasetInfo {
    const md = ds.metadata;
    const filters = (ds.filters ?? []).map((f) => ({ id: f.id, name: filterName(f.id) }));
    return {
      kind: "dataset",
      cls: this.classOf(md.type),
      size: md.size,
      signed: md.signed,
      shape: md.shape ?? [],
      chunks: md.chunks,
      filters,
      missingFilters: filters.filter((f) => !this.available.has(f.id)).map((f) => f.name),
      attrs: withAttrs ? this.attrsOf(ds as never) : {},
    };
  }

  private describeGroup(g: H5Group, depth: number): GroupInfo {
    const keys = g.keys();
    const children: Record<string, DatasetInfo | GroupInfo> = {};
    const list = keys.length <= 64 ? keys : keys.slice(0, 1);
    for (const k of list) {
      const child = g.get(k);
      if (child instanceof h5wasm.Dataset)
        children[k] = this.describeDataset(child, keys.length <= 64);
      else if (child instanceof h5wasm.Group && depth < 2)
        children[k] = this.describeGroup(child, depth + 1);
    }
    return { kind: "group", count: keys.length, children };
  }

  private describeGroupAt(handle: number, path: string): GroupInfo {
    const g = this.getFile(handle).file.get(path);
    if (!(g instanceof h5wasm.Group)) throw new RtdcFormatError(`'${path}' is not a group`);
    return this.describeGroup(g, 1);
  }

  private describe(file: H5File, size: number): FileTree {
    const tree: FileTree = {
      ...emptyTree(size),
      attrs: this.attrsOf(file as never),
      groups: file.keys(),
    };
    for (const [groupName, target] of [
      ["events", tree.events],
      ["basin_events", tree.basinEvents],
    ] as const) {
      const g = tree.groups.includes(groupName) ? file.get(groupName) : null;
      if (!(g instanceof h5wasm.Group)) continue;
      for (const k of g.keys()) {
        const child = g.get(k);
        if (child instanceof h5wasm.Dataset) target[k] = this.describeDataset(child, false);
        else if (child instanceof h5wasm.Group) target[k] = this.describeGroup(child, 1);
      }
    }
    const logs = tree.groups.includes("logs") ? file.get("logs") : null;
    if (logs instanceof h5wasm.Group) tree.logs = logs.keys();
    const tables = tree.groups.includes("tables") ? file.get("tables") : null;
    if (tables instanceof h5wasm.Group) tree.tables = tables.keys();
    const basins = tree.groups.includes("basins") ? file.get("basins") : null;
    if (basins instanceof h5wasm.Group) {
      for (const key of basins.keys()) {
        const ds = basins.get(key);
        if (ds instanceof h5wasm.Dataset)
          tree.basins.push({ key, lines: this.stringsOf(ds, `basins/${key}`) });
      }
    }
    return tree;
  }

  private dataset(handle: number, path: string): H5Dataset {
    const ds = this.getFile(handle).file.get(path);
    if (!(ds instanceof h5wasm.Dataset)) throw new RtdcFormatError(`'${path}' is not a dataset`);
    return ds;
  }

  private checkFilters(ds: H5Dataset, path: string): void {
    for (const f of ds.filters ?? []) {
      if (!this.available.has(f.id)) {
        const feature = featureOf(path);
        throw new RtdcFilterUnavailableError(
          `feature '${feature ?? path}' needs HDF5 filter '${filterName(f.id)}' (id ${f.id}), which is not available`,
          { ...(feature ? { feature } : {}), filter: filterName(f.id), action: "read" },
        );
      }
    }
  }

  /**
   * Rows `[start, start + count)` of a numeric dataset. Local classic-format files with deflate,
   * shuffle and fletcher32 decode on the native path (classic-reader.ts); everything else, and
   * anything that path cannot decode, reads through h5wasm.
   */
  private read(
    handle: number,
    path: string,
    start?: number,
    count?: number,
  ): ReadResult | Promise<ReadResult> {
    const f = this.getFile(handle);
    const classic = f.source.kind === "file" ? this.classicOf(f) : undefined;
    const layout = classic?.dataset(path);
    if (!classic || !layout) return this.readH5wasm(handle, path, start, count);
    const n = layout.shape[0] as number;
    const s = Math.max(0, Math.min(start ?? 0, n));
    const e = Math.max(s, Math.min(count === undefined ? n : s + count, n));
    if (e === s) return this.readH5wasm(handle, path, start, count);
    return classic.read(layout, s, e).then(
      (data) => ({ data: data as TypedArrayOut, shape: [e - s, ...layout.shape.slice(1)] }),
      () => this.readH5wasm(handle, path, start, count),
    );
  }

  private classicOf(f: OpenFile): ClassicFile | undefined {
    if (f.classic === undefined && f.source.kind === "file")
      f.classic = ClassicFile.open(f.source.path) ?? null;
    return f.classic ?? undefined;
  }

  private readH5wasm(handle: number, path: string, start?: number, count?: number): ReadResult {
    const ds = this.dataset(handle, path);
    this.checkFilters(ds, path);
    const md = ds.metadata;
    const shape = md.shape ?? [];
    const cls = this.classOf(md.type);
    if (cls !== "int" && cls !== "float" && cls !== "enum") {
      throw new RtdcFormatError(`'${path}' is not numeric`, { action: "read" });
    }
    let raw: unknown;
    let outShape = shape.slice();
    if (shape.length === 0) {
      raw = ds.value;
    } else {
      const n = shape[0] as number;
      const s = Math.max(0, Math.min(start ?? 0, n));
      const e = Math.max(s, Math.min(count === undefined ? n : s + count, n));
      outShape = [e - s, ...shape.slice(1)];
      if (e === s) raw = new Float64Array(0);
      else raw = s === 0 && e === n ? ds.value : ds.slice([[s, e]]);
      this.verifyChunks(ds, path, raw, s, e, n);
    }
    return { data: toTransferable(raw), shape: outShape };
  }

  private contours(handle: number, path: string, start: number, count: number): ContoursResult {
    const parts: ArrayLike<number>[] = [];
    const offsets = new Int32Array(count + 1);
    let total = 0;
    for (let k = 0; k < count; k++) {
      const { data, shape } = this.readH5wasm(handle, `${path}/${start + k}`);
      if (shape.length !== 2 || shape[1] !== 2)
        throw new RtdcFormatError(`contour ${start + k} has shape [${shape}]`);
      parts.push(data);
      total += shape[0] as number;
      offsets[k + 1] = total;
    }
    const out = new Float64Array(2 * total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return { data: out, offsets };
  }

  /** Check the CRC-32 of every chunk fully inside rows [s, e) (files from our writer). */
  private verifyChunks(
    ds: H5Dataset,
    path: string,
    raw: unknown,
    s: number,
    e: number,
    n: number,
  ): void {
    if (!ArrayBuffer.isView(raw)) return;
    let crcs: ArrayLike<number>;
    try {
      if (!Module_attrNames(ds).includes(CHUNK_CRC_ATTR)) return;
      const v = (ds.attrs as Record<string, Attribute>)[CHUNK_CRC_ATTR]?.value;
      crcs = ArrayBuffer.isView(v)
        ? (v as unknown as ArrayLike<number>)
        : typeof v === "number"
          ? [v]
          : [];
    } catch {
      return;
    }
    const md = ds.metadata;
    const shape = md.shape ?? [];
    const rows = md.chunks?.[0] ?? n;
    const rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * md.size;
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let k = Math.ceil(s / rows); k * rows < e; k++) {
      const c0 = k * rows;
      const c1 = Math.min(c0 + rows, n);
      if (c1 > e) break;
      const crc = crc32(bytes.subarray((c0 - s) * rowBytes, (c1 - s) * rowBytes));
      if (crc !== crcs[k]) {
        const feature = featureOf(path);
        throw new RtdcFormatError(
          `checksum mismatch in '${path}' (chunk ${k}): the file is corrupt`,
          {
            ...(feature ? { feature } : {}),
            action: "read",
          },
        );
      }
    }
  }

  private stringsOf(ds: H5Dataset, path: string): string[] {
    this.checkFilters(ds, path);
    const v = ds.value;
    const arr = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
    return arr.map((s) =>
      (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s)).replace(/\0+$/, ""),
    );
  }

  private strings(handle: number, path: string): string[] {
    return this.stringsOf(this.dataset(handle, path), path);
  }

  private table(handle: number, path: string): TableResult {
    const ds = this.dataset(handle, path);
    this.checkFilters(ds, path);
    const md = ds.metadata;
    if (md.type === this.M.H5T_class_t.H5T_COMPOUND.value) {
      const columns = (md.compound_type?.members ?? []).map((m) => m.name);
      const v = ds.value as unknown[];
      const rows = (Array.isArray(v) ? v : []).map((row) =>
        (Array.isArray(row) ? row : [row]).map((x) =>
          typeof x === "bigint" ? Number(x) : Number(x),
        ),
      );
      return { columns, rows };
    }
    const { data, shape } = this.readH5wasm(handle, path);
    const cols = shape.length > 1 ? (shape[1] as number) : 1;
    const rows: number[][] = [];
    for (let i = 0; i < (shape[0] ?? 0); i++)
      rows.push(Array.from(data.subarray(i * cols, (i + 1) * cols)));
    return { columns: null, rows };
  }

  private async write(path: string, plan: WritePlan): Promise<null> {
    // Our own writer sets the whole pipeline (zstd/deflate + fletcher32) and h5py's enum bools;
    // h5wasm (one filter per dataset) stays for filters only its plugins can encode (lzf, …).
    if (classicCanWrite(plan)) {
      await writeClassicHdf5(path, plan);
      return null;
    }
    let file: H5File | undefined;
    try {
      file = new h5wasm.File(path, "w");
      writeAttrs(file as never, plan.attrs);
      for (const g of plan.groups) file.create_group(g);
      for (const d of plan.datasets) {
        const slash = d.path.lastIndexOf("/");
        const parent = slash > 0 ? (file.get(d.path.slice(0, slash)) as H5Group) : file;
        const name = d.path.slice(slash + 1);
        if (!parent) throw new RtdcWriteError(`parent group of '${d.path}' missing`);
        if (d.kind === "strings") {
          parent.create_dataset({
            name,
            data: d.data.length ? d.data : [""],
            shape: [d.data.length ? d.data.length : 1],
          });
        } else if (d.kind === "table") {
          const ds = parent.create_dataset({ name, data: new Map(Object.entries(d.columns)) });
          if (d.attrs) writeAttrs(ds as never, d.attrs);
        } else {
          const pipeline = pipelineOf(d);
          if (pipeline.length > 1)
            throw new RtdcWriteError("h5wasm writes one filter per dataset", { path });
          const filter = pipeline[0] ?? { id: 0, opts: [] };
          for (const f of [filter]) {
            if (f.id !== 0 && !this.available.has(f.id)) {
              throw new RtdcWriteError(
                `HDF5 filter '${filterName(f.id)}' is not available for writing`,
                {
                  path,
                  filter: filterName(f.id),
                },
              );
            }
          }
          const ds = parent.create_dataset({
            name,
            data:
              d.binaryTo255 && d.data instanceof Uint8Array
                ? d.data.map((v) => (v ? 255 : 0))
                : d.data,
            shape: d.shape,
            maxshape: [null, ...d.shape.slice(1)],
            chunks: d.chunks,
            ...(filter.id !== 0 ? { compression: filter.id, compression_opts: filter.opts } : {}),
          });
          if (d.attrs) writeAttrs(ds as never, d.attrs);
        }
      }
      file.close();
      file = undefined;
      return null;
    } finally {
      if (file) {
        try {
          file.close();
        } catch {
          // The write failed already; the caller removes the temp file.
        }
      }
    }
  }

  shutdown(): void {
    for (const h of [...this.files.keys()]) this.close(h);
    this.remote.terminate();
  }
}

function Module_attrNames(ds: H5Dataset): string[] {
  return Object.keys(ds.attrs);
}

function emptyTree(size: number): FileTree {
  return {
    attrs: {},
    groups: [],
    events: {},
    basinEvents: {},
    logs: [],
    tables: [],
    basins: [],
    size,
  };
}

function writeAttrs(
  obj: {
    create_attribute: (n: string, d: unknown, s?: number[] | null, t?: string | null) => void;
  },
  attrs: Record<string, WriteAttr>,
): void {
  for (const [name, a] of Object.entries(attrs)) {
    switch (a.t) {
      case "int":
        obj.create_attribute(name, new BigInt64Array([BigInt(Math.trunc(a.v))]), []);
        break;
      case "float":
        obj.create_attribute(name, new Float64Array([a.v]), []);
        break;
      case "bool":
        obj.create_attribute(name, new Uint8Array([a.v ? 1 : 0]), [], "<B");
        break;
      case "string":
        obj.create_attribute(name, a.v);
        break;
      case "floatArray":
        obj.create_attribute(name, a.v, a.shape);
        break;
      case "u32Array":
        obj.create_attribute(name, a.v, [a.v.length]);
        break;
    }
  }
}

/** 64-bit integers become Float64Array (exact below 2^53); other typed arrays pass as they are. */
function toTransferable(raw: unknown): TypedArrayOut {
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    const out = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]);
    return out;
  }
  if (ArrayBuffer.isView(raw)) {
    const a = raw as TypedArrayOut;
    // Own buffer, exactly sized, so it can be transferred.
    return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength
      ? a
      : (a.slice() as TypedArrayOut);
  }
  if (typeof raw === "number") return new Float64Array([raw]);
  if (typeof raw === "bigint") return new Float64Array([Number(raw)]);
  if (typeof raw === "boolean") return new Uint8Array([raw ? 1 : 0]);
  throw new RtdcFormatError("unexpected data type");
}
