// Corrupt, truncated and non-HDF5 input must give a typed RtdcError: never a crash, a hang or
// an escaped raw exception. Includes a bounded, seeded fuzz test over mutated files.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedDataDir } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "./dataset.js";
import { RtdcError, RtdcFormatError } from "./errors.js";
import { lcg, writeSynthetic } from "./test-helpers.js";

let dir: string;
let good: string;
let bytes: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-corrupt-"));
  good = join(dir, "good.rtdc");
  await writeSynthetic(good, 40, { seed: 3 });
  bytes = new Uint8Array(await readFile(good));
  const ds = await openDataset(good);
  reference = new Map();
  for (const f of ds.featuresInnate)
    if (ds.featuresScalar.includes(f)) reference.set(f, await ds.get(f));
  await ds.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let reference: Map<string, ArrayLike<number>> | undefined;

/**
 * Open and read everything; resolve with "ok" or the error (which must be an RtdcError). Stored
 * features that read without error must equal the intact file's (our writer adds chunk CRCs).
 */
async function exercise(
  path: string,
  want: Map<string, ArrayLike<number>> | undefined = reference,
): Promise<"ok" | RtdcError> {
  let ds: Awaited<ReturnType<typeof openDataset>> | undefined;
  try {
    ds = await openDataset(path);
    for (const f of ds.featuresScalar) {
      const got = await ds.get(f);
      const expected = ds.featuresInnate.includes(f) ? want?.get(f) : undefined;
      if (expected) {
        for (let i = 0; i < Math.min(got.length, expected.length); i++) {
          if (!Object.is(got[i], expected[i]))
            throw new Error(`garbage in stored '${f}' of ${path}`);
        }
      }
    }
    if (ds.features.includes("image")) await ds.image(ds.length - 1);
    if (ds.features.includes("contour")) await ds.contour(0);
    if (ds.features.includes("trace")) await ds.trace("fl1_raw", 0);
    await ds.logs();
    await ds.tables();
    return "ok";
  } catch (err) {
    if (err instanceof RangeError) return "ok"; // an event count that the data do not have
    if (!(err instanceof RtdcError)) throw err;
    return err;
  } finally {
    await ds?.close();
  }
}

describe("bad input", () => {
  it("rejects non-HDF5 input with RtdcFormatError", async () => {
    const cases: [string, Uint8Array | string][] = [
      ["empty.rtdc", new Uint8Array(0)],
      ["text.rtdc", "just some text, definitely not HDF5\n".repeat(20)],
      ["random.rtdc", new Uint8Array(4096).map((_, i) => (i * 7919) % 251)],
      ["signature-only.rtdc", bytes.slice(0, 600)],
    ];
    for (const [name, content] of cases) {
      const p = join(dir, name);
      await writeFile(p, content);
      await expect(openDataset(p)).rejects.toBeInstanceOf(RtdcFormatError);
    }
    await mkdir(join(dir, "a-dir.rtdc"));
    await expect(openDataset(join(dir, "a-dir.rtdc"))).rejects.toBeInstanceOf(RtdcFormatError);
    await expect(openDataset(join(dir, "missing.rtdc"))).rejects.toBeInstanceOf(RtdcFormatError);
  });

  it("handles truncated files", async () => {
    for (const frac of [0.05, 0.2, 0.5, 0.8, 0.95, 0.999]) {
      const p = join(dir, `trunc-${frac}.rtdc`);
      await writeFile(p, bytes.slice(0, Math.floor(bytes.length * frac)));
      const r = await exercise(p);
      expect(r).not.toBe("ok");
      expect(r).toBeInstanceOf(RtdcError);
    }
  });

  async function fuzz(
    source: Uint8Array,
    want: Map<string, ArrayLike<number>> | undefined,
    tag: string,
  ) {
    const rnd = lcg(20240607);
    const outcomes: Record<string, number> = {};
    for (let k = 0; k < 40; k++) {
      const m = source.slice();
      const flips = 1 + Math.floor(rnd() * 8);
      for (let j = 0; j < flips; j++) {
        const at = Math.floor(rnd() * m.length);
        m[at] = (m[at] as number) ^ (1 + Math.floor(rnd() * 255));
      }
      const p = join(dir, `fuzz-${tag}-${k}.rtdc`);
      await writeFile(p, m);
      const r = await exercise(p, want);
      const key = r === "ok" ? "ok" : r.code;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    console.log(`fuzz outcomes (${tag})`, outcomes);
    // The worker is still healthy: the intact file reads exactly.
    const ds = await openDataset(good);
    expect((await ds.get("area_cvx")).length).toBe(40);
    await ds.close();
  }

  it("fuzz: seeded byte mutations never crash, hang, leak a raw exception or return garbage", async () => {
    await fuzz(bytes, reference, "zstd");
  }, 300_000);

  it("fuzz: the same on a gzip file, which the native (node:zlib) read path decodes", async () => {
    const gz = join(dir, "good-gzip.rtdc");
    await writeSynthetic(gz, 40, { seed: 3, compression: "gzip" });
    const want = new Map<string, ArrayLike<number>>();
    const ds = await openDataset(gz);
    for (const f of ds.featuresInnate)
      if (ds.featuresScalar.includes(f)) want.set(f, await ds.get(f));
    await ds.close();
    for (const [f, v] of want)
      expect(Array.from(v), f).toEqual(Array.from(reference?.get(f) ?? []));
    await fuzz(new Uint8Array(await readFile(gz)), want, "gzip");
  }, 300_000);
});

const shared = sharedDataDir();
if (!shared) console.log("fletcher32 fuzz test skipped: shared data folder not found");

describe.skipIf(!shared)("checksummed files", () => {
  it("fuzz: a flipped byte in a fletcher32 file is an error or harmless, never garbage", async () => {
    const src = join(shared as string, "rtdc", "example.rtdc"); // fletcher32, uncompressed
    const original = new Uint8Array(await readFile(src));
    const ds0 = await openDataset(src);
    const reference = new Map<string, ArrayLike<number>>();
    for (const f of ds0.featuresInnate) reference.set(f, await ds0.get(f));
    await ds0.close();
    const rnd = lcg(99);
    const outcomes: Record<string, number> = {};
    for (let k = 0; k < 25; k++) {
      const m = original.slice();
      const at = Math.floor(m.length * (0.05 + 0.95 * rnd()));
      m[at] = (m[at] as number) ^ 0x5a;
      const p = join(dir, `fl32-${k}.rtdc`);
      await writeFile(p, m);
      let outcome = "identical";
      try {
        const ds = await openDataset(p);
        try {
          for (const [f, want] of reference) {
            const got = await ds.get(f);
            for (let i = 0; i < want.length; i++) {
              if (!Object.is(got[i], want[i]))
                throw new Error(`garbage in '${f}' after flipping byte ${at}`);
            }
          }
        } finally {
          await ds.close();
        }
      } catch (err) {
        if (!(err instanceof RtdcError)) throw err;
        outcome = err.code;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    console.log("fletcher32 fuzz outcomes", outcomes);
    expect(outcomes.RTDC_FORMAT ?? 0).toBeGreaterThan(0);
  }, 300_000);
});
