// Messages between the main thread (client.ts) and the HDF5 worker (server.ts).
import type { SerializedError } from "../errors.js";

export type FileSource =
  | { kind: "file"; path: string }
  | { kind: "http"; url: string; headers?: Record<string, string>; prefetch?: boolean };

/** A decoded HDF5 attribute, tagged with its stored class. */
export type AttrValue =
  | { t: "int"; v: number }
  | { t: "float"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "string"; v: string }
  | { t: "array"; v: number[] | number[][] | string[] }
  | { t: "other"; v: null };

export type DtypeClass = "int" | "float" | "string" | "enum" | "compound" | "other";

export interface DatasetInfo {
  kind: "dataset";
  cls: DtypeClass;
  /** Bytes per element. */
  size: number;
  signed: boolean;
  shape: number[];
  chunks: number[] | null;
  filters: { id: number; name: string }[];
  /** Names of filters in the pipeline that are not available here. */
  missingFilters: string[];
  attrs: Record<string, AttrValue>;
}

export interface GroupInfo {
  kind: "group";
  /** Number of members. */
  count: number;
  /** Members described; all of them if `count` <= 64, else only the first one. */
  children: Record<string, DatasetInfo | GroupInfo>;
}

export interface FileTree {
  attrs: Record<string, AttrValue>;
  /** Names of the root groups. */
  groups: string[];
  events: Record<string, DatasetInfo | GroupInfo>;
  basinEvents: Record<string, DatasetInfo | GroupInfo>;
  logs: string[];
  tables: string[];
  basins: { key: string; lines: string[] }[];
  /** Bytes of the file (local size or remote Content-Range total). */
  size: number;
}

export type TypedArrayOut =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** A value to write as an attribute. */
export type WriteAttr =
  | { t: "int"; v: number }
  | { t: "float"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "string"; v: string }
  | { t: "floatArray"; v: Float64Array; shape: number[] }
  | { t: "u32Array"; v: Uint32Array };

/**
 * Attribute with the CRC-32 of every chunk's raw (decoded, little-endian) bytes, written by our
 * earlier h5wasm-based writer, which could not add HDF5's fletcher32 filter; verified on read
 * when present. Files written with fletcher32 do not have it.
 */
export const CHUNK_CRC_ATTR = "dcor_chunk_crc32";

export interface WriteFilter {
  /** HDF5 filter id (0 = none). */
  id: number;
  opts: number[];
}

export type WriteDataset =
  | {
      path: string;
      kind: "numeric";
      data: TypedArrayOut | BigUint64Array | BigInt64Array;
      shape: number[];
      /** Chunk shape: `[rows, ...the other axes of shape]` (chunked along the first axis). */
      chunks: number[];
      /** A one-filter pipeline (shorthand; `filters` wins when both are given). */
      filter?: WriteFilter;
      /** The filter pipeline in order, e.g. zstd then fletcher32 (h5py's order). */
      filters?: WriteFilter[];
      /** Store every non-zero byte as 255 (masks, as dclab stores them); uint8 data only. */
      binaryTo255?: boolean;
      attrs?: Record<string, WriteAttr>;
    }
  | {
      /** Fixed-length UTF-8 strings, one line per element. */
      path: string;
      kind: "strings";
      data: string[];
      filters?: WriteFilter[];
    }
  | {
      /** A compound dataset of float64 columns. */
      path: string;
      kind: "table";
      columns: Record<string, Float64Array>;
      filters?: WriteFilter[];
      attrs?: Record<string, WriteAttr>;
    };

export interface WritePlan {
  attrs: Record<string, WriteAttr>;
  groups: string[];
  datasets: WriteDataset[];
}

export type Request =
  | { op: "open"; source: FileSource; describe?: boolean }
  | { op: "read"; handle: number; path: string; start?: number; count?: number }
  | { op: "strings"; handle: number; path: string }
  | { op: "contours"; handle: number; path: string; start: number; count: number }
  | { op: "table"; handle: number; path: string }
  | { op: "describeGroup"; handle: number; path: string }
  | { op: "close"; handle: number }
  | { op: "setUrl"; handle: number; url: string; headers?: Record<string, string> }
  | { op: "write"; path: string; plan: WritePlan }
  | { op: "stats" };

export interface OpenResult {
  handle: number;
  tree: FileTree;
}

export interface ReadResult {
  data: TypedArrayOut;
  shape: number[];
}

/** Contours `start…start+count-1` of a contour group: xy pairs concatenated. */
export interface ContoursResult {
  /** x0, y0, x1, y1, … of all contours. */
  data: Float64Array;
  /** Contour k spans points offsets[k] … offsets[k+1]-1. */
  offsets: Int32Array;
}

/** A table of the file (`tables/<name>`): compound columns or a plain 2-D array. */
export interface TableResult {
  /** Column names of a compound table; `null` for a plain array. */
  columns: string[] | null;
  /** The rows (one number per column). */
  rows: number[][];
}

export interface WorkerStats {
  remoteRequests: number;
  remoteBytes: number;
  openFiles: number;
  availableFilters: number[];
}

export type Response =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError; fatal?: boolean };
