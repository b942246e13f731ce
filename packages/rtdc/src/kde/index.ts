/**
 * Kernel density estimates for scatter and contour plots, reproducing dclab's `get_kde_scatter`
 * and `get_kde_contour` on plain arrays (the caller applies the dataset's filter first).
 */
import { binWidthPercentile, finiteValues, minMax } from "./binning.js";
import { type GaussKdeOptions, kdeGaussBinned, kdeGaussExact } from "./gauss.js";
import { type HistogramKdeOptions, kdeHistogram } from "./histogram.js";
import { kdeMultivariate, type MultivariateKdeOptions } from "./multivariate.js";

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
export { BicubicGrid, NotAKnotSpline } from "./spline.js";

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
  /** @default "linear" */
  xscale?: KdeScale;
  /** @default "linear" */
  yscale?: KdeScale;
  /**
   * Method options: histogram `{ bins: [bx, by] }`; gauss `{ method: "exact" | "binned",
   * tolerance, binnedSpacing }` (see {@link GaussKdeOptions}); multivariate `{ bw: [bx, by] }`.
   * All methods accept `float32` (default: true when x and y are both Float32Array, which makes
   * the arithmetic follow numpy on float32 features).
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
  x: Float64Array;
  y: Float64Array;
  density: Float64Array;
  nx: number;
  ny: number;
}

/** Invalid KDE input or options (code "RTDC_KDE_INVALID"). */
export class KdeInputError extends Error {
  readonly code = "RTDC_KDE_INVALID";
  constructor(message: string) {
    super(message);
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

/** Keep only the (x, y) pairs where both are finite. */
function finitePairs(x: Float64Array, y: Float64Array): [Float64Array, Float64Array, Uint8Array] {
  const good = new Uint8Array(x.length);
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      good[i] = 1;
      count++;
    }
  }
  const fx = new Float64Array(count);
  const fy = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    if (good[i]) {
      fx[k] = x[i]!;
      fy[k++] = y[i]!;
    }
  }
  return [fx, fy, good];
}

/**
 * Run one estimator like dclab's `ignore_nan_inf` wrapper: events with NaN/inf are dropped from
 * the estimate, positions with NaN/inf get NaN, and with no valid event every valid position gets 0.
 */
function evaluate(
  kdeType: KdeType,
  xs: Float64Array,
  ys: Float64Array,
  pxs: Float64Array | undefined,
  pys: Float64Array | undefined,
  kwargs: Record<string, unknown>,
): Float64Array {
  const count = pxs ? pxs.length : xs.length;
  if (kdeType === "none") return new Float64Array(count).fill(1);
  const [ex, ey, goodIn] = finitePairs(xs, ys);
  let qx: Float64Array | undefined;
  let qy: Float64Array | undefined;
  let goodOut = goodIn;
  if (pxs && pys) {
    [qx, qy, goodOut] = finitePairs(pxs, pys);
  }
  const out = new Float64Array(count);
  if (ex.length > 0) {
    const allGood = (qx ? qx.length : ex.length) === count;
    // With every event valid and no positions, evaluate at the events (allows symmetric sums).
    const values = estimator(kdeType, ex, ey, qx, qy, kwargs);
    if (allGood) out.set(values);
    else {
      let k = 0;
      for (let i = 0; i < count; i++) if (goodOut[i]) out[i] = values[k++]!;
    }
  }
  for (let i = 0; i < count; i++) if (!goodOut[i]) out[i] = Number.NaN;
  return out;
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
      if (o.method === "binned") return kdeGaussBinned(ex, ey, qx, qy, o);
      if (o.method !== undefined && o.method !== "exact") {
        throw new KdeInputError(`gauss method must be "exact" or "binned", got "${o.method}"`);
      }
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
  const k = { ...(kwargs ?? {}) };
  if (k.float32 === undefined) k.float32 = float32;
  return k;
}

/**
 * The kernel density at every event (or at `positions`), estimated from all events — dclab's
 * `get_kde_scatter`. NaN/inf events are ignored and get NaN; no events give an empty array.
 *
 * @example
 * const density = kdeScatter(areaUm, deform, { kdeType: "histogram" });
 */
export function kdeScatter(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeScatterOptions = {},
): Float64Array {
  const kdeType = checkOptions(
    opts.kdeType ?? "histogram",
    opts.xscale ?? "linear",
    opts.yscale ?? "linear",
  );
  checkLengths(x, y, "events");
  if (opts.positions) checkLengths(opts.positions.x, opts.positions.y, "positions");
  if (x.length === 0) return new Float64Array(0);
  const float32 = isFloat32(x, y);
  const kwargs = kwargsWithFloat32(opts.kdeKwargs, float32);
  const f32 = kwargs.float32 === true;
  const xs = applyScale(x, opts.xscale ?? "linear", f32);
  const ys = applyScale(y, opts.yscale ?? "linear", f32);
  let pxs: Float64Array | undefined;
  let pys: Float64Array | undefined;
  if (opts.positions) {
    pxs = applyScale(opts.positions.x, opts.xscale ?? "linear", f32);
    pys = applyScale(opts.positions.y, opts.yscale ?? "linear", f32);
  }
  return evaluate(kdeType, xs, ys, pxs, pys, kwargs);
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

/**
 * The density on a regular grid for contour plots — dclab's `get_kde_contour`: spacing per axis
 * `xacc`/`yacc` (default (P90 − P10)/23, then (max − min)/10, then 1), ceil((max − min)/acc)
 * grid points from min to max, "ij" indexing. Without valid events: a 2×2 grid of NaN.
 * With a log scale the grid is computed in log space and returned in linear units.
 */
export function kdeContour(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: KdeContourOptions = {},
): KdeContourResult {
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
  let gx: Float64Array;
  let gy: Float64Array;
  let density: Float64Array;
  if (xc.length > 0) {
    const [x0, x1] = minMax(xc);
    const [y0, y1] = minMax(yc);
    const xr = f32 ? Math.fround(x1 - x0) : x1 - x0;
    const yr = f32 ? Math.fround(y1 - y0) : y1 - y0;
    gx = linspace(x0, x1, Math.ceil(xr / xacc));
    gy = linspace(y0, y1, Math.ceil(yr / yacc));
    const mx = new Float64Array(gx.length * gy.length);
    const my = new Float64Array(gx.length * gy.length);
    for (let i = 0; i < gx.length; i++) {
      for (let j = 0; j < gy.length; j++) {
        mx[i * gy.length + j] = gx[i]!;
        my[i * gy.length + j] = gy[j]!;
      }
    }
    density = evaluate(kdeType, xs, ys, mx, my, kwargs);
  } else {
    gx = Float64Array.of(0, 1);
    gy = Float64Array.of(0, 1);
    density = new Float64Array(4).fill(Number.NaN);
  }
  if (xscale === "log") gx = gx.map(Math.exp);
  if (yscale === "log") gy = gy.map(Math.exp);
  return { x: gx, y: gy, density, nx: gx.length, ny: gy.length };
}

/** The finite values of an array (exported for callers that prepare KDE input). */
export { finiteValues };
