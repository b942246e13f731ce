import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedDataDir } from "@dcor/emulator";
import h5wasm from "h5wasm/node";
import { beforeAll, describe, expect, it } from "vitest";
import { RtdcFormatError } from "../errors.js";
import { openDataset } from "../index.js";
import { writeSynthetic } from "../test-helpers.js";
import { shuffle, unshuffle } from "./classic-format.js";
import { ClassicFile } from "./classic-reader.js";

const shared = sharedDataDir();
if (!shared) console.log("classic-reader: ../shared/data is absent, the real-file checks skip");

type H5Group = InstanceType<typeof h5wasm.Group>;

function rtdcFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...rtdcFiles(join(dir, e.name)));
    else if (e.name.endsWith(".rtdc")) out.push(join(dir, e.name));
  }
  return out.sort();
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

describe("classic-format native read path on files our writer makes", () => {
  it("unshuffle undoes shuffle, trailing bytes included", () => {
    const src = Uint8Array.from({ length: 1003 }, (_, i) => (i * 37) % 256);
    for (const size of [1, 2, 4, 8]) {
      const shuffled = shuffle(src, size);
      if (size > 1) expect(shuffled[1]).toBe(src[size]);
      expect(Array.from(unshuffle(shuffled, size))).toEqual(Array.from(src));
    }
  });

  it("takes on gzip (+ shuffle) datasets and decodes them exactly as h5wasm does", async () => {
    const M = await h5wasm.ready;
    M.activate_throwing_error_handler();
    const dir = mkdtempSync(join(tmpdir(), "rtdc-classic-own-"));
    const path = join(dir, "gzip.rtdc");
    await writeSynthetic(path, 3000, { seed: 9, compression: "gzip" });
    const classic = ClassicFile.open(path);
    if (!classic) throw new Error("our writer's file is not classic-format");
    const h5 = new h5wasm.File(path, "r");
    try {
      const taken: string[] = [];
      for (const name of (h5.get("events") as H5Group).keys()) {
        const ds = h5.get(`events/${name}`);
        const layout = classic.dataset(`/events/${name}`);
        if (!(ds instanceof h5wasm.Dataset) || !layout) continue;
        taken.push(name);
        expect(layout.filters.map((f) => f.id)).toContain(3);
        const n = layout.shape[0] as number;
        const got = await classic.read(layout, 0, n);
        expect(Buffer.compare(bytesOf(got), bytesOf(ds.value as ArrayBufferView)), name).toBe(0);
        const part = await classic.read(layout, 7, n - 5);
        expect(
          Buffer.compare(bytesOf(part), bytesOf(ds.slice([[7, n - 5]]) as ArrayBufferView)),
        ).toBe(0);
      }
      expect(taken).toEqual(expect.arrayContaining(["area_cvx", "frame", "image", "mask"]));
    } finally {
      h5.close();
      classic.close();
    }
  });
});

describe.skipIf(!shared)("classic-format native read path on dclab's files", () => {
  beforeAll(async () => {
    const M = await h5wasm.ready;
    M.activate_throwing_error_handler();
  });

  it("decodes every dataset it takes on exactly as h5wasm does, whole and in row ranges", async () => {
    const handled: string[] = [];
    for (const path of rtdcFiles(join(shared as string, "rtdc"))) {
      const classic = ClassicFile.open(path);
      expect(classic, path).toBeDefined();
      const h5 = new h5wasm.File(path, "r");
      try {
        const events = h5.get("events") as H5Group;
        for (const name of events.keys()) {
          const ds = events.get(name);
          if (!(ds instanceof h5wasm.Dataset)) continue;
          const layout = classic?.dataset(`/events/${name}`);
          if (!layout || !classic) continue;
          handled.push(`${path.split("/").at(-1)}:${name}`);
          const n = layout.shape[0] as number;
          const expected = ds.value as ArrayBufferView;
          const got = await classic.read(layout, 0, n);
          expect(got.constructor).toBe(expected.constructor);
          expect(Buffer.compare(bytesOf(got), bytesOf(expected)), `${path} ${name}`).toBe(0);
          const [s, e] = [Math.floor(n / 3), Math.max(Math.floor(n / 3) + 1, n - 2)];
          const part = await classic.read(layout, s, e);
          const want = ds.slice([[s, e]]) as ArrayBufferView;
          expect(Buffer.compare(bytesOf(part), bytesOf(want)), `${path} ${name} [${s}, ${e})`).toBe(
            0,
          );
        }
      } finally {
        h5.close();
        classic?.close();
      }
    }
    // The gzip-compressed files (zstd ones stay with h5wasm).
    console.log(`classic-reader: native path took ${handled.length} datasets`);
    expect(handled.length).toBeGreaterThan(10);
  });

  it("a damaged chunk is refused by the checksum, and the read still fails with a typed error", async () => {
    const src = join(shared as string, "rtdc", "2020-10_image_bg.rtdc");
    const dir = mkdtempSync(join(tmpdir(), "rtdc-classic-"));
    const copy = join(dir, "damaged.rtdc");
    copyFileSync(src, copy);
    const classic = ClassicFile.open(copy);
    const layout = classic?.dataset("/events/deform");
    expect(layout?.filters.map((f) => f.id)).toContain(3);
    const chunk = layout?.chunks[0];
    if (!classic || !layout || !chunk) throw new Error("no chunk");
    const bytes = readFileSync(copy);
    const at = chunk.address + Math.floor(chunk.size / 2);
    bytes[at] = (bytes[at] as number) ^ 0x40;
    writeFileSync(copy, bytes);
    await expect(classic.read(layout, 0, 10)).rejects.toThrow(/fletcher32/);
    classic.close();
    const ds = await openDataset(copy);
    try {
      await expect(ds.get("deform")).rejects.toBeInstanceOf(RtdcFormatError);
      expect((await ds.get("area_um")).length).toBe(ds.length);
    } finally {
      await ds.close();
    }
  });

  it("survives mutated files: each lookup and read either works or steps aside, never hangs", async () => {
    const src = readFileSync(join(shared as string, "rtdc", "2020-10_image_bg.rtdc"));
    const dir = mkdtempSync(join(tmpdir(), "rtdc-classic-fuzz-"));
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const names = ["area_msd", "deform", "bright_avg", "image", "mask", "frame", "time"];
    let outcomes = 0;
    for (let round = 0; round < 60; round++) {
      const bytes = Buffer.from(src);
      // Mutations cluster in the metadata-rich first 8 KiB and anywhere else.
      for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) {
        const at = rnd() < 0.7 ? Math.floor(rnd() * 8192) : Math.floor(rnd() * bytes.length);
        bytes[at] = Math.floor(rnd() * 256);
      }
      const file = join(dir, `m${round}.rtdc`);
      writeFileSync(file, bytes);
      const classic = ClassicFile.open(file);
      for (const name of names) {
        const layout = classic?.dataset(`/events/${name}`);
        if (!layout || !classic) continue;
        const n = layout.shape[0] as number;
        await classic.read(layout, 0, Math.min(n, 50)).then(
          (v) => expect(v.byteLength).toBe(Math.min(n, 50) * layout.rowBytes),
          (e: unknown) => expect(e).toBeInstanceOf(Error),
        );
        outcomes++;
      }
      classic?.close();
    }
    expect(outcomes).toBeGreaterThan(0);
  });

  it("steps aside for files it does not handle", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtdc-classic-"));
    const junk = join(dir, "junk.rtdc");
    writeFileSync(junk, Buffer.alloc(4096, 7));
    expect(ClassicFile.open(junk)).toBeUndefined();
    expect(ClassicFile.open(join(dir, "missing.rtdc"))).toBeUndefined();
  });
});
