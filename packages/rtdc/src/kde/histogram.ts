/** Histogram-based KDE (dclab `kde_histogram`): a density histogram smoothed by a bicubic spline. */
import { type BinningOptions, binNumFinite, minMax } from "./binning.js";
import { BicubicGrid } from "./spline.js";

/** Bin edges like numpy's `histogram2d` with an integer bin count: linspace(min, max, bins + 1). */
export function histogramEdges(lo: number, hi: number, bins: number): Float64Array {
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** A 2-D density histogram: `density[ix·by + iy]` = count/(N·Δx·Δy) as numpy computes it. */
export interface Histogram2D {
  xedges: Float64Array;
  yedges: Float64Array;
  counts: Uint32Array;
  density: Float64Array;
}

/** numpy.histogram2d(x, y, bins=(bx, by), density=True) for finite, equal-length x and y. */
export function histogram2d(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  bx: number,
  by: number,
): Histogram2D {
  const [xlo, xhi] = minMax(x);
  const [ylo, yhi] = minMax(y);
  const xedges = histogramEdges(xlo, xhi, bx);
  const yedges = histogramEdges(ylo, yhi, by);
  const counts = new Uint32Array(bx * by);
  const xf = xedges[0]!;
  const yf = yedges[0]!;
  const xl = xedges[bx]!;
  const yl = yedges[by]!;
  const xinv = bx / (xl - xf);
  const yinv = by / (yl - yf);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xv = x[i]!;
    const yv = y[i]!;
    if (!(xv >= xf && xv <= xl && yv >= yf && yv <= yl)) continue;
    // The uniform-step guess is off by at most one bin; numpy's edges decide. Bins are
    // half-open [e_i, e_{i+1}) except the last, which also holds its right edge.
    let ix = ((xv - xf) * xinv) | 0;
    if (ix > bx - 1) ix = bx - 1;
    if (xv < xedges[ix]!) ix--;
    else if (ix < bx - 1 && xv >= xedges[ix + 1]!) ix++;
    let iy = ((yv - yf) * yinv) | 0;
    if (iy > by - 1) iy = by - 1;
    if (yv < yedges[iy]!) iy--;
    else if (iy < by - 1 && yv >= yedges[iy + 1]!) iy++;
    counts[ix * by + iy]!++;
    total++;
  }
  const density = new Float64Array(bx * by);
  for (let ix = 0; ix < bx; ix++) {
    const dx = xedges[ix + 1]! - xedges[ix]!;
    for (let iy = 0; iy < by; iy++) {
      const dy = yedges[iy + 1]! - yedges[iy]!;
      // Same operation order as numpy: divide by Δx, then by Δy, then by the total.
      density[ix * by + iy] = counts[ix * by + iy]! / dx / dy / total;
    }
  }
  return { xedges, yedges, counts, density };
}

/** Bin centres as dclab computes them: edges[1:] − (edges[1] − edges[0])/2. */
export function binCentres(edges: Float64Array): Float64Array {
  const half = (edges[1]! - edges[0]!) / 2;
  const out = new Float64Array(edges.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = edges[i + 1]! - half;
  return out;
}

/** Options of the histogram KDE. */
export interface HistogramKdeOptions extends BinningOptions {
  /**
   * Bins per axis (each ≥ 4).
   * @default max(5, Doane's bin number) per axis
   */
  bins?: [number, number];
}

/** Histogram KDE of finite events (ex, ey) evaluated at finite positions (px, py). */
export function kdeHistogram(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array,
  py: Float64Array,
  opts: HistogramKdeOptions = {},
): Float64Array {
  const f32 = opts.float32 ?? false;
  const bx = opts.bins?.[0] ?? Math.max(5, binNumFinite(ex, f32));
  const by = opts.bins?.[1] ?? Math.max(5, binNumFinite(ey, f32));
  const hist = histogram2d(ex, ey, bx, by);
  const spline = new BicubicGrid(binCentres(hist.xedges), binCentres(hist.yedges), hist.density);
  return spline.evaluateMany(px, py, new Float64Array(px.length), true);
}
