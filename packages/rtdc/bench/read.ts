// Benchmark: open a 1,000,000-event file and read every scalar feature, next to a baseline
// measured in the same run (h5py when /usr/bin/python3 has it, else a plain h5wasm loop).
// Run: pnpm --filter @dcor/rtdc bench
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sharedDataDir } from "@dcor/emulator";
import { openDataset, writeRtdc } from "../src/index.js";

const N = 1_000_000;
const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, ".data");
const file = join(dataDir, "read-1m-gzip-fletcher32.rtdc");
const PY = "/usr/bin/python3";
const hasH5py = spawnSync(PY, ["-c", "import h5py"], { stdio: "ignore" }).status === 0;
const example = sharedDataDir()
  ? join(sharedDataDir() as string, "rtdc", "example.rtdc")
  : undefined;

const GEN_PY = `
import sys, h5py, numpy as np
out, n, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with h5py.File(out, "w") as h5:
    ev = h5.create_group("events")
    if src:
        with h5py.File(src, "r") as s:
            for k, v in s.attrs.items():
                h5.attrs[k] = v
            for name, ds in s["events"].items():
                if not isinstance(ds, h5py.Dataset) or ds.ndim != 1: continue
                a = np.resize(ds[:], n)
                ev.create_dataset(name, data=a, chunks=(max(1, 2**20 // a.dtype.itemsize),), maxshape=(None,), compression="gzip", compression_opts=4, fletcher32=True)
    else:
        rng = np.random.default_rng(42)
        for name in ["area_cvx","area_msd","bright_avg","bright_sd","circ","frame","inert_ratio_cvx","inert_ratio_raw","pos_x","pos_y","size_x","size_y","nevents"]:
            a = (rng.random(n) * 100).astype(np.float32)
            ev.create_dataset(name, data=a, chunks=(2**18,), maxshape=(None,), compression="gzip", compression_opts=4, fletcher32=True)
        h5.attrs["imaging:pixel size"] = 0.34
        h5.attrs["imaging:frame rate"] = 2000.0
    h5.attrs["experiment:event count"] = n
`;

const TIME_PY = `
import sys, time, h5py
path, reps = sys.argv[1], int(sys.argv[2])
best = 1e9
for _ in range(reps):
    t0 = time.perf_counter()
    with h5py.File(path, "r") as h5:
        ev = h5["events"]
        for k in ev:
            d = ev[k]
            if isinstance(d, h5py.Dataset) and d.ndim == 1:
                d[:]
    best = min(best, time.perf_counter() - t0)
print(best)
`;

async function ensureFile(): Promise<void> {
  if (existsSync(file)) return;
  mkdirSync(dataDir, { recursive: true });
  console.log(`generating ${file} (${example ? "tiled example.rtdc" : "synthetic"}) ...`);
  if (hasH5py) {
    execFileSync(PY, ["-c", GEN_PY, file, String(N), example ?? ""], { stdio: "inherit" });
    return;
  }
  // Without h5py: our writer, gzip + fletcher32 like the h5py-made file.
  const features: Record<string, Float32Array> = {};
  let x = 1;
  for (const name of [
    "area_cvx",
    "area_msd",
    "bright_avg",
    "bright_sd",
    "circ",
    "frame",
    "inert_ratio_cvx",
    "inert_ratio_raw",
    "pos_x",
    "pos_y",
    "size_x",
    "size_y",
    "nevents",
  ]) {
    features[name] = Float32Array.from({ length: N }, () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return (x / 2147483648) * 100;
    });
  }
  await writeRtdc(
    file,
    { config: { imaging: { "pixel size": 0.34, "frame rate": 2000 } }, features },
    { compression: "gzip" },
  );
}

async function ours(): Promise<number> {
  const t0 = performance.now();
  const ds = await openDataset(file);
  await Promise.all(
    ds.featuresInnate.filter((f) => ds.featuresScalar.includes(f)).map((f) => ds.get(f)),
  );
  await ds.close();
  return (performance.now() - t0) / 1000;
}

async function h5wasmLoop(): Promise<number> {
  const h5wasm = (await import("h5wasm/node")).default;
  const M = await h5wasm.ready;
  M.activate_throwing_error_handler();
  const t0 = performance.now();
  const f = new h5wasm.File(file, "r");
  const ev = f.get("events") as InstanceType<typeof h5wasm.Group>;
  for (const k of ev.keys()) (ev.get(k) as InstanceType<typeof h5wasm.Dataset>).value;
  f.close();
  return (performance.now() - t0) / 1000;
}

await ensureFile();
console.log(`file: ${(statSync(file).size / 1e6).toFixed(1)} MB, ${N} events`);
await ours(); // warm-up: starts the workers, loads the plugins
if (!hasH5py) await h5wasmLoop();
// Interleave rounds so both sides see the same machine load; keep the best of each.
let mine = Number.POSITIVE_INFINITY;
let base = Number.POSITIVE_INFINITY;
const baseName = hasH5py ? "h5py" : "h5wasm loop (main thread)";
for (let round = 0; round < 4; round++) {
  for (let i = 0; i < 5; i++) mine = Math.min(mine, await ours());
  if (hasH5py)
    base = Math.min(base, Number(execFileSync(PY, ["-c", TIME_PY, file, "5"]).toString().trim()));
  else for (let i = 0; i < 5; i++) base = Math.min(base, await h5wasmLoop());
}
console.log(
  `open + read all scalar features: @dcor/rtdc ${(mine * 1000).toFixed(0)} ms, ${baseName} ${(base * 1000).toFixed(0)} ms`,
);
console.log(`ratio (rtdc / ${baseName}): ${(mine / base).toFixed(2)}x  (goal <= 1.0x)`);
process.exit(0);
