/**
 * Kernel density estimates for scatter and contour plots, reproducing dclab's `get_kde_scatter`
 * and `get_kde_contour` on plain arrays (the caller applies the dataset's filter first).
 */
import { RtdcError } from "../errors.js";
import { binWidthPercentile, minMax } from "./binning.js";
import { type GaussKdeOptions, gaussExactPlan, kdeGaussBinned, kdeGaussExact } from "./gauss.js";
import { type HistogramKdeOptions, kdeHistogram } from "./histogram.js";
import { kdeMultivariate, type MultivariateKdeOptions, multivariatePlan } from "./multivariate.js";
import { defaultThreads, type KdeParallelOptions, runTasks } from "./parallel.js";

export {
  binNumDoane,
  binWidthDoane,
  binWidthPercentile,
  type DoaneResult,
  doane,
} from "./binning.js";
export type { GaussKdeOptions } from "./gauss.js";
export type { HistogramKdeOptions } from "./histogram.js";
export type { MultivariateKdeOptions } from "./multivariate.js";
export { type KdeParallelOptions, KdeWorkerError } from "./parallel.js";

/** The KDE methods: as in dclab. "none" gives ones. */
export type KdeType = "histogram" | "gauss" | "multivariate" | "none";
/** Axis scale: "log" takes the natural logarithm of data and positions first. */
export type KdeScale = "linear" | "log";

/** Options of {@link kdeScatter}. */
export interface KdeScatterOptions {
  /**
   * The estimator.
   * @default "histogram"
   */
  kdeType?: KdeType;
  /**
   * Where to evaluate the density; by default at every event.
   * @default undefined
   */
  positions?: { x: ArrayLike<number>; y: ArrayLike<number> };
  /**
   * Scale of the x axis.
   * @default "linear"
   */
  xscale?: KdeScale;
  /**
   * Scale of the y axis.
   * @default "linear"
   */
  yscale?: KdeScale;
  /**
   * Method options: histogram `{ bins: [bx, by] }`; gauss `{ method: "exact" | "binned",
   * tolerance, binnedSpacing }` (see {@link GaussKdeOptions}); multivariate `{ bw: [bx, by],
   * emulateFloat32Kernel, tolerance }` (see {@link MultivariateKdeOptions}). All methods accept
   * `float32` (default: true when x and y are both Float32Array): bin widths, log scales and grid
   * sizes then follow numpy's float32 arithmetic on float32 features.
   * @default {}
   */
  kdeKwargs?: Record<string, unknown>;
}

/** Options of {@link kdeContour}. */
export interface KdeContourOptions extends Omit<KdeScatterOptions, "positions"> {
  /**
   * Grid spacing along x (in scaled units); 0 or undefined: (P90 − P10)/23 of the data.
   * @default undefined
   */
  xacc?: number;
  /**
   * Grid spacing along y; 0 or undefined: (P90 − P10)/23 of the data.
   * @default undefined
   */
  yacc?: number;
}

/** The density on a grid: `density[ix·ny + iy]` belongs to (x[ix], y[iy]) ("ij" meshgrid). */
export interface KdeContourResult {
  /** Grid values along x (in linear units, also with a log scale). */
  x: Float64Array;
  /** Grid values along y. */
  y: Float64Array;
  /** `nx · ny` densities, `density[ix · ny + iy]`. */
  density: Float64Array;
  /** Number of x grid values. */
  nx: number;
  /** Number of y grid values. */
  ny: number;
}

/** Invalid KDE input or options (code "RTDC_KDE_INVALID"). */
export class KdeInputError extends RtdcError {
  constructor(message: string) {
    super("RTDC_KDE_INVALID", message, { action: "kde" });
    this.name = "KdeInputError";
  }
}

const KDE_TYPES: readonly string[] = ["histogram", "gauss", "multivariate", "none"];

function checkOptions(kdeType: string, xscale: string, yscale: string): KdeType {
  const t = kdeType.toLowerCase();
  if (!KDE_TYPES.includes(t)) {
    throw new KdeInputError(`Not a valid kde type: "${kdeType}" (use ${KDE_TYPES.join(", ")})`);
  }
  for (const s of [xscale, yscale]) {
    if (s !== "linear" && s !== "log") {
      throw new KdeInputError(`scale must be "linear" or "log", got "${s}"`);
    }
  }
  return t as KdeType;
}

/** Apply the axis scale; float32 data stays float32 (numpy's log of a float32 array). */
function applyScale(a: ArrayLike<number>, scale: KdeScale, float32: boolean): Float64Array {
  if (scale === "linear") return a instanceof Float64Array ? a : Float64Array.from(a);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = Math.log(a[i]!);
    out[i] = float32 ? Math.fround(v) : v;
  }
  return out;
}

function isFloat32(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  return x instanceof Float32Array && y instanceof Float32Array;
}

/**
 * Keep only the (x, y) pairs where both are finite. When all are, the inputs are returned as they
 * are and the mask is undefined (no copies: this runs on every call, on up to millions of events).
 */
function finitePairs(
  x: Float64Array,
  y: Float64Array,
): [Float64Array, Float64Array, Uint8Array | undefined] {
  let count = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) count++;
  if (count === x.length) return [x, y, undefined];
  const good = new Uint8Array(x.length);
  const fx = new Float64Array(count);
  const fy = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      good[i] = 1;
      fx[k] = x[i]!;
      fy[k++] = y[i]!;
    }
  }
  return [fx, fy, good];
}

/** Events and positions split into their finite parts (dclab's `ignore_nan_inf`). */
interface Prepared {
  count: number;
  ex: Float64Array;
  ey: Float64Array;
  qx: Float64Array | undefined;
  qy: Float64Array | undefined;
  /** Finite positions (undefined: all). */
  goodOut: Uint8Array | undefined;
}

function prepare(
  xs: Float64Array,
  ys: Float64Array,
  pxs: Float64Array | undefined,
  pys: Float64Array | undefined,
): Prepared {
  const count = pxs ? pxs.length : xs.length;
  const [ex, ey, goodIn] = finitePairs(xs, ys);
  if (pxs && pys) {
    const [qx, qy, goodOut] = finitePairs(pxs, pys);
    return { count, ex, ey, qx, qy, goodOut };
  }
  return { count, ex, ey, qx: undefined, qy: undefined, goodOut: goodIn };
}

/**
 * Place the values computed at the finite positions: NaN where a position is not finite, and 0
 * everywhere else when there was no finite event (dclab's `ignore_nan_inf` wrapper).
 */
function finish(p: Prepared, values: Float64Array | undefined): Float64Array {
  const good = p.goodOut;
  // All positions finite: the estimator's fresh array is the result.
  if (!good && values && values.length === p.count) return values;
  const out = new Float64Array(p.count);
  if (!good) return out;
  if (values) {
    let k = 0;
    for (let i = 0; i < p.count; i++) if (good[i]) out[i] = values[k++]!;
  }
  for (let i = 0; i < p.count; i++) if (!good[i]) out[i] = Number.NaN;
  return out;
}

function evaluate(
  kdeType: KdeType,
  xs: Float64Array,
  ys: Float64Array,
  pxs: Float64Array | undefined,
  pys: Float64Array | undefined,
  kwargs: Record<string, unknown>,
): Float64Array {
  if (kdeType === "none") return new Float64Array(pxs ? pxs.length : xs.length).fill(1);
  const p = prepare(xs, ys, pxs, pys);
  const values = p.ex.length > 0 ? estimator(kdeType, p.ex, p.ey, p.qx, p.qy, kwargs) : undefined;
  return finish(p, values);
}

/** Below this many kernel terms (events × positions) threads do not pay off. */
const PARALLEL_MIN_TERMS = 4e6;

async function evaluateAsync(
  kdeType: KdeType,
  xs: Float64Array,
  ys: Float64Array,
  pxs: Float64Array | undefined,
  pys: Float64Array | undefined,
  kwargs: Record<string, unknown>,
  parallel: KdeParallelOptions,
): Promise<Float64Array> {
  parallel.signal?.throwIfAborted();
  if (kdeType === "none") return new Float64Array(pxs ? pxs.length : xs.length).fill(1);
  const p = prepare(xs, ys, pxs, pys);
  if (p.ex.length === 0) return finish(p, undefined);
  const threads = parallel.threads ?? defaultThreads();
  const terms = p.ex.length * (p.qx ? p.qx.length : p.ex.length);
  const gaussExact = kdeType === "gauss" && (kwargs as GaussKdeOptions).method !== "binned";
  if ((gaussExact || kdeType === "multivariate") && threads > 1 && terms >= PARALLEL_MIN_TERMS) {
    if (gaussExact) checkGaussMethod(kwargs);
    const parts = 4 * threads;
    const plan =
      kdeType === "gauss"
        ? gaussExactPlan(p.ex, p.ey, p.qx, p.qy, kwargs as GaussKdeOptions, parts)
        : multivariatePlan(p.ex, p.ey, p.qx, p.qy, kwargs as MultivariateKdeOptions, parts);
    const results = await runTasks(plan.tasks, { ...parallel, threads });
    return finish(p, plan.combine(results));
  }
  // Small problems: compute here (after yielding once, so that callers stay responsive).
  await new Promise((resolve) => setImmediate(resolve));
  parallel.signal?.throwIfAborted();
  return finish(p, estimator(kdeType, p.ex, p.ey, p.qx, p.qy, kwargs));
}

function checkGaussMethod(kwargs: Record<string, unknown>): void {
  const method = (kwargs as GaussKdeOptions).method;
  if (method !== undefined && method !== "exact" && method !== "binned") {
    throw new KdeInputError(`gauss method must be "exact" or "binned", got "${method}"`);
  }
}

function estimator(
  kdeType: KdeType,
  ex: Float64Array,
  ey: Float64Array,
  qx: Float64Array | undefined,
  qy: Float64Array | undefined,
  kwargs: Record<string, unknown>,
): Float64Array {
  switch (kdeType) {
    case "histogram":
      return kdeHistogram(ex, ey, qx ?? ex, qy ?? ey, kwargs as HistogramKdeOptions);
    case "gauss": {
      const o = kwargs as GaussKdeOptions;
      checkGaussMethod(kwargs);
      if (o.method === "binned") return kdeGaussBinned(ex, ey, qx, qy, o);
      return kdeGaussExact(ex, ey, qx, qy, o);
    }
    case "multivariate":
      return kdeMultivariate(ex, ey, qx, qy, kwargs as MultivariateKdeOptions);
    default:
      throw new KdeInputError(`Not a valid kde type: "${kdeType}"`);
  }
}

function checkLengths(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) {
    throw new KdeInputError(`${what}: x and y differ in length (${x.length} vs ${y.length})`);
  }
}

function kwargsWithFloat32(
  kwargs: Record<string, unknown> | undefined,
  float32: boolean,
): Record<string, unknown> {
  if (kwargs !== undefined && (typeof kwargs !== "object" || kwargs === null)) {
    throw new KdeInputError("kdeKwargs must be an object");
  }
  const k = { ...(kwargs ?? {}) };
  if (k.float32 === undefined) k.float32 = float32;
  checkKwargs(k);
  return k;
}

function isPair(v: unknown, ok: (n: number) => boolean): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === "number" && ok(n));
}

/** Validate the method options that are set (unknown keys are ignored, as unused ones are). */
function checkKwargs(k: Record<string, unknown>): void {
  if (typeof k.float32 !== "boolean")
    throw new KdeInputError("kdeKwargs.float32 must be a boolean");
  if (k.bins !== undefined && !isPair(k.bins, (n) => Number.isInteger(n) && n >= 4)) {
    throw new KdeInputError("kdeKwargs.bins must be two integers ≥ 4 (the spline needs 4 knots)");
  }
  if (k.bw !== undefined && !isPair(k.bw, (n) => Number.isFinite(n) && n > 0)) {
    throw new KdeInputError("kdeKwargs.bw must be two positive bandwidths");
  }
  const tol = k.tolerance;
  if (tol !== undefined && !(typeof tol === "number" && tol > 0 && tol < 1)) {
    throw new KdeInputError("kdeKwargs.tolerance must be a number in (0, 1)");
  }
  const h = k.binnedSpacing;
  if (h !== undefined && !(typeof h === "number" && Number.isFinite(h) && h > 0)) {
    throw new KdeInputError("kdeKwargs.binnedSpacing must be a positive number");
  }
  if (k.emulateFloat32Kernel !== undefined && typeof k.emulateFloat32Kernel !== "boolean") {
    throw new KdeInputError("kdeKwargs.emulateFloat32Kernel must be a boolean");
  }
  const m = k.method;
  if (m !== undefined && m !== "exact" && m !== "binned") {
    throw new KdeInputError(`kdeKwargs.method must be "exact" or "binned", got "${String(m)}"`);
  }
}

interface ScatterInput {
  kdeType: KdeType;
  xs: Float64Array;
  ys: Float64Array;
  pxs: Float64Array | undefined;
  pys: Float64Array | undefined;
  kwargs: Record<string, unknown>;
}

function scatterInput(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeScatterOptions,
): ScatterInput | undefined {
  const kdeType = checkOptions(
    opts.kdeType ?? "histogram",
    opts.xscale ?? "linear",
    opts.yscale ?? "linear",
  );
  checkLengths(x, y, "events");
  if (opts.positions) checkLengths(opts.positions.x, opts.positions.y, "positions");
  if (x.length === 0) return undefined;
  const kwargs = kwargsWithFloat32(opts.kdeKwargs, isFloat32(x, y));
  const f32 = kwargs.float32 === true;
  const xs = applyScale(x, opts.xscale ?? "linear", f32);
  const ys = applyScale(y, opts.yscale ?? "linear", f32);
  let pxs: Float64Array | undefined;
  let pys: Float64Array | undefined;
  if (opts.positions) {
    pxs = applyScale(opts.positions.x, opts.xscale ?? "linear", f32);
    pys = applyScale(opts.positions.y, opts.yscale ?? "linear", f32);
  }
  return { kdeType, xs, ys, pxs, pys, kwargs };
}

/**
 * The kernel density at every event (or at `positions`), estimated from all events — dclab's
 * `get_kde_scatter`. NaN/inf events are ignored and get NaN; no events give an empty array.
 * Runs on the calling thread; see {@link kdeScatterAsync} for worker threads.
 *
 * @example
 * const density = kdeScatter(areaUm, deform, { kdeType: "histogram" });
 */
export function kdeScatter(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeScatterOptions = {},
): Float64Array {
  const s = scatterInput(x, y, opts);
  if (!s) return new Float64Array(0);
  return evaluate(s.kdeType, s.xs, s.ys, s.pxs, s.pys, s.kwargs);
}

/**
 * {@link kdeScatter} off the calling thread: the exact gauss and the multivariate KDE are split
 * over worker threads (same results up to summation order, ~1e-15), the others are computed
 * after yielding to the event loop. Rejects with the signal's reason when aborted.
 */
export async function kdeScatterAsync(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeScatterOptions & KdeParallelOptions = {},
): Promise<Float64Array> {
  opts.signal?.throwIfAborted();
  const s = scatterInput(x, y, opts);
  if (!s) return new Float64Array(0);
  return evaluateAsync(s.kdeType, s.xs, s.ys, s.pxs, s.pys, s.kwargs, opts);
}

/** numpy.linspace(start, stop, num) with endpoint. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(Math.max(0, num));
  if (num <= 0) return out;
  const div = num - 1;
  const delta = stop - start;
  if (div === 0) {
    out[0] = start;
    return out;
  }
  const step = delta / div;
  for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  out[num - 1] = stop;
  return out;
}

/** The largest contour grid (points) computed; beyond it `kdeContour` throws. */
export const MAX_CONTOUR_POINTS = 1e7;

interface ContourInput {
  kdeType: KdeType;
  xs: Float64Array;
  ys: Float64Array;
  kwargs: Record<string, unknown>;
  gx: Float64Array;
  gy: Float64Array;
  /** Mesh positions ("ij"), undefined without valid events. */
  mesh: { x: Float64Array; y: Float64Array } | undefined;
  xscale: KdeScale;
  yscale: KdeScale;
}

function contourInput(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeContourOptions,
): ContourInput {
  const xscale = opts.xscale ?? "linear";
  const yscale = opts.yscale ?? "linear";
  const kdeType = checkOptions(opts.kdeType ?? "histogram", xscale, yscale);
  checkLengths(x, y, "events");
  const kwargs = kwargsWithFloat32(opts.kdeKwargs, isFloat32(x, y));
  const f32 = kwargs.float32 === true;
  const xs = applyScale(x, xscale, f32);
  const ys = applyScale(y, yscale, f32);
  const xacc = opts.xacc ? opts.xacc : binWidthPercentile(xs);
  const yacc = opts.yacc ? opts.yacc : binWidthPercentile(ys);
  const [xc, yc] = finitePairs(xs, ys);
  if (xc.length === 0) {
    return {
      kdeType,
      xs,
      ys,
      kwargs,
      gx: Float64Array.of(0, 1),
      gy: Float64Array.of(0, 1),
      mesh: undefined,
      xscale,
      yscale,
    };
  }
  const [x0, x1] = minMax(xc);
  const [y0, y1] = minMax(yc);
  // numpy subtracts two float32 scalars in float32.
  const xr = f32 ? Math.fround(x1 - x0) : x1 - x0;
  const yr = f32 ? Math.fround(y1 - y0) : y1 - y0;
  const nx = Math.ceil(xr / xacc);
  const ny = Math.ceil(yr / yacc);
  if (!(nx <= MAX_CONTOUR_POINTS && ny <= MAX_CONTOUR_POINTS && nx * ny <= MAX_CONTOUR_POINTS)) {
    throw new KdeInputError(
      `the contour grid would have ${nx}×${ny} points (more than ${MAX_CONTOUR_POINTS}); ` +
        "set a larger xacc/yacc",
    );
  }
  const gx = linspace(x0, x1, nx);
  const gy = linspace(y0, y1, ny);
  const mx = new Float64Array(gx.length * gy.length);
  const my = new Float64Array(gx.length * gy.length);
  for (let i = 0; i < gx.length; i++) {
    for (let j = 0; j < gy.length; j++) {
      mx[i * gy.length + j] = gx[i]!;
      my[i * gy.length + j] = gy[j]!;
    }
  }
  return { kdeType, xs, ys, kwargs, gx, gy, mesh: { x: mx, y: my }, xscale, yscale };
}

function contourResult(c: ContourInput, density: Float64Array | undefined): KdeContourResult {
  const gx = c.xscale === "log" ? c.gx.map(Math.exp) : c.gx;
  const gy = c.yscale === "log" ? c.gy.map(Math.exp) : c.gy;
  const d = density ?? new Float64Array(4).fill(Number.NaN);
  return { x: gx, y: gy, density: d, nx: gx.length, ny: gy.length };
}

/**
 * The density on a regular grid for contour plots — dclab's `get_kde_contour`: spacing per axis
 * `xacc`/`yacc` (default (P90 − P10)/23, then (max − min)/10, then 1), ceil((max − min)/acc)
 * grid points from min to max, "ij" indexing. Without valid events: a 2×2 grid of NaN.
 * With a log scale the grid is computed in log space and returned in linear units.
 * @throws {@link KdeInputError} when the grid would exceed {@link MAX_CONTOUR_POINTS} points.
 */
export function kdeContour(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeContourOptions = {},
): KdeContourResult {
  const c = contourInput(x, y, opts);
  const density = c.mesh
    ? evaluate(c.kdeType, c.xs, c.ys, c.mesh.x, c.mesh.y, c.kwargs)
    : undefined;
  return contourResult(c, density);
}

/** {@link kdeContour} off the calling thread (see {@link kdeScatterAsync}). */
export async function kdeContourAsync(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeContourOptions & KdeParallelOptions = {},
): Promise<KdeContourResult> {
  opts.signal?.throwIfAborted();
  const c = contourInput(x, y, opts);
  const density = c.mesh
    ? await evaluateAsync(c.kdeType, c.xs, c.ys, c.mesh.x, c.mesh.y, c.kwargs, opts)
    : undefined;
  return contourResult(c, density);
}
