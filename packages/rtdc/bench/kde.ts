/**
 * KDE benchmark: histogram KDE of area_um vs deform on 1,000,000 events and gauss KDE on 20,000
 * events, each next to a baseline measured in the same run — numpy/scipy (the algorithms dclab
 * uses: numpy.histogram2d + RectBivariateSpline, scipy.stats.gaussian_kde) when `/usr/bin/python3`
 * has them (or KDE_BENCH_BASELINE=js), else straightforward JS implementations. Data: example.rtdc's area_um/deform from
 * shared/data/rtdc/reference_example_full.json tiled to the needed size (synthetic if absent).
 *
 * Run: `tsx --conditions=@dcor/source bench/kde.ts` (in packages/rtdc).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { binNumDoane } from "../src/kde/binning.js";
import { binCentres, histogram2d } from "../src/kde/histogram.js";
import { kdeScatter, kdeScatterAsync } from "../src/kde/index.js";
import { defaultThreads } from "../src/kde/parallel.js";
import { NotAKnotSpline } from "../src/kde/spline.js";

const HIST_N = 1_000_000;
const GAUSS_N = 20_000;
// dclab 0.71.10 on the reference machine (issue 3), for scale only.
const DCLAB_HIST_S = 0.13;
const DCLAB_GAUSS_S = 1.97;

function sharedDataDir(): string | undefined {
  const env = process.env.DCOR_SHARED_DATA;
  if (env && existsSync(env)) return path.resolve(env);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const guess = path.resolve(here, "../../../../shared/data");
  return existsSync(guess) ? guess : undefined;
}

function loadBase(): { x: number[]; y: number[]; source: string } {
  const dir = sharedDataDir();
  const file = dir && path.join(dir, "rtdc/reference_example_full.json");
  if (file && existsSync(file)) {
    const d = JSON.parse(readFileSync(file, "utf8")) as { area_um: number[]; deform: number[] };
    return { x: d.area_um, y: d.deform, source: "example.rtdc (tiled)" };
  }
  let s = 7;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const a = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
    x.push(50 + 10 * a + 20 * r() ** 6);
    y.push(0.02 + 0.004 * a + 0.05 * r() ** 8);
  }
  return { x, y, source: "synthetic (shared data not found)" };
}

function tile(base: number[], n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = base[i % base.length]!;
  return out;
}

async function best<T>(runs: number, fn: () => T | Promise<T>): Promise<{ s: number; value: T }> {
  let bestS = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    bestS = Math.min(bestS, (performance.now() - t0) / 1000);
  }
  return { s: bestS, value: value as T };
}

const PY_SCRIPT = `
import json, sys, time
import numpy as np
from scipy.interpolate import RectBivariateSpline
from scipy.stats import gaussian_kde, skew
work = sys.argv[1]
def load(name, n):
    return np.fromfile(work + "/" + name, dtype=np.float32, count=n)
def bins_doane(a):
    n = a.size
    g1 = skew(a)
    k = 1 + np.log2(n) + np.log2(1 + np.abs(g1) / np.sqrt(6 * (n - 2) / ((n + 1) * (n + 3))))
    acc = (a.max() - a.min()) / k
    return 5 if acc == 0 or np.isnan(acc) else int(np.round((a.max() - a.min()) / acc))
def hist_kde(x, y):
    bad = np.isnan(x) | np.isinf(x) | np.isnan(y) | np.isinf(y)
    x, y = x[~bad], y[~bad]
    h, xe, ye = np.histogram2d(x, y, bins=(max(5, bins_doane(x)), max(5, bins_doane(y))), density=True)
    xi = xe[1:] - (xe[1] - xe[0]) / 2
    yi = ye[1:] - (ye[1] - ye[0]) / 2
    d = RectBivariateSpline(xi, yi, h).ev(x, y)
    d[d < 0] = 0
    return d
def gauss_kde(x, y):
    return gaussian_kde([x, y]).evaluate([x, y])
out = {}
hn, gn = int(sys.argv[2]), int(sys.argv[3])
x, y = load("hx.f32", hn), load("hy.f32", hn)
best = 1e9
for _ in range(3):
    t = time.perf_counter(); d = hist_kde(x, y); best = min(best, time.perf_counter() - t)
out["hist_s"] = best
d.astype(np.float64).tofile(work + "/hist_py.f64")
gx, gy = x[:gn].copy(), y[:gn].copy()
t = time.perf_counter(); g = gauss_kde(gx, gy); out["gauss_s"] = time.perf_counter() - t
g.astype(np.float64).tofile(work + "/gauss_py.f64")
print(json.dumps(out))
`;

interface PyResult {
  hist_s: number;
  gauss_s: number;
  hist: Float64Array;
  gauss: Float64Array;
}

function runPython(x: Float32Array, y: Float32Array): PyResult | string {
  if (process.env.KDE_BENCH_BASELINE === "js") return "KDE_BENCH_BASELINE=js";
  const probe = spawnSync("/usr/bin/python3", ["-c", "import numpy, scipy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return "python3 with numpy/scipy not available";
  const work = mkdtempSync(path.join(tmpdir(), "rtdc-kde-bench-"));
  try {
    writeFileSync(path.join(work, "hx.f32"), x);
    writeFileSync(path.join(work, "hy.f32"), y);
    const r = spawnSync(
      "/usr/bin/python3",
      ["-c", PY_SCRIPT, work, String(HIST_N), String(GAUSS_N)],
      { encoding: "utf8", timeout: 600_000 },
    );
    if (r.status !== 0) return `python baseline failed: ${r.stderr.slice(-500)}`;
    const times = JSON.parse(r.stdout.trim().split("\n").pop()!) as PyResult;
    const f64 = (name: string) => {
      const b = readFileSync(path.join(work, name));
      return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice();
    };
    return { ...times, hist: f64("hist_py.f64"), gauss: f64("gauss_py.f64") };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A straightforward histogram KDE (fallback baseline): the same histogram, then for every event
 * the 1-D splines along y of every row are evaluated and a spline along x is built through them.
 */
function naiveHistogram(x: Float32Array, y: Float32Array): Float64Array {
  const bx = Math.max(5, binNumDoane(x, { float32: true }));
  const by = Math.max(5, binNumDoane(y, { float32: true }));
  const h = histogram2d(x, y, bx, by);
  const cx = binCentres(h.xedges);
  const cy = binCentres(h.yedges);
  const rows: NotAKnotSpline[] = [];
  for (let i = 0; i < bx; i++)
    rows.push(new NotAKnotSpline(cy, h.density.subarray(i * by, (i + 1) * by)));
  const out = new Float64Array(x.length);
  const col = new Float64Array(bx);
  for (let k = 0; k < x.length; k++) {
    for (let i = 0; i < bx; i++) col[i] = rows[i]!.evaluate(y[k]!);
    out[k] = Math.max(0, new NotAKnotSpline(cx, col).evaluate(x[k]!));
  }
  return out;
}

/** The naive O(N²) Gaussian KDE (fallback baseline). */
function naiveGauss(x: Float32Array, y: Float32Array): Float64Array {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    a += (x[i]! - mx) ** 2 / (n - 1);
    b += ((x[i]! - mx) * (y[i]! - my)) / (n - 1);
    c += (y[i]! - my) ** 2 / (n - 1);
  }
  const f = n ** (-1 / 3);
  const det = a * c * f * f - b * b * f * f;
  const [ia, ib, ic] = [(c * f) / det, (-b * f) / det, (a * f) / det];
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const dx = x[j]! - x[i]!;
      const dy = y[j]! - y[i]!;
      s += Math.exp(-0.5 * (ia * dx * dx + 2 * ib * dx * dy + ic * dy * dy));
    }
    out[j] = s / (2 * Math.PI * n * Math.sqrt(det));
  }
  return out;
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!));
  }
  return worst;
}

const fmt = (s: number) => `${s.toFixed(3)} s`;

async function main(): Promise<void> {
  const base = loadBase();
  const hx = tile(base.x, HIST_N);
  const hy = tile(base.y, HIST_N);
  const gx = hx.slice(0, GAUSS_N);
  const gy = hy.slice(0, GAUSS_N);
  console.log(`data: ${base.source}; KDE worker threads (default): ${defaultThreads()}`);

  const hist = await best(5, () => kdeScatter(hx, hy));
  const gauss1 = await best(1, () => kdeScatter(gx, gy, { kdeType: "gauss" }));
  const gaussN = await best(2, () => kdeScatterAsync(gx, gy, { kdeType: "gauss" }));
  const binned = await best(2, () =>
    kdeScatter(gx, gy, { kdeType: "gauss", kdeKwargs: { method: "binned" } }),
  );

  const py = runPython(hx, hy);
  let baseHist: number;
  let baseGauss: number;
  let baseName: string;
  let refGauss: Float64Array;
  if (typeof py === "string") {
    console.log(`baseline: naive JS (${py})`);
    baseName = "naive JS";
    const h = await best(1, () => naiveHistogram(hx, hy));
    baseHist = h.s;
    console.log(
      `histogram vs naive JS: max relative difference ${maxRel(hist.value, h.value).toExponential(2)}`,
    );
    const g = await best(1, () => naiveGauss(gx, gy));
    baseGauss = g.s;
    refGauss = g.value;
  } else {
    baseName = "numpy/scipy";
    baseHist = py.hist_s;
    baseGauss = py.gauss_s;
    refGauss = py.gauss;
    console.log(
      `histogram vs numpy: max relative difference ${maxRel(hist.value, py.hist).toExponential(2)}`,
    );
  }
  const binnedErr = maxRel(binned.value, refGauss);
  console.log(
    `gauss exact vs ${baseName}: max relative difference ${maxRel(gaussN.value, refGauss).toExponential(2)}`,
  );
  console.log("");
  const rows: [string, number, number, number][] = [
    [`histogram KDE, ${HIST_N} events`, hist.s, baseHist, DCLAB_HIST_S],
    [`gauss KDE exact, ${GAUSS_N} events, 1 thread`, gauss1.s, baseGauss, DCLAB_GAUSS_S],
    [
      `gauss KDE exact, ${GAUSS_N} events, ${defaultThreads()} threads`,
      gaussN.s,
      baseGauss,
      DCLAB_GAUSS_S,
    ],
    [
      `gauss KDE binned (approx., max rel. diff ${binnedErr.toExponential(1)})`,
      binned.s,
      baseGauss,
      DCLAB_GAUSS_S,
    ],
  ];
  console.log(`| task | ours | ${baseName} | ratio | goal |`);
  console.log("|---|---|---|---|---|");
  for (const [name, ours, ref, dclab] of rows) {
    const ratio = Number.isNaN(ref) ? "n/a" : `${(ours / ref).toFixed(2)}×`;
    console.log(
      `| ${name} | ${fmt(ours)} | ${Number.isNaN(ref) ? "n/a" : fmt(ref)} | ${ratio} | ≤ 0.5× (dclab ref. ${dclab} s) |`,
    );
  }
}

await main();
