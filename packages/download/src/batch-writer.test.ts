// The part-file writer on its own: every byte lands in order, in place and in the queued
// async mode a slow disk switches it to; backpressure and failures reach the caller.
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchWriter } from "./runner.js";
import { seededBytes } from "./test-helpers/file-server.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dl-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Split `data` into chunks of varying sizes (1 B … ~200 KiB), like socket reads. */
function chunksOf(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const sizes = [1, 65536, 7, 200_000, 4096, 65535, 130_000];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe("BatchWriter", () => {
  for (const inPlace of [true, false]) {
    it(`writes every chunk in order (${inPlace ? "in place" : "queued async"})`, async () => {
      const data = seededBytes(9_000_000, inPlace ? 5 : 6);
      const file = path.join(dir, `w-${inPlace}.part`);
      const fh = await open(file, "w");
      let reported = 0;
      let waits = 0;
      const writer = new BatchWriter(fh, 1024 * 1024, (n) => (reported += n), inPlace);
      for (const c of chunksOf(data)) {
        const wait = writer.push(c);
        if (wait) {
          waits++;
          await wait;
        }
      }
      await writer.drain();
      await fh.close();
      expect(reported).toBe(data.length);
      expect((await readFile(file)).equals(data)).toBe(true);
      // In place nothing is queued; queued writes must make a fast producer wait sometimes.
      if (inPlace) expect(waits).toBe(0);
      else expect(waits).toBeGreaterThan(0);
    });
  }

  it("reports a failed write to the caller (closed file)", async () => {
    for (const inPlace of [true, false]) {
      const fh = await open(path.join(dir, `fail-${inPlace}.part`), "w");
      const writer = new BatchWriter(fh, 0, () => {}, inPlace);
      await fh.close();
      const big = Buffer.alloc(2 * 1024 * 1024, 1);
      let failed: unknown;
      try {
        await writer.push(big);
        await writer.drain();
      } catch (err) {
        failed = err;
      }
      expect(failed).toBeInstanceOf(Error);
    }
  });
});
