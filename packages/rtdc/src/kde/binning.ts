/**
 * Bin widths and bin numbers for KDE grids, the way dclab (`kde/binning.py`) computes them.
 *
 * "float32" mode mirrors numpy's arithmetic on float32 feature arrays where it changes a result:
 * `max - min` is rounded to float32 and the skew's "zero variance" test uses float32 resolution.
 */

/** Options shared by the binning helpers. */
export interface BinningOptions {
  /**
   * Treat the data as float32 (as numpy does for float32 features).
   * @default false
   */
  float32?: boolean;
}

/** The values of `a` that are neither NaN nor ±Infinity, as a new Float64Array. */
export function finiteValues(a: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out;
}

/** Minimum and maximum of a non-empty array (no NaN expected). */
export function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** `max - min`, rounded to float32 in float32 mode (numpy subtracts two float32 scalars). */
function range(lo: number, hi: number, float32: boolean): number {
  return float32 ? Math.fround(hi - lo) : hi - lo;
}

/**
 * Biased sample skewness g1 = m3 / m2^1.5 (scipy.stats.skew with bias=True).
 * NaN when the variance is zero relative to the mean (scipy's test with the dtype's resolution).
 */
export function skewness(data: ArrayLike<number>, opts: BinningOptions = {}): number {
  return moments(data, opts.float32 ?? false).skew;
}

/** Skewness and range in two passes over the data. */
function moments(
  data: ArrayLike<number>,
  float32: boolean,
): { skew: number; lo: number; hi: number } {
  const n = data.length;
  if (n === 0) return { skew: Number.NaN, lo: Number.NaN, hi: Number.NaN };
  let sum = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const mean = sum / n;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n; i++) {
    const d = data[i]! - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
  }
  const m2 = s2 / n;
  const m3 = s3 / n;
  const resolution = float32 ? 1e-6 : 1e-15;
  const skew = m2 <= (resolution * mean) ** 2 ? Number.NaN : m3 / m2 ** 1.5;
  return { skew, lo, hi };
}

/** The intermediate values of Doane's formula (for diagnostics and tests). */
export interface DoaneResult {
  /** Number of finite values. */
  n: number;
  /** Biased skewness g1. */
  skew: number;
  /** Standard error of the skewness σ_g1 = √(6(n−2)/((n+1)(n+3))). */
  sigmaG1: number;
  /** Doane's bin count k = 1 + log2 n + log2(1 + |g1|/σ_g1) (not rounded). */
  k: number;
  /** Bin width (max − min)/k, or 1 for empty input. */
  width: number;
}

/** Doane's formula on the finite values of `a` (dclab `bin_width_doane` with intermediates). */
export function doane(a: ArrayLike<number>, opts: BinningOptions = {}): DoaneResult {
  return doaneFinite(finiteValues(a), opts.float32 ?? false);
}

/** Doane's formula on data known to be finite, plus the data range. */
export function doaneFinite(
  data: ArrayLike<number>,
  float32: boolean,
): DoaneResult & { lo: number; hi: number } {
  const n = data.length;
  if (n === 0) {
    return { n, skew: Number.NaN, sigmaG1: Number.NaN, k: Number.NaN, width: 1, lo: 0, hi: 0 };
  }
  const { skew: g1, lo, hi } = moments(data, float32);
  const sigmaG1 = Math.sqrt((6 * (n - 2)) / ((n + 1) * (n + 3)));
  const k = 1 + Math.log2(n) + Math.log2(1 + Math.abs(g1) / sigmaG1);
  return { n, skew: g1, sigmaG1, k, width: range(lo, hi, float32) / k, lo, hi };
}

/** Doane bin width of the finite values of `a` (1 for empty input; may be NaN or 0). */
export function binWidthDoane(a: ArrayLike<number>, opts: BinningOptions = {}): number {
  return doane(a, opts).width;
}

/** Round half to even (numpy's `np.round`). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round rounds .5 up; numpy rounds .5 to the even neighbour.
  if (Math.abs(v % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/**
 * Number of bins from Doane's formula: round((max − min)/width), or 5 when the width is 0 or NaN.
 * (dclab then uses `max(5, …)` for the histogram KDE.)
 */
export function binNumDoane(a: ArrayLike<number>, opts: BinningOptions = {}): number {
  return binNumFinite(finiteValues(a), opts.float32 ?? false);
}

/** {@link binNumDoane} for data known to be finite. */
export function binNumFinite(data: ArrayLike<number>, float32: boolean): number {
  const d = doaneFinite(data, float32);
  if (d.width === 0 || Number.isNaN(d.width)) return 5;
  return roundHalfEven(range(d.lo, d.hi, float32) / d.width);
}

/** Linear-interpolation percentile (numpy's default method) of sorted data, `q` in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (q / 100) * (n - 1);
  const below = Math.floor(virtual);
  const lower = sorted[Math.min(Math.max(below, 0), n - 1)]!;
  const upper = sorted[Math.min(below + 1, n - 1)]!;
  const gamma = virtual - below;
  const diff = upper - lower;
  // numpy's _lerp: interpolate from the nearer end.
  return gamma >= 0.5 ? upper - diff * (1 - gamma) : lower + diff * gamma;
}

/**
 * Grid spacing from percentiles (dclab `bin_width_percentile`): (P90 − P10)/23; if that is 0,
 * (max − min)/10; if that is 0 (or there is no data), 1.
 */
export function binWidthPercentile(a: ArrayLike<number>): number {
  const data = finiteValues(a);
  if (data.length === 0) return 1;
  data.sort();
  let acc = (percentileSorted(data, 90) - percentileSorted(data, 10)) / 23;
  if (acc === 0) acc = (data[data.length - 1]! - data[0]!) / 10;
  return acc || 1;
}
