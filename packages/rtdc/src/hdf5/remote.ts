// Remote HDF5 files for h5wasm's Node build (NODERAWFS): a virtual path opens an Emscripten
// stream whose read() is synchronous. Missing 256 KiB blocks are fetched by the helper thread
// (fetcher.ts) while this thread waits with Atomics.wait. Depends on h5wasm 0.10.3 internals
// (FS.open/stat/lstat/fstat, stream_ops); `remote.test.ts` guards that.
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type Worker,
} from "node:worker_threads";
import { RtdcRemoteChangedError, RtdcRemoteError, redactUrl } from "../errors.js";
import type { RangeRequest, RangeResponse } from "./fetcher.js";
import { spawnWorker } from "./spawn.js";

export const BLOCK_SIZE = 256 * 1024;
const CACHE_BYTES = 64 * 1024 * 1024;
/** Largest single request (merged adjacent missing blocks). */
const MAX_REQUEST_BLOCKS = 64;
const REQUEST_TIMEOUT_MS = 30_000;
const REQUEST_RETRIES = 3;
const VIRTUAL_PREFIX = "/__dcor_rtdc_remote__/";
const EIO = 29;

// Minimal shape of the Emscripten FS we touch.
interface EmFS {
  open: (path: string, flags: number | string, mode?: number) => unknown;
  stat: (path: string, dontFollow?: boolean) => unknown;
  lstat: (path: string) => unknown;
  fstat: (fd: number) => unknown;
  createStream: (stream: Record<string, unknown>, fd?: number) => { fd: number };
  getStreamChecked: (fd: number) => { path?: string };
  ErrnoError: new (errno: number) => Error;
}

export interface RemoteEntry {
  id: number;
  url: string;
  headers: Record<string, string>;
  size: number;
  etag: string | null;
  vpath: string;
}

export class RemoteFiles {
  readonly entries = new Map<string, RemoteEntry>();
  private readonly cache = new Map<string, Uint8Array>();
  private cacheBytes = 0;
  private nextId = 1;
  private nextReq = 1;
  private fetcher: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  /** The real cause of the last failed read (HDF5 only sees EIO). */
  lastError: Error | undefined;
  requests = 0;
  bytes = 0;

  constructor(
    private readonly FS: EmFS,
    private readonly entryUrl: string,
  ) {
    this.hook();
  }

  private hook(): void {
    const FS = this.FS;
    const origOpen = FS.open.bind(FS);
    const origStat = FS.stat.bind(FS);
    const origLstat = FS.lstat.bind(FS);
    const origFstat = FS.fstat.bind(FS);
    FS.open = (path, flags, mode) => {
      const entry = typeof path === "string" ? this.entries.get(path) : undefined;
      if (!entry) return origOpen(path, flags, mode);
      const node = { id: 1_000_000 + entry.id, mode: 0o100444, path, node_ops: {} };
      return FS.createStream({
        path,
        flags: 0,
        seekable: true,
        position: 0,
        node,
        stream_ops: {
          read: (
            _s: unknown,
            buffer: Uint8Array,
            offset: number,
            length: number,
            position: number,
          ) => this.readInto(entry, buffer, offset, length, position),
          llseek: (s: { position: number }, offset: number, whence: number) => {
            const pos =
              whence === 0 ? offset : whence === 1 ? s.position + offset : entry.size + offset;
            if (pos < 0) throw new FS.ErrnoError(28);
            return pos;
          },
          close: () => {},
        },
      });
    };
    FS.stat = (path, dontFollow) => {
      const entry = this.entries.get(path);
      return entry ? this.fakeStat(entry) : origStat(path, dontFollow);
    };
    FS.lstat = (path) => {
      const entry = this.entries.get(path);
      return entry ? this.fakeStat(entry) : origLstat(path);
    };
    FS.fstat = (fd) => {
      const p = FS.getStreamChecked(fd).path;
      const entry = p ? this.entries.get(p) : undefined;
      return entry ? this.fakeStat(entry) : origFstat(fd);
    };
  }

  private fakeStat(entry: RemoteEntry): Record<string, unknown> {
    const t = new Date(0);
    return {
      dev: 1,
      ino: 1_000_000 + entry.id,
      mode: 0o100444,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0,
      size: entry.size,
      blksize: 4096,
      blocks: Math.ceil(entry.size / 512),
      atime: t,
      mtime: t,
      ctime: t,
    };
  }

  /** Register a URL: the first GET gives the size and ETag. Returns the virtual path. */
  register(url: string, headers: Record<string, string>, prefetch = false): RemoteEntry {
    const id = this.nextId++;
    const entry: RemoteEntry = {
      id,
      url,
      headers,
      size: 0,
      etag: null,
      vpath: `${VIRTUAL_PREFIX}${id}.rtdc`,
    };
    const res = this.request(entry, 0, BLOCK_SIZE - 1);
    entry.size = res.total;
    entry.etag = res.etag;
    this.storeBlocks(entry, 0, res.body, res.status === 200);
    if (prefetch && res.status === 206 && entry.size > BLOCK_SIZE && entry.size <= CACHE_BYTES) {
      // The rest of the file in one request: faster than range reads when reading everything.
      const rest = this.request(entry, BLOCK_SIZE, entry.size - 1);
      this.storeBlocks(entry, 1, rest.body, false);
    }
    this.entries.set(entry.vpath, entry);
    return entry;
  }

  unregister(vpath: string): void {
    const entry = this.entries.get(vpath);
    if (!entry) return;
    this.entries.delete(vpath);
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(`${entry.id}:`)) {
        this.cacheBytes -= this.cache.get(key)?.length ?? 0;
        this.cache.delete(key);
      }
    }
  }

  setUrl(vpath: string, url: string, headers: Record<string, string>): void {
    const entry = this.entries.get(vpath);
    if (entry) {
      entry.url = url;
      entry.headers = headers;
    }
  }

  private ensureFetcher(): MessagePort {
    if (this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    this.fetcher = spawnWorker(
      new URL(this.entryUrl),
      { role: "fetcher", port: port2, flag: this.flag },
      [port2],
    );
    this.fetcher.unref();
    this.port = port1;
    return port1;
  }

  /** Synchronous range GET through the helper thread. */
  private request(
    entry: RemoteEntry,
    start: number,
    end: number,
  ): Extract<RangeResponse, { ok: true }> {
    const port = this.ensureFetcher();
    const req: RangeRequest = {
      id: this.nextReq++,
      url: entry.url,
      headers: entry.headers,
      start,
      end,
      timeoutMs: REQUEST_TIMEOUT_MS,
      retries: REQUEST_RETRIES,
    };
    Atomics.store(this.flag, 0, 0);
    port.postMessage(req);
    // Worst case: every attempt times out, plus backoff; then give up instead of hanging.
    const deadline = Date.now() + (REQUEST_RETRIES + 1) * (REQUEST_TIMEOUT_MS + 15_000);
    let msg: { message: RangeResponse } | undefined;
    for (;;) {
      msg = receiveMessageOnPort(port) as { message: RangeResponse } | undefined;
      if (msg && msg.message.id === req.id) break;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new RtdcRemoteError("remote read did not answer in time", {
          url: redactUrl(entry.url),
        });
      Atomics.wait(this.flag, 0, 0, Math.min(left, 1000));
      Atomics.store(this.flag, 0, 0);
    }
    const res = msg.message;
    this.requests++;
    if (!res.ok && res.status === 416 && entry.size > 0) {
      throw new RtdcRemoteChangedError("remote file changed (now shorter than when opened)", {
        url: redactUrl(entry.url),
        status: 416,
      });
    }
    if (!res.ok) {
      throw new RtdcRemoteError(`range read failed: ${res.message}`, {
        url: redactUrl(entry.url),
        action: "read",
        ...(res.status ? { status: res.status } : {}),
      });
    }
    this.bytes += res.body.length;
    if (entry.size > 0 && res.total !== entry.size) {
      throw new RtdcRemoteChangedError(`remote file size changed (${entry.size} -> ${res.total})`, {
        url: redactUrl(entry.url),
      });
    }
    if (entry.etag && res.etag && res.etag !== entry.etag) {
      throw new RtdcRemoteChangedError("remote file changed (different ETag)", {
        url: redactUrl(entry.url),
      });
    }
    return res;
  }

  private storeBlocks(
    entry: RemoteEntry,
    firstBlock: number,
    body: Uint8Array,
    whole: boolean,
  ): void {
    const start = whole ? 0 : firstBlock;
    for (let b = start, off = 0; off < body.length; b++, off += BLOCK_SIZE) {
      const block = body.subarray(off, Math.min(off + BLOCK_SIZE, body.length));
      this.put(`${entry.id}:${b}`, block.slice());
    }
  }

  private put(key: string, block: Uint8Array): void {
    const old = this.cache.get(key);
    if (old) {
      this.cacheBytes -= old.length;
      this.cache.delete(key);
    }
    this.cache.set(key, block);
    this.cacheBytes += block.length;
    while (this.cacheBytes > CACHE_BYTES) {
      const first = this.cache.keys().next();
      if (first.done) break;
      this.cacheBytes -= this.cache.get(first.value)?.length ?? 0;
      this.cache.delete(first.value);
    }
  }

  private get(entry: RemoteEntry, b: number): Uint8Array | undefined {
    const key = `${entry.id}:${b}`;
    const block = this.cache.get(key);
    if (block) {
      // LRU: move to the end.
      this.cache.delete(key);
      this.cache.set(key, block);
    }
    return block;
  }

  /** Emscripten stream read: never lets a JS exception through HDF5 (EIO instead). */
  private readInto(
    entry: RemoteEntry,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number {
    try {
      return this.readBlocks(entry, buffer, offset, length, position);
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
      throw new this.FS.ErrnoError(EIO);
    }
  }

  private readBlocks(
    entry: RemoteEntry,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number {
    if (position >= entry.size || length <= 0) return 0;
    const end = Math.min(position + length, entry.size);
    const b0 = Math.floor(position / BLOCK_SIZE);
    const b1 = Math.floor((end - 1) / BLOCK_SIZE);
    const blocks: (Uint8Array | undefined)[] = [];
    for (let b = b0; b <= b1; b++) blocks.push(this.get(entry, b));
    // Fetch runs of adjacent missing blocks with one request each.
    let i = 0;
    while (i < blocks.length) {
      if (blocks[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < blocks.length && !blocks[j + 1] && j + 1 - i < MAX_REQUEST_BLOCKS) j++;
      const from = (b0 + i) * BLOCK_SIZE;
      const to = Math.min((b0 + j + 1) * BLOCK_SIZE, entry.size) - 1;
      const res = this.request(entry, from, to);
      if (res.status === 200) {
        this.storeBlocks(entry, 0, res.body, true);
        for (let k = i; k <= j; k++) {
          const s = (b0 + k) * BLOCK_SIZE;
          blocks[k] = res.body.subarray(s, Math.min(s + BLOCK_SIZE, res.body.length));
        }
      } else {
        for (let k = i; k <= j; k++) {
          const s = (k - i) * BLOCK_SIZE;
          const block = res.body.slice(s, Math.min(s + BLOCK_SIZE, res.body.length));
          blocks[k] = block;
          this.put(`${entry.id}:${b0 + k}`, block);
        }
      }
      i = j + 1;
    }
    let written = 0;
    for (let k = 0; k < blocks.length; k++) {
      const block = blocks[k] as Uint8Array;
      const blockStart = (b0 + k) * BLOCK_SIZE;
      const s = Math.max(position, blockStart) - blockStart;
      const e = Math.min(end, blockStart + block.length) - blockStart;
      if (e <= s) break;
      buffer.set(block.subarray(s, e), offset + written);
      written += e - s;
    }
    return written;
  }

  terminate(): void {
    void this.fetcher?.terminate();
  }
}
