// Benchmark: write a 1,000,000-event file of 13 scalar features (example.rtdc's tiled when the
// shared data is present, else synthetic), zstd and gzip, with our classic-format writer (zstd/
// deflate + fletcher32), next to the earlier h5wasm writer (one filter, no fletcher32, a CRC-32
// attribute per dataset) measured in the same run, and h5py (gzip + fletcher32) when present.
// Run: pnpm --filter @dcor/rtdc exec tsx --conditions=@dcor/source bench/write.ts
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { sharedDataDir } from "@dcor/emulator";
import h5wasm from "h5wasm/node";
import { writeClassicHdf5 } from "../src/hdf5/classic-writer.js";
import type { WritePlan } from "../src/hdf5/protocol.js";
import { openDataset, writeRtdc } from "../src/index.js";
import { planRtdc } from "../src/writer.js";

const N = 1_000_000;
const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, ".data", "write");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, ".gitignore"), "*\n");
const PY = "/usr/bin/python3";
const hasH5py = spawnSync(PY, ["-c", "import h5py"], { stdio: "ignore" }).status === 0;

const SCALARS = [
  "area_cvx",
  "area_msd",
  "bright_avg",
  "bright_sd",
  "circ",
  "deform",
  "frame",
  "inert_ratio_cvx",
  "inert_ratio_raw",
  "pos_x",
  "pos_y",
  "size_x",
  "size_y",
];

type Features = Record<string, Float32Array | Float64Array>;

/** example.rtdc's scalar features tiled to N events (compresses very well), if present. */
async function tiledExample(): Promise<Features | undefined> {
  const shared = sharedDataDir();
  const out: Features = {};
  const example = shared ? join(shared, "rtdc", "example.rtdc") : undefined;
  if (example && existsSync(example)) {
    const ds = await openDataset(example);
    for (const name of ds.featuresInnate.filter((f) => ds.featuresScalar.includes(f))) {
      const v = await ds.get(name);
      const Ctor = v instanceof Float64Array ? Float64Array : Float32Array;
      const a = new Ctor(N);
      for (let i = 0; i < N; i++) a[i] = v[i % v.length] as number;
      out[name] = a;
      if (Object.keys(out).length === 13) break;
    }
    await ds.close();
    return out;
  }
  return undefined;
}

/** 13 features of pseudo-random values with one decimal (compress about 1.5:1). */
function noisy(): Features {
  const out: Features = {};
  let x = 1;
  for (const name of SCALARS) {
    out[name] = Float32Array.from({ length: N }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return Math.round((x / 2 ** 32) * 1000) / 10;
    });
  }
  return out;
}

/** The h5wasm writer @dcor/rtdc used before (one filter per dataset + a CRC-32 attribute). */
async function h5wasmWrite(path: string, plan: WritePlan, filter: number, level: number) {
  const M = await h5wasm.ready;
  const f = new h5wasm.File(path, "w");
  for (const g of plan.groups) f.create_group(g);
  for (const d of plan.datasets) {
    if (d.kind !== "numeric") continue;
    const bytes = new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength);
    const rows = d.chunks[0] as number;
    const rowBytes = d.data.BYTES_PER_ELEMENT;
    const crcs = new Uint32Array(Math.ceil(d.data.length / rows));
    for (let k = 0; k < crcs.length; k++)
      crcs[k] = crc32(bytes.subarray(k * rows * rowBytes, (k + 1) * rows * rowBytes));
    const slash = d.path.lastIndexOf("/");
    const parent = f.get(d.path.slice(0, slash)) as InstanceType<typeof h5wasm.Group>;
    const ds = parent.create_dataset({
      name: d.path.slice(slash + 1),
      data: d.data as Float32Array,
      shape: d.shape,
      maxshape: [null],
      chunks: d.chunks,
      compression: filter,
      compression_opts: [level],
    });
    ds.create_attribute("dcor_chunk_crc32", crcs, [crcs.length]);
  }
  f.close();
  void M;
}

const H5PY_WRITE = `
import sys, time, h5py, numpy as np
src, out = sys.argv[1], sys.argv[2]
with h5py.File(src, "r") as s:
    data = {k: s["events"][k][:] for k in s["events"]}
best = 1e9
for _ in range(3):
    t0 = time.perf_counter()
    with h5py.File(out, "w") as h5:
        ev = h5.create_group("events")
        for k, a in data.items():
            ev.create_dataset(k, data=a, chunks=(max(1, 2**20 // a.dtype.itemsize),), maxshape=(None,), compression="gzip", compression_opts=4, fletcher32=True)
    best = min(best, time.perf_counter() - t0)
print(best)
`;

async function best(reps: number, fn: () => Promise<unknown>): Promise<number> {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

const M = await h5wasm.ready;
M.activate_throwing_error_handler();
const require = createRequire(import.meta.url);
M.insert_plugin_search_path(
  join(dirname(require.resolve("h5wasm-plugins/package.json")), "plugins"),
  0,
);
const out = (name: string) => join(dir, name);
const size = (p: string) => `${(statSync(p).size / 1e6).toFixed(1)} MB`;
const tiled = await tiledExample();
const sets: [string, Features][] = [
  ...(tiled ? [["example.rtdc tiled", tiled] as [string, Features]] : []),
  ["noisy synthetic", noisy()],
];
for (const [label, feats] of sets) {
  const raw = Object.values(feats).reduce((a, v) => a + v.byteLength, 0);
  console.log(
    `data: ${label}, ${Object.keys(feats).length} scalar features x ${N} events, ${(raw / 1e6).toFixed(1)} MB raw`,
  );
  for (const compression of ["zstd", "gzip"] as const) {
    const plan = planRtdc({ features: feats }, { compression });
    const id = compression === "zstd" ? 32015 : 1;
    const level = compression === "zstd" ? 5 : 4;
    // Warm-up (wasm modules, zstd init, worker start).
    await writeClassicHdf5(out("warm.rtdc"), plan);
    await h5wasmWrite(out("warm-old.rtdc"), plan, id, level);
    await writeRtdc(out("warm-e2e.rtdc"), { features: feats }, { compression, overwrite: true });
    const mine = await best(3, () => writeClassicHdf5(out(`new-${compression}.rtdc`), plan));
    const e2e = await best(3, () =>
      writeRtdc(
        out(`e2e-${compression}.rtdc`),
        { features: feats },
        { compression, overwrite: true },
      ),
    );
    const old = await best(3, () => h5wasmWrite(out(`old-${compression}.rtdc`), plan, id, level));
    console.log(
      `${compression}: classic writer ${mine.toFixed(0)} ms (${size(out(`new-${compression}.rtdc`))}, + fletcher32), ` +
        `writeRtdc via worker ${e2e.toFixed(0)} ms, old h5wasm writer ${old.toFixed(0)} ms ` +
        `(${size(out(`old-${compression}.rtdc`))}, no fletcher32) -> ratio new/old ${(mine / old).toFixed(2)}x, writeRtdc/old ${(e2e / old).toFixed(2)}x`,
    );
  }
}
const feats = sets[sets.length - 1]?.[1] as Features;
if (hasH5py) {
  const h5pyMs =
    1000 *
    Number(
      execFileSync(PY, ["-c", H5PY_WRITE, out("new-gzip.rtdc"), out("h5py-gzip.rtdc")])
        .toString()
        .trim(),
    );
  const plan = planRtdc({ features: feats }, { compression: "gzip" });
  const mine = await best(3, () => writeClassicHdf5(out("new-gzip.rtdc"), plan));
  console.log(
    `gzip + fletcher32: classic writer ${mine.toFixed(0)} ms, h5py ${h5pyMs.toFixed(0)} ms -> ratio ${(mine / h5pyMs).toFixed(2)}x`,
  );
}
// The caller's event loop while writeRtdc runs: a 400 MB image stack. Baseline: the structured
// clone of the same array in one piece (what posting the plan to the worker did before).
{
  const image = { data: new Uint8Array(20_000 * 80 * 250).fill(3), shape: [20_000, 80, 250] };
  const lag = async (fn: () => unknown): Promise<[number, number]> => {
    let last = performance.now();
    let worst = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - 5);
      last = now;
    }, 5);
    const t0 = performance.now();
    await fn();
    const took = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
    clearInterval(timer);
    return [took, worst];
  };
  const [took, worst] = await lag(() =>
    writeRtdc(out("image.rtdc"), { features: { image } }, { overwrite: true }),
  );
  const [, cloneLag] = await lag(() => structuredClone(image.data));
  console.log(
    `writeRtdc of a 400 MB image stack: ${took.toFixed(0)} ms, worst caller event-loop lag ${worst.toFixed(0)} ms ` +
      `(one structured clone of it: ${cloneLag.toFixed(0)} ms)`,
  );
  rmSync(out("image.rtdc"), { force: true });
}
for (const f of ["warm.rtdc", "warm-old.rtdc", "warm-e2e.rtdc"]) rmSync(out(f), { force: true });
process.exit(0);
