// Encoders for the pieces of a classic-format HDF5 file as the HDF5 library writes them with its
// default ("earliest") format, which is what h5py and dclab produce: datatype, dataspace,
// attribute, filter-pipeline, layout and fill-value messages, version-1 object headers, local
// heaps, symbol-table nodes and version-1 B-trees. Sizes: 8-byte offsets and lengths. The
// constants and the shuffle filter here are shared with the reader (classic-reader.ts).

/** The 8 bytes every HDF5 superblock starts with. */
export const HDF5_SIGNATURE = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The undefined address (all bits set). */
export const UNDEF = 0xffff_ffff_ffff_ffffn;

/** Growable little-endian byte buffer. */
export class Bytes {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private need(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.need(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.need(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.need(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }
  /** A 64-bit value: a number (exact below 2^53) or a bigint. */
  u64(v: number | bigint): this {
    this.need(8);
    this.view.setBigUint64(this.length, typeof v === "bigint" ? v : BigInt(v), true);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.need(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  zeros(n: number): this {
    this.need(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  /** Zero-pad to a multiple of `m` bytes. */
  pad(m = 8): this {
    return this.zeros((m - (this.length % m)) % m);
  }
  /** Copy of the bytes written so far. */
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();

/** Bytes of `s` with a terminating NUL, zero-padded to a multiple of 8. */
function paddedName(s: string): Uint8Array {
  return new Bytes().bytes(utf8.encode(s)).u8(0).pad(8).done();
}

/** An encoded datatype message and the size of one element. */
export interface Datatype {
  bytes: Uint8Array;
  size: number;
}

/** Element kinds of numeric data. */
export type NumericKind = "f4" | "f8" | "i1" | "u1" | "i2" | "u2" | "i4" | "u4" | "i8" | "u8";

export function fixedPointType(size: number, signed: boolean): Datatype {
  const b = new Bytes()
    .u8(0x10) // version 1, class 0 (fixed point)
    .u8(signed ? 0x08 : 0x00) // little-endian, zero padding, signed bit
    .u8(0)
    .u8(0)
    .u32(size)
    .u16(0) // bit offset
    .u16(size * 8); // bit precision
  return { bytes: b.done(), size };
}

export function floatType(size: 4 | 8): Datatype {
  const b = new Bytes()
    .u8(0x11) // version 1, class 1 (floating point)
    .u8(0x20) // little-endian, implied-msb mantissa normalisation
    .u8(size * 8 - 1) // sign bit location
    .u8(0)
    .u32(size)
    .u16(0)
    .u16(size * 8);
  if (size === 8) b.u8(52).u8(11).u8(0).u8(52).u32(1023);
  else b.u8(23).u8(8).u8(0).u8(23).u32(127);
  return { bytes: b.done(), size };
}

export function numericType(kind: NumericKind): Datatype {
  switch (kind) {
    case "f4":
      return floatType(4);
    case "f8":
      return floatType(8);
    default:
      return fixedPointType(Number(kind.slice(1)), kind[0] === "i");
  }
}

/** Fixed-length string, NUL-padded, UTF-8 (h5py's `string_dtype('utf-8', n)`). */
export function stringType(size: number): Datatype {
  const b = new Bytes()
    .u8(0x13) // version 1, class 3 (string)
    .u8(0x11) // padding 1 (null pad), character set 1 (UTF-8)
    .u8(0)
    .u8(0)
    .u32(size);
  return { bytes: b.done(), size };
}

/** h5py's boolean: an enum {FALSE = 0, TRUE = 1} on int8. */
export function boolType(): Datatype {
  const b = new Bytes()
    .u8(0x18) // version 1, class 8 (enum)
    .u16(2) // members
    .u8(0)
    .u32(1)
    .bytes(fixedPointType(1, true).bytes)
    .bytes(paddedName("FALSE"))
    .bytes(paddedName("TRUE"))
    .u8(0)
    .u8(1);
  return { bytes: b.done(), size: 1 };
}

/** A compound of float64 members, packed in order (version 1 member layout). */
export function compoundFloat64Type(names: string[]): Datatype {
  const member = floatType(8).bytes;
  const b = new Bytes()
    .u8(0x16) // version 1, class 6 (compound)
    .u16(names.length)
    .u8(0)
    .u32(8 * names.length);
  names.forEach((name, i) => {
    b.bytes(paddedName(name))
      .u32(8 * i) // byte offset
      .u8(0) // dimensionality (scalar member)
      .zeros(3)
      .u32(0) // dimension permutation
      .u32(0)
      .zeros(16) // dimension sizes
      .bytes(member);
  });
  return { bytes: b.done(), size: 8 * names.length };
}

/** Dataspace message (version 1); rank 0 is a scalar. `unlimited0` makes axis 0 unlimited. */
export function dataspace(shape: number[], unlimited0 = false): Uint8Array {
  const b = new Bytes()
    .u8(1)
    .u8(shape.length)
    .u8(unlimited0 ? 1 : 0)
    .u8(0)
    .u32(0);
  for (const d of shape) b.u64(d);
  if (unlimited0) for (const [i, d] of shape.entries()) b.u64(i === 0 ? UNDEF : d);
  return b.done();
}

/** Attribute message (version 1). */
export function attributeMessage(name: string, type: Datatype, shape: number[], data: Uint8Array) {
  const nameBytes = utf8.encode(name);
  const space = dataspace(shape);
  return new Bytes()
    .u8(1)
    .u8(0)
    .u16(nameBytes.length + 1)
    .u16(type.bytes.length)
    .u16(space.length)
    .bytes(nameBytes)
    .u8(0)
    .pad(8)
    .bytes(type.bytes)
    .pad(8)
    .bytes(space)
    .pad(8)
    .bytes(data)
    .done();
}

/** HDF5 filter ids this writer can apply. */
export const FILTER_DEFLATE = 1;
export const FILTER_SHUFFLE = 2;
export const FILTER_FLETCHER32 = 3;
export const FILTER_ZSTD = 32015;

const FILTER_NAMES: Record<number, string> = {
  [FILTER_DEFLATE]: "deflate",
  [FILTER_SHUFFLE]: "shuffle",
  [FILTER_FLETCHER32]: "fletcher32",
  [FILTER_ZSTD]: "zstd",
};

/** Filter pipeline message (version 1). Compression and shuffle are optional, as in h5py. */
export function filterPipeline(filters: { id: number; cd: number[] }[]): Uint8Array {
  const b = new Bytes().u8(1).u8(filters.length).zeros(6);
  for (const f of filters) {
    const name = paddedName(FILTER_NAMES[f.id] ?? "");
    b.u16(f.id)
      .u16(name.length)
      .u16(f.id === FILTER_FLETCHER32 ? 0 : 1)
      .u16(f.cd.length)
      .bytes(name);
    for (const v of f.cd) b.u32(v);
    if (f.cd.length % 2 === 1) b.u32(0);
  }
  return b.done();
}

/** Layout message version 3, chunked: chunk dimensions plus the element size. */
export function chunkedLayout(btree: bigint | number, chunkDims: number[], elemSize: number) {
  const b = new Bytes()
    .u8(3)
    .u8(2)
    .u8(chunkDims.length + 1)
    .u64(btree);
  for (const d of chunkDims) b.u32(d);
  return b.u32(elemSize).done();
}

/** Fill value message version 2 as h5py writes it: incremental allocation, default fill. */
export function fillValue(): Uint8Array {
  return new Bytes().u8(2).u8(3).u8(0).u8(1).u32(0).done();
}

/** Symbol table message: the group's B-tree and local heap. */
export function symbolTable(btree: number, heap: number): Uint8Array {
  return new Bytes().u64(btree).u64(heap).done();
}

export const MSG_DATASPACE = 0x0001;
export const MSG_DATATYPE = 0x0003;
export const MSG_FILL = 0x0005;
export const MSG_LAYOUT = 0x0008;
export const MSG_PIPELINE = 0x000b;
export const MSG_ATTRIBUTE = 0x000c;
export const MSG_CONTINUATION = 0x0010;
export const MSG_SYMBOL_TABLE = 0x0011;

/** Largest body one header message can have (its size field has 16 bits). */
export const MAX_MESSAGE_BYTES = 0xfff8;

/** Version-1 object header with all messages in one block. */
export function objectHeader(messages: { type: number; flags: number; body: Uint8Array }[]) {
  const b = new Bytes();
  for (const m of messages) {
    const size = Math.ceil(m.body.length / 8) * 8;
    b.u16(m.type).u16(size).u8(m.flags).zeros(3).bytes(m.body).pad(8);
  }
  const body = b.done();
  return new Bytes()
    .u8(1)
    .u8(0)
    .u16(messages.length)
    .u32(1) // reference count
    .u32(body.length)
    .u32(0) // pad the 12-byte prefix to 16
    .bytes(body)
    .done();
}

/** Local heap holding `names`: offset 0 is the empty string. Returns the offsets of the names. */
export function localHeap(address: number, names: string[]) {
  const data = new Bytes().zeros(8);
  const offsets: number[] = [];
  for (const n of names) {
    offsets.push(data.length);
    data.bytes(paddedName(n));
  }
  const seg = data.done();
  const bytes = new Bytes()
    .bytes(utf8.encode("HEAP"))
    .u8(0)
    .zeros(3)
    .u64(seg.length)
    .u64(1) // free list: none (HDF5's H5HL_FREE_NULL)
    .u64(address + 32) // data segment right after the header
    .bytes(seg)
    .done();
  return { bytes, offsets };
}

/** Group leaf K (symbols per SNOD = 2K) and internal K (children per group B-tree node = 2K). */
export const GROUP_LEAF_K = 4;
export const GROUP_INTERNAL_K = 16;
/** Chunk B-tree K (children per node = 2K), HDF5's default for superblock version 0. */
export const CHUNK_K = 32;

export interface SymbolEntry {
  nameOffset: number;
  header: number;
  /** For groups: cache the symbol table (cache type 1) like the HDF5 library does. */
  stab?: { btree: number; heap: number };
}

/** Bytes of a symbol table node (always sized for 2·leaf-K entries). */
export const SNOD_BYTES = 8 + 2 * GROUP_LEAF_K * 40;

export function symbolNode(entries: SymbolEntry[]): Uint8Array {
  const b = new Bytes().bytes(utf8.encode("SNOD")).u8(1).u8(0).u16(entries.length);
  for (const e of entries) {
    b.u64(e.nameOffset).u64(e.header);
    if (e.stab) b.u32(1).u32(0).u64(e.stab.btree).u64(e.stab.heap);
    else b.u32(0).u32(0).zeros(16);
  }
  b.zeros(SNOD_BYTES - b.length);
  return b.done();
}

/** The encoded superblock (version 0) with the root group's symbol table entry. */
export function superblock(eof: number, root: { header: number; btree: number; heap: number }) {
  return new Bytes()
    .bytes(HDF5_SIGNATURE)
    .u8(0) // superblock version
    .u8(0) // free-space version
    .u8(0) // root group symbol table entry version
    .u8(0)
    .u8(0) // shared header message format version
    .u8(8) // size of offsets
    .u8(8) // size of lengths
    .u8(0)
    .u16(GROUP_LEAF_K)
    .u16(GROUP_INTERNAL_K)
    .u32(0) // file consistency flags
    .u64(0) // base address
    .u64(UNDEF) // free-space info
    .u64(eof)
    .u64(UNDEF) // driver information block
    .u64(0) // root entry: link name offset
    .u64(root.header)
    .u32(1) // cache type: symbol table
    .u32(0)
    .u64(root.btree)
    .u64(root.heap)
    .done();
}

export const SUPERBLOCK_BYTES = 96;

/** A child of a B-tree node: its address and the key left of it. */
export interface BTreeChild {
  address: number;
  key: Uint8Array;
}

/** Bytes of one B-tree node, sized for 2K children whatever its fill. */
export function btreeNodeBytes(k: number, keyBytes: number): number {
  return 24 + (2 * k + 1) * keyBytes + 2 * k * 8;
}

/**
 * Encode the levels of a version-1 B-tree over `leaves` (children of level 0, sorted) bottom-up;
 * every node holds at most 2K children, nodes of a level are spread evenly and laid out one after
 * the other from `base`, with sibling links. Returns the bytes of all nodes (level 0 first), and
 * the root's address. With no leaves, the root is an empty leaf (as for an empty group).
 */
export function encodeBTree(opts: {
  type: 0 | 1;
  k: number;
  keyBytes: number;
  leaves: BTreeChild[];
  /** The key right of the last leaf. */
  lastKey: Uint8Array;
  base: number;
}): { bytes: Uint8Array; root: number } {
  const nodeBytes = btreeNodeBytes(opts.k, opts.keyBytes);
  const max = 2 * opts.k;
  const out = new Bytes();
  const lastKey = opts.lastKey;
  let children = opts.leaves;
  let level = 0;
  let address = opts.base;
  for (;;) {
    const count = Math.max(1, Math.ceil(children.length / max));
    const parents: BTreeChild[] = [];
    for (let j = 0; j < count; j++) {
      const from = Math.floor((j * children.length) / count);
      const to = Math.floor(((j + 1) * children.length) / count);
      const mine = children.slice(from, to);
      const right = to < children.length ? (children[to] as BTreeChild).key : lastKey;
      const start = out.length;
      out
        .bytes(utf8.encode("TREE"))
        .u8(opts.type)
        .u8(level)
        .u16(mine.length)
        .u64(j > 0 ? address + (j - 1) * nodeBytes : UNDEF)
        .u64(j + 1 < count ? address + (j + 1) * nodeBytes : UNDEF);
      for (const c of mine) out.bytes(c.key).u64(c.address);
      // The first key of an empty node: the same as the right key (an empty name / offset 0).
      out.bytes(mine.length ? right : lastKey);
      out.zeros(nodeBytes - (out.length - start));
      parents.push({ address: address + j * nodeBytes, key: mine[0]?.key ?? lastKey });
    }
    address += count * nodeBytes;
    if (count === 1) return { bytes: out.done(), root: (parents[0] as BTreeChild).address };
    children = parents;
    level++;
  }
}

/** HDF5's shuffle filter: byte k of every element together, for k = 0 … size-1. */
export function shuffle(src: Uint8Array, size: number): Uint8Array {
  if (size <= 1) return src;
  const n = Math.floor(src.length / size);
  const out = new Uint8Array(src.length);
  for (let k = 0; k < size; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) out[base + i] = src[i * size + k] as number;
  }
  out.set(src.subarray(n * size), n * size);
  return out;
}

/** The inverse of {@link shuffle}: byte k of element i was stored at k * n + i. */
export function unshuffle(src: Uint8Array, size: number): Uint8Array {
  if (size <= 1) return src;
  const n = Math.floor(src.length / size);
  const out = new Uint8Array(src.length);
  for (let k = 0; k < size; k++) {
    const base = k * n;
    for (let i = 0, j = k; i < n; i++, j += size) out[j] = src[base + i] as number;
  }
  out.set(src.subarray(n * size), n * size);
  return out;
}
