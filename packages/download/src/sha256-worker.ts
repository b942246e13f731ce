import { Worker } from "node:worker_threads";

/**
 * SHA-256 of a growing file, computed on a worker thread that reads the file back.
 *
 * Why: on loopback one Node thread cannot receive, hash and write at curl's speed. The writer
 * tells the worker how many bytes are on disk; the worker reads them back from the page cache
 * and hashes them on the other core. The receiving thread does no extra copy, nothing is buffered for the hash, and
 * the hash covers the bytes as they really are in the file.
 */

/**
 * Bytes read and hashed per step in the worker. Small enough for the buffer to stay in the CPU
 * cache: reading a GiB back in 128 KiB blocks took ~0.15 s system time here, in 1 MiB blocks
 * ~0.5 s (SHA-256 itself runs at the same ~1.4 GB/s for either size).
 */
export const READ_BLOCK_BYTES = 128 * 1024;
/**
 * A sleeping worker is woken only once this much is waiting (or for the digest): a futex wake
 * per 1 MiB write cost ~0.2 s CPU per GiB on a busy machine. The worker reads from the page
 * cache, so letting it lag costs no memory.
 */
const WAKE_EVERY_BYTES = 16 * 1024 * 1024;

// Int32 control words. Positions are split into two words (low 30 bits + high) because files can
// exceed 2 GiB and Atomics.wait needs an Int32Array.
const WRITTEN_LO = 0;
const WRITTEN_HI = 1;
const CMD = 2; // 0 = hash what is written, 1 = digest when caught up, 2 = quit
const BELL = 3;
const SLEEPING = 4;
const CTL_WORDS = 5;
const LO_BITS = 2 ** 30;

// CommonJS source for an eval worker: works the same from the ESM and CJS builds and from source.
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const ctl = new Int32Array(workerData.ctl);
const buf = Buffer.allocUnsafe(${READ_BLOCK_BYTES});
const hash = createHash("sha256");
let fd;
let pos = 0;
const written = () => Atomics.load(ctl, ${WRITTEN_HI}) * ${LO_BITS} + Atomics.load(ctl, ${WRITTEN_LO});
try {
  fd = fs.openSync(workerData.file, "r");
  for (;;) {
    const bell = Atomics.load(ctl, ${BELL});
    const cmd = Atomics.load(ctl, ${CMD});
    if (cmd === 2) break;
    const end = written();
    if (pos < end) {
      const n = fs.readSync(fd, buf, 0, Math.min(${READ_BLOCK_BYTES}, end - pos), pos);
      if (n === 0) throw new Error("part file is shorter than the bytes written to it");
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
      continue;
    }
    if (cmd === 1) {
      // Close first: the caller renames the file as soon as it has the answer.
      fs.closeSync(fd);
      fd = undefined;
      parentPort.postMessage({ hex: hash.digest("hex"), bytes: pos });
      break;
    }
    Atomics.store(ctl, ${SLEEPING}, 1);
    Atomics.wait(ctl, ${BELL}, bell);
    Atomics.store(ctl, ${SLEEPING}, 0);
  }
} catch (err) {
  parentPort.postMessage({ error: String((err && err.message) || err) });
} finally {
  if (fd !== undefined) fs.closeSync(fd);
}
`;

/**
 * SHA-256 of the first bytes of `file`, hashed on a worker thread as they are reported written
 * with {@link written}. Call {@link digest} once, or {@link close} to abandon it.
 */
export class FileSha256Worker {
  private readonly worker: Worker;
  private readonly ctl: Int32Array;
  private onWritten = 0;
  private wokenAt = 0;
  private failure: Error | undefined;
  private result: ((r: { hex?: string; bytes?: number; err?: Error }) => void) | undefined;
  private answer: { hex?: string; bytes?: number; err?: Error } | undefined;
  private closed = false;

  constructor(file: string) {
    const ctlBuf = new SharedArrayBuffer(CTL_WORDS * Int32Array.BYTES_PER_ELEMENT);
    this.ctl = new Int32Array(ctlBuf);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctl: ctlBuf, file },
      // It only reads and hashes: keep its heap small (peak RSS matters).
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    const settle = (r: { hex?: string; bytes?: number; err?: Error }) => {
      this.answer ??= r;
      this.result?.(this.answer);
    };
    this.worker.on("message", (m: { hex?: string; bytes?: number; error?: string }) => {
      if (m.error !== undefined) {
        this.failure ??= new Error(`sha256 worker: ${m.error}`);
        settle({ err: this.failure });
      } else settle({ hex: m.hex!, bytes: m.bytes! });
    });
    this.worker.on("error", (err) => {
      this.failure ??= err;
      settle({ err });
    });
    this.worker.on("exit", () =>
      settle({ err: this.failure ?? new Error("sha256 worker exited") }),
    );
  }

  /** The file now holds at least `bytes` bytes that belong to the hash (monotonic). */
  written(bytes: number): void {
    if (bytes <= this.onWritten) return;
    this.onWritten = bytes;
    Atomics.store(this.ctl, WRITTEN_HI, Math.floor(bytes / LO_BITS));
    Atomics.store(this.ctl, WRITTEN_LO, bytes % LO_BITS);
    this.ringBell(bytes - this.wokenAt >= WAKE_EVERY_BYTES);
  }

  private ringBell(wake = true): void {
    // The worker reads the bell before it looks for work and sleeps only while the bell is
    // unchanged: an awake worker always sees new work, a sleeping one when it is woken.
    Atomics.add(this.ctl, BELL, 1);
    if (wake && Atomics.load(this.ctl, SLEEPING) === 1) {
      this.wokenAt = this.onWritten;
      Atomics.notify(this.ctl, BELL);
    }
  }

  /** Hex SHA-256 of the first `written` bytes of the file, once the worker got there. */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error("sha256 worker closed");
    Atomics.store(this.ctl, CMD, 1);
    this.ringBell();
    this.worker.ref(); // keep the process alive until the answer arrived
    const r =
      this.answer ??
      (await new Promise<{ hex?: string; bytes?: number; err?: Error }>((resolve) => {
        this.result = resolve;
      }));
    this.closed = true;
    this.worker.unref();
    if (r.err) throw r.err;
    if (r.bytes !== this.onWritten) {
      throw new Error(`sha256 worker hashed ${r.bytes} of ${this.onWritten} bytes`);
    }
    return r.hex!;
  }

  /** Stop the worker (it closes the file and exits; idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, CMD, 2);
    this.ringBell();
  }
}
