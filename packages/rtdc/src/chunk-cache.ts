// A process-wide LRU of decoded chunks of non-scalar features (images, masks, traces): HDF5's
// own chunk cache is smaller than RT-DC chunks, so per-event reads would re-inflate every time.
import type { TypedArrayOut } from "./hdf5/protocol.js";

export interface CachedChunk {
  data: TypedArrayOut;
  /** Shape of the chunk (first axis = events in it). */
  shape: number[];
  /** First event of the chunk. */
  start: number;
}

export class ChunkCache {
  private readonly map = new Map<string, CachedChunk>();
  private bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): CachedChunk | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, chunk: CachedChunk): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.data.byteLength;
      this.map.delete(key);
    }
    if (chunk.data.byteLength > this.maxBytes) return;
    this.map.set(key, chunk);
    this.bytes += chunk.data.byteLength;
    while (this.bytes > this.maxBytes) {
      const first = this.map.keys().next();
      if (first.done) break;
      this.bytes -= this.map.get(first.value)?.data.byteLength ?? 0;
      this.map.delete(first.value);
    }
  }

  dropPrefix(prefix: string): void {
    for (const [k, v] of [...this.map]) {
      if (k.startsWith(prefix)) {
        this.bytes -= v.data.byteLength;
        this.map.delete(k);
      }
    }
  }
}

/** Shared by all datasets of the process (128 MiB). */
export const chunkCache = new ChunkCache(128 * 1024 * 1024);
