import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { FileSha256Worker, READ_BLOCK_BYTES } from "./sha256-worker.js";

/** 1 GiB: the part size DCOR uploads with (and S3 multipart ETags are computed from). */
export const GIB = 1024 ** 3;

const S3_ETAG = /^[0-9a-f]{32}(-[1-9][0-9]*)?$/;

/**
 * Normalize an HTTP ETag header / S3 etag field: strip quotes, lower-case. Weak ETags
 * (`W/"..."`) are returned as `undefined` because they do not identify the bytes.
 */
export function normalizeEtag(etag: string | undefined | null): string | undefined {
  if (!etag) return undefined;
  const t = etag.trim();
  if (t.startsWith("W/")) return undefined;
  return t.replace(/^"+|"+$/g, "").toLowerCase();
}

/** Whether `etag` (normalized) looks like an S3 ETag: MD5 hex, or `md5hex-N` for multipart. */
export function isS3Etag(etag: string | undefined): etag is string {
  return etag !== undefined && S3_ETAG.test(etag);
}

/** MD5 of each consecutive part of `partSize` bytes, combined S3-style. */
class MultipartMd5 {
  private readonly partDigests: Buffer[] = [];
  private current: Hash = createHash("md5");
  private inPart = 0;
  constructor(readonly partSize: number) {}

  update(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.partSize - this.inPart, chunk.length - off);
      this.current.update(
        off === 0 && take === chunk.length ? chunk : chunk.subarray(off, off + take),
      );
      this.inPart += take;
      off += take;
      if (this.inPart === this.partSize) {
        this.partDigests.push(this.current.digest());
        this.current = createHash("md5");
        this.inPart = 0;
      }
    }
  }

  digest(): string {
    const parts = [...this.partDigests];
    if (this.inPart > 0 || parts.length === 0) parts.push(this.current.digest());
    const md5 = createHash("md5");
    for (const p of parts) md5.update(p);
    return `${md5.digest("hex")}-${parts.length}`;
  }
}

/**
 * Streaming verifier for an S3 ETag. Single-part ETags are a plain MD5. For multipart
 * (`md5-of-md5s-N`) the part layout is not in the ETag, so the candidates DCOR produces are
 * tracked together: N equal parts of ceil(size/N) bytes (DCOR-Aid's uploader) and fixed
 * 1 GiB parts. The ETag matches if any candidate does.
 */
export class EtagHasher {
  private readonly md5?: Hash;
  private readonly multipart: MultipartMd5[] = [];

  /**
   * @param expected normalized S3 ETag
   * @param size total file size in bytes, if known (needed for the equal-parts layout)
   * @param partSize fixed part size candidate
   * @default partSize 1 GiB
   */
  constructor(
    readonly expected: string,
    size: number | undefined,
    partSize: number = GIB,
  ) {
    const dash = expected.indexOf("-");
    if (dash === -1) {
      this.md5 = createHash("md5");
      return;
    }
    const n = Number(expected.slice(dash + 1));
    const sizes = new Set<number>();
    if (size !== undefined && size > 0) {
      sizes.add(Math.ceil(size / n));
      if (Math.ceil(size / partSize) === n) sizes.add(partSize);
    } else {
      sizes.add(partSize);
    }
    for (const s of sizes) this.multipart.push(new MultipartMd5(s));
  }

  update(chunk: Buffer): void {
    this.md5?.update(chunk);
    for (const m of this.multipart) m.update(chunk);
  }

  /** The computed ETag (the matching candidate if any matched) and whether it matched. */
  result(): { actual: string; matches: boolean } {
    if (this.md5) {
      const actual = this.md5.digest("hex");
      return { actual, matches: actual === this.expected };
    }
    const all = this.multipart.map((m) => m.digest());
    const hit = all.find((d) => d === this.expected);
    return { actual: hit ?? all[0] ?? "", matches: hit !== undefined };
  }
}

/** SHA-256 plus an optional ETag verifier, fed the same bytes in order. */
export class StreamHasher {
  private sha: Hash | undefined;
  private worker: FileSha256Worker | undefined;
  private workerHex: string | undefined;
  /** Bytes of the hashed stream that are in the part file (off-thread mode). */
  private onDisk = 0;
  etag?: EtagHasher;
  /** Bytes hashed (received) so far. */
  bytes = 0;

  /**
   * @param etag also verify this S3 ETag
   * @param partFile hash SHA-256 off-thread by reading this file back: the bytes given to
   *   {@link update} must then also be appended to it, reported with {@link wrote}; call
   *   {@link finish} before {@link sha256} and {@link dispose} when abandoning the hasher.
   */
  constructor(
    etag?: { expected: string; size: number | undefined; partSize?: number },
    partFile?: string,
  ) {
    if (etag) this.etag = new EtagHasher(etag.expected, etag.size, etag.partSize);
    if (partFile !== undefined) {
      try {
        this.worker = new FileSha256Worker(partFile);
      } catch {
        // no worker threads here: hash in this thread
      }
    }
    if (!this.worker) this.sha = createHash("sha256");
  }

  /** Whether SHA-256 is computed by a worker reading the part file. */
  get offThread(): boolean {
    return this.worker !== undefined;
  }

  update(chunk: Buffer): void {
    this.etag?.update(chunk);
    this.sha?.update(chunk);
    this.bytes += chunk.length;
  }

  /** `n` more bytes of the stream are now in the part file. */
  wrote(n: number): void {
    this.onDisk += n;
    this.worker?.written(this.onDisk);
  }

  /** Wait for all hashing to complete (needed once before `sha256()` when off-thread). */
  async finish(): Promise<void> {
    if (!this.worker || this.workerHex !== undefined) return;
    if (this.onDisk !== this.bytes) {
      this.worker.close();
      throw new Error(`StreamHasher: ${this.bytes} bytes received but ${this.onDisk} written`);
    }
    this.workerHex = await this.worker.digest();
  }

  /** Release the worker thread, if any. */
  dispose(): void {
    this.worker?.close();
  }

  /** Hex SHA-256 of everything hashed (the hasher stays usable only for more `digest`s). */
  sha256(): string {
    if (this.worker) {
      if (this.workerHex === undefined) throw new Error("StreamHasher: finish() before sha256()");
      return this.workerHex;
    }
    return this.sha!.copy().digest("hex");
  }

  /** Feed the first `limit` bytes of a file (or all of it) through this hasher. */
  async updateFromFile(file: string, limit?: number, signal?: AbortSignal): Promise<void> {
    if (limit === 0) return;
    if (this.worker && limit !== undefined && this.bytes === 0) {
      // These bytes are the start of the part file itself: the worker reads them.
      if (this.etag) await readChunks(file, limit, signal, (c) => this.etag!.update(c));
      this.bytes = limit;
      this.wrote(limit);
      return;
    }
    await readChunks(file, limit, signal, (c) => this.update(c));
  }
}

async function readChunks(
  file: string,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  each: (chunk: Buffer) => void,
): Promise<void> {
  const stream = createReadStream(file, {
    highWaterMark: READ_BLOCK_BYTES, // cache-sized reads (see READ_BLOCK_BYTES)
    ...(limit === undefined ? {} : { end: limit - 1 }),
    ...(signal ? { signal } : {}),
  });
  for await (const chunk of stream) each(chunk as Buffer);
}

/** SHA-256 (hex) of a whole file, streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = new StreamHasher();
  await h.updateFromFile(file, undefined, signal);
  return h.sha256();
}

/** S3 ETag check of a whole file, streamed. */
export async function etagFile(
  file: string,
  expected: string,
  size: number,
  signal?: AbortSignal,
): Promise<{ actual: string; matches: boolean }> {
  const h = new StreamHasher({ expected, size });
  await h.updateFromFile(file, undefined, signal);
  return h.etag!.result();
}
