// A pure-TypeScript writer of classic-format HDF5 files in the layout h5py and dclab write
// (superblock 0, symbol-table groups, version-1 object headers, chunked datasets indexed by a
// version-1 B-tree, filter pipeline zstd or deflate + fletcher32). h5wasm can set only one filter
// per dataset and writes booleans as uint8; this writer sets the whole pipeline and writes h5py's
// enum booleans. Chunks are compressed here (zstd in wasm, big chunks on helper threads; deflate on
// libuv's thread pool); the file is written front to back: all chunks, then all metadata, then
// the superblock.
import { closeSync, openSync, unlinkSync, writeSync, writevSync } from "node:fs";
import { promisify } from "node:util";
import { deflate as deflateCb } from "node:zlib";
import { RtdcWriteError } from "../errors.js";
import {
  attributeMessage,
  type BTreeChild,
  Bytes,
  boolType,
  CHUNK_K,
  chunkedLayout,
  compoundFloat64Type,
  type Datatype,
  dataspace,
  encodeBTree,
  FILTER_DEFLATE,
  FILTER_FLETCHER32,
  FILTER_SHUFFLE,
  FILTER_ZSTD,
  fillValue,
  filterPipeline,
  fixedPointType,
  floatType,
  GROUP_INTERNAL_K,
  GROUP_LEAF_K,
  localHeap,
  MAX_MESSAGE_BYTES,
  MSG_ATTRIBUTE,
  MSG_DATASPACE,
  MSG_DATATYPE,
  MSG_FILL,
  MSG_LAYOUT,
  MSG_PIPELINE,
  MSG_SYMBOL_TABLE,
  type NumericKind,
  numericType,
  objectHeader,
  SUPERBLOCK_BYTES,
  type SymbolEntry,
  shuffle,
  stringType,
  superblock,
  symbolNode,
  symbolTable,
  UNDEF,
} from "./classic-format.js";
import { POOL_MIN_BYTES, zstdLocal, zstdPool } from "./classic-zstd.js";
import { fletcher32 } from "./fletcher32.js";
import type { WriteAttr, WriteDataset, WriteFilter, WritePlan } from "./protocol.js";

const deflate = promisify(deflateCb);

/** Filters this writer applies itself. */
export const CLASSIC_WRITE_FILTERS: ReadonlySet<number> = new Set([
  FILTER_DEFLATE,
  FILTER_SHUFFLE,
  FILTER_FLETCHER32,
  FILTER_ZSTD,
]);

/** Rows per chunk of string and table datasets when the plan gives none: about 1 MiB. */
const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Deflate jobs in flight (libuv's pool has 4 threads). */
const PARALLEL_DEFLATE = 4;
/** Metadata writes are gathered up to this size before a write call. */
const FLUSH_BYTES = 1 << 20;

/** The filter pipeline of a dataset of the plan (`filters` wins over the one-filter `filter`). */
export function pipelineOf(d: WriteDataset): WriteFilter[] {
  if (d.filters) return d.filters.filter((f) => f.id !== 0);
  if (d.kind === "numeric" && d.filter && d.filter.id !== 0) return [d.filter];
  return [];
}

/** Whether every dataset of `plan` uses only filters this writer applies. */
export function classicCanWrite(plan: WritePlan): boolean {
  return plan.datasets.every((d) => pipelineOf(d).every((f) => CLASSIC_WRITE_FILTERS.has(f.id)));
}

/** Sequential writer with gathered small writes. */
class Sink {
  pos = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushedTo = 0;
  constructor(private readonly fd: number) {}

  /** Append `bytes`; returns their address. */
  append(bytes: Uint8Array): number {
    const at = this.pos;
    this.pos += bytes.length;
    if (bytes.length >= FLUSH_BYTES) {
      this.flush();
      this.writeAll(bytes, at);
      this.flushedTo = this.pos;
    } else {
      this.pending.push(bytes);
      this.pendingBytes += bytes.length;
      if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    }
    return at;
  }

  flush(): void {
    if (!this.pending.length) return;
    let at = this.flushedTo;
    let written = writevSync(this.fd, this.pending, at);
    if (written < this.pendingBytes) {
      // Short write: finish piece by piece.
      for (const p of this.pending) {
        if (written >= p.length) {
          written -= p.length;
          at += p.length;
          continue;
        }
        this.writeAll(p.subarray(written), at + written);
        at += p.length;
        written = 0;
      }
    }
    this.flushedTo += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  writeAll(bytes: Uint8Array, at: number): void {
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
  }
}

function fail(message: string, path: string, feature?: string): never {
  throw new RtdcWriteError(message, { path, action: "write", ...(feature ? { feature } : {}) });
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function kindOf(data: ArrayBufferView): NumericKind {
  if (data instanceof Float64Array) return "f8";
  if (data instanceof Float32Array) return "f4";
  if (data instanceof Int8Array) return "i1";
  if (data instanceof Uint8Array) return "u1";
  if (data instanceof Int16Array) return "i2";
  if (data instanceof Uint16Array) return "u2";
  if (data instanceof Int32Array) return "i4";
  if (data instanceof Uint32Array) return "u4";
  if (data instanceof BigInt64Array) return "i8";
  if (data instanceof BigUint64Array) return "u8";
  throw new TypeError(`unsupported array type ${data.constructor.name}`);
}

function encodeAttr(name: string, a: WriteAttr, path: string): Uint8Array {
  let type: Datatype;
  let shape: number[] = [];
  let data: Uint8Array;
  switch (a.t) {
    case "int": {
      if (!Number.isFinite(a.v)) fail(`attribute '${name}' is not a finite integer`, path);
      type = fixedPointType(8, true);
      data = asBytes(new BigInt64Array([BigInt(Math.trunc(a.v))]));
      break;
    }
    case "float":
      type = floatType(8);
      data = asBytes(new Float64Array([a.v]));
      break;
    case "bool":
      type = boolType();
      data = new Uint8Array([a.v ? 1 : 0]);
      break;
    case "string": {
      const s = new TextEncoder().encode(a.v);
      type = stringType(Math.max(1, s.length));
      data = s.length ? s : new Uint8Array(1);
      break;
    }
    case "floatArray": {
      const n = a.shape.reduce((x, y) => x * y, 1);
      if (n !== a.v.length) fail(`attribute '${name}': shape does not match its values`, path);
      type = floatType(8);
      shape = a.shape;
      data = asBytes(a.v);
      break;
    }
    case "u32Array":
      type = fixedPointType(4, false);
      shape = [a.v.length];
      data = asBytes(a.v);
      break;
  }
  const msg = attributeMessage(name, type, shape, data);
  if (msg.length > MAX_MESSAGE_BYTES) fail(`attribute '${name}' is larger than 64 KiB`, path);
  return msg;
}

function attrMessages(attrs: Record<string, WriteAttr> | undefined, path: string) {
  return Object.entries(attrs ?? {}).map(([name, a]) => ({
    type: MSG_ATTRIBUTE,
    flags: 0,
    body: encodeAttr(name, a, path),
  }));
}

/** A dataset reduced to what the chunk writer needs. */
interface Prepared {
  type: Datatype;
  shape: number[];
  /** Row-major bytes of all elements. */
  bytes: Uint8Array;
  /** Map non-zero bytes to 255 while writing (masks). */
  binaryTo255?: boolean;
  chunkRows: number;
  attrs?: Record<string, WriteAttr>;
}

function prepare(d: WriteDataset, path: string): Prepared {
  const enc = new TextEncoder();
  if (d.kind === "numeric") {
    const type = numericType(kindOf(d.data));
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (d.shape.length < 1 || n !== d.data.length)
      fail(`dataset '${d.path}': shape [${d.shape}] does not match ${d.data.length} values`, path);
    const chunkRows = d.chunks[0] ?? 1;
    if (
      d.chunks.length !== d.shape.length ||
      d.chunks.some((c, i) => i > 0 && c !== d.shape[i]) ||
      !Number.isInteger(chunkRows) ||
      chunkRows < 1
    )
      fail(`dataset '${d.path}': chunks must be [rows, ...the other axes]`, path);
    if (d.binaryTo255 && !(d.data instanceof Uint8Array))
      fail(`dataset '${d.path}': binaryTo255 needs uint8 data`, path);
    return {
      type,
      shape: d.shape,
      bytes: asBytes(d.data),
      chunkRows,
      ...(d.binaryTo255 ? { binaryTo255: true } : {}),
      ...attrsOf(d),
    };
  }
  if (d.kind === "strings") {
    // One empty line rather than no line: h5py and h5wasm both read that back as [""].
    const lines = (d.data.length ? d.data : [""]).map((s) => enc.encode(s));
    let size = 1;
    for (const l of lines) size = Math.max(size, l.length);
    const bytes = new Uint8Array(size * lines.length);
    for (const [i, l] of lines.entries()) bytes.set(l, i * size);
    return {
      type: stringType(size),
      shape: [lines.length],
      bytes,
      chunkRows: rowsPerChunk(size, lines.length),
    };
  }
  const names = Object.keys(d.columns);
  const cols = Object.values(d.columns);
  const rows = cols[0]?.length ?? 0;
  if (!names.length || cols.some((c) => c.length !== rows))
    fail(`table '${d.path}' needs columns of equal length`, path);
  const table = new Float64Array(rows * names.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols.length; c++)
      table[r * cols.length + c] = (cols[c] as Float64Array)[r] as number;
  return {
    type: compoundFloat64Type(names),
    shape: [rows],
    bytes: asBytes(table),
    chunkRows: rowsPerChunk(8 * names.length, rows),
    ...attrsOf(d),
  };
}

function attrsOf(d: WriteDataset): { attrs?: Record<string, WriteAttr> } {
  return "attrs" in d && d.attrs ? { attrs: d.attrs } : {};
}

function rowsPerChunk(rowBytes: number, rows: number): number {
  return Math.max(1, Math.min(rows, Math.floor(DEFAULT_CHUNK_BYTES / rowBytes)));
}

/** Run one chunk through the pipeline, in order. */
async function encodeChunk(
  raw: Uint8Array,
  filters: WriteFilter[],
  elemSize: number,
): Promise<Uint8Array> {
  let buf = raw;
  for (const f of filters) {
    switch (f.id) {
      case FILTER_SHUFFLE:
        buf = shuffle(buf, elemSize);
        break;
      case FILTER_DEFLATE:
        buf = new Uint8Array(await deflate(buf, { level: f.opts[0] ?? 4 }));
        break;
      case FILTER_ZSTD: {
        const level = f.opts[0] ?? 3;
        const pool = buf.length >= POOL_MIN_BYTES ? zstdPool() : undefined;
        buf = pool ? await pool.compress(buf, level) : (await zstdLocal())(buf, level);
        break;
      }
      case FILTER_FLETCHER32: {
        const out = new Uint8Array(buf.length + 4);
        out.set(buf);
        new DataView(out.buffer).setUint32(buf.length, fletcher32(buf), true);
        buf = out;
        break;
      }
    }
  }
  return buf;
}

/** Client data of a filter as stored in the file (shuffle records the element size). */
function storedFilters(filters: WriteFilter[], elemSize: number) {
  return filters.map((f) => ({
    id: f.id,
    cd:
      f.id === FILTER_SHUFFLE
        ? [elemSize]
        : f.id === FILTER_FLETCHER32
          ? []
          : f.id === FILTER_DEFLATE
            ? [f.opts[0] ?? 4]
            : [f.opts[0] ?? 3],
  }));
}

function chunkKey(nbytes: number, row: number, rank: number, last = 0): Uint8Array {
  const b = new Bytes().u32(nbytes).u32(0).u64(row);
  for (let i = 1; i < rank; i++) b.u64(0);
  return b.u64(last).done();
}

/** A dataset whose chunks are written, waiting for its B-tree and object header. */
interface WrittenChunks {
  p: Prepared;
  filters: WriteFilter[];
  leaves: BTreeChild[];
}

/** Write the chunks of one dataset, in order. */
async function writeChunks(sink: Sink, d: WriteDataset, path: string): Promise<WrittenChunks> {
  const p = prepare(d, path);
  const filters = pipelineOf(d);
  for (const f of filters)
    if (!CLASSIC_WRITE_FILTERS.has(f.id)) fail(`HDF5 filter ${f.id} cannot be written`, path);
  const rows = p.shape[0] as number;
  const rank = p.shape.length;
  const rowBytes = p.shape.slice(1).reduce((a, b) => a * b, p.type.size);
  const chunkBytes = p.chunkRows * rowBytes;
  // HDF5 stores chunk sizes in 32 bits.
  if (chunkBytes > 0xffff_ffff) fail(`dataset '${d.path}': chunks of 4 GiB or more`, path);
  const nChunks = Math.ceil(rows / p.chunkRows);
  const leaves: BTreeChild[] = [];
  const encodeAt = (k: number): Promise<Uint8Array> => {
    const from = k * p.chunkRows * rowBytes;
    let raw = p.bytes.subarray(from, Math.min(p.bytes.length, from + chunkBytes));
    if (p.binaryTo255) {
      const mapped = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) mapped[i] = raw[i] ? 255 : 0;
      raw = mapped;
    }
    if (raw.length < chunkBytes) {
      // The edge chunk is stored full size, the rows past the end zero (the fill value).
      const full = new Uint8Array(chunkBytes);
      full.set(raw);
      raw = full;
    }
    return encodeChunk(raw, filters, p.type.size);
  };
  // Chunks in flight: deflate runs on libuv's pool, big zstd chunks on helper threads.
  const pool = chunkBytes >= POOL_MIN_BYTES ? zstdPool() : undefined;
  const parallel = filters.some((f) => f.id === FILTER_ZSTD)
    ? pool
      ? 2 * pool.size
      : 1
    : filters.some((f) => f.id === FILTER_DEFLATE)
      ? PARALLEL_DEFLATE
      : 1;
  for (let k = 0; k < nChunks; k += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, nChunks - k) }, (_, j) => encodeAt(k + j)),
    );
    batch.forEach((enc, j) => {
      const address = sink.append(enc);
      leaves.push({ address, key: chunkKey(enc.length, (k + j) * p.chunkRows, rank) });
    });
  }
  return { p, filters, leaves };
}

/** Write the chunk B-tree and the object header of a dataset; the header's address. */
function writeDatasetHeader(sink: Sink, w: WrittenChunks, path: string): number {
  const { p, filters, leaves } = w;
  const rank = p.shape.length;
  let btree: bigint | number = UNDEF;
  if (leaves.length > 0) {
    const lastRow = (leaves.length - 1) * p.chunkRows;
    const keyBytes = 8 + 8 * (rank + 1);
    const tree = encodeBTree({
      type: 1,
      k: CHUNK_K,
      keyBytes,
      leaves,
      // HDF5's key right of the last chunk: the last chunk's offset, the element size last.
      lastKey: chunkKey(0, lastRow, rank, p.type.size),
      base: sink.pos,
    });
    sink.append(tree.bytes);
    btree = tree.root;
  }
  const messages = [
    { type: MSG_DATASPACE, flags: 0, body: dataspace(p.shape, true) },
    { type: MSG_DATATYPE, flags: 1, body: p.type.bytes },
    { type: MSG_FILL, flags: 1, body: fillValue() },
    ...(filters.length
      ? [
          {
            type: MSG_PIPELINE,
            flags: 1,
            body: filterPipeline(storedFilters(filters, p.type.size)),
          },
        ]
      : []),
    {
      type: MSG_LAYOUT,
      flags: 0,
      body: chunkedLayout(btree, [p.chunkRows, ...p.shape.slice(1)], p.type.size),
    },
    ...attrMessages(p.attrs, path),
  ];
  return sink.append(objectHeader(messages));
}

interface GroupNode {
  groups: Map<string, GroupNode>;
  datasets: Map<string, number>;
  attrs?: Record<string, WriteAttr>;
}

function compareBytes(a: string, b: string): number {
  // strcmp order of the UTF-8 names, as HDF5 sorts symbol table entries.
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Write a group (its children first); its header address and symbol table. */
function writeGroup(
  sink: Sink,
  g: GroupNode,
  path: string,
): { header: number; btree: number; heap: number } {
  const entries: { name: string; header: number; stab?: { btree: number; heap: number } }[] = [];
  for (const [name, child] of g.groups) {
    const w = writeGroup(sink, child, path);
    entries.push({ name, header: w.header, stab: { btree: w.btree, heap: w.heap } });
  }
  for (const [name, header] of g.datasets) entries.push({ name, header });
  entries.sort((a, b) => compareBytes(a.name, b.name));
  const heapAt = sink.pos;
  const heap = localHeap(
    heapAt,
    entries.map((e) => e.name),
  );
  sink.append(heap.bytes);
  const perNode = 2 * GROUP_LEAF_K;
  const leaves: BTreeChild[] = [];
  for (let i = 0; i < entries.length; i += perNode) {
    const mine: SymbolEntry[] = entries.slice(i, i + perNode).map((e, j) => ({
      nameOffset: heap.offsets[i + j] as number,
      header: e.header,
      ...(e.stab ? { stab: e.stab } : {}),
    }));
    const address = sink.append(symbolNode(mine));
    // Key left of node j: the last name of node j-1 (the empty name for the first).
    const left = i === 0 ? 0 : (heap.offsets[i - 1] as number);
    leaves.push({ address, key: new Bytes().u64(left).done() });
  }
  const lastOffset = entries.length ? (heap.offsets[entries.length - 1] as number) : 0;
  const tree = encodeBTree({
    type: 0,
    k: GROUP_INTERNAL_K,
    keyBytes: 8,
    leaves,
    lastKey: new Bytes().u64(lastOffset).done(),
    base: sink.pos,
  });
  sink.append(tree.bytes);
  const header = sink.append(
    objectHeader([
      { type: MSG_SYMBOL_TABLE, flags: 0, body: symbolTable(tree.root, heapAt) },
      ...attrMessages(g.attrs, path),
    ]),
  );
  return { header, btree: tree.root, heap: heapAt };
}

function newGroup(): GroupNode {
  return { groups: new Map(), datasets: new Map() };
}

/** The group at `parts` (created with its parents when `create`). */
function groupAt(root: GroupNode, parts: string[], path: string, what: string): GroupNode {
  let g = root;
  for (const part of parts) {
    if (!part) fail(`${what}: empty name in the path`, path);
    if (g.datasets.has(part)) fail(`${what}: '${part}' is a dataset`, path);
    let next = g.groups.get(part);
    if (!next) {
      next = newGroup();
      g.groups.set(part, next);
    }
    g = next;
  }
  return g;
}

/**
 * Write `plan` as a classic-format HDF5 file at `path` (created or replaced). On failure the
 * partly written file is removed and the error thrown.
 * @throws {@link RtdcWriteError} for a plan it cannot write (bad shapes, unknown filters).
 */
export async function writeClassicHdf5(path: string, plan: WritePlan): Promise<void> {
  const root = newGroup();
  root.attrs = plan.attrs;
  for (const g of plan.groups) groupAt(root, g.split("/"), path, `group '${g}'`);
  const fd = openSync(path, "w");
  try {
    const sink = new Sink(fd);
    sink.append(new Uint8Array(SUPERBLOCK_BYTES));
    // All chunks first, then all metadata together at the end: opening the file (locally or by
    // HTTP range requests) reads one compact region and touches no chunk data.
    const written: [GroupNode, string, WrittenChunks][] = [];
    for (const d of plan.datasets) {
      const parts = d.path.split("/");
      const name = parts.pop() ?? "";
      const parent = groupAt(root, parts, path, `dataset '${d.path}'`);
      if (!name || parent.datasets.has(name) || parent.groups.has(name))
        fail(`dataset '${d.path}': name empty or used twice`, path);
      parent.datasets.set(name, -1);
      try {
        written.push([parent, name, await writeChunks(sink, d, path)]);
      } catch (err) {
        if (err instanceof RtdcWriteError) throw err;
        throw new RtdcWriteError(
          `dataset '${d.path}': ${(err as Error).message}`,
          { path, action: "write" },
          { cause: err },
        );
      }
    }
    for (const [parent, name, w] of written)
      parent.datasets.set(name, writeDatasetHeader(sink, w, path));
    const top = writeGroup(sink, root, path);
    sink.flush();
    sink.writeAll(superblock(sink.pos, top), 0);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
    throw err;
  }
  closeSync(fd);
}
