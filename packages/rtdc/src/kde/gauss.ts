/**
 * Gaussian KDE with Scott's rule (scipy.stats.gaussian_kde as dclab's `kde_gauss` uses it):
 * Σ = cov(x, y; ddof=1)·n^(−1/3), f(p) = 1/(2π n √det Σ) Σᵢ exp(−½ (p−Xᵢ)ᵀ Σ⁻¹ (p−Xᵢ)).
 *
 * The exact method whitens the data with the Cholesky factor of Σ (so the kernel becomes
 * exp(−r²/2)), sorts events into a grid of cells and skips only terms whose total is provably
 * below `tolerance` times the density sum at that position; when the local sum is tiny it falls
 * back to summing every term. The binned method is a documented approximation.
 */
import { type KernelTaskData, kernels } from "./kernels.js";

const { positionSums } = kernels;

/** Options of the Gaussian KDE (pass them as `kdeKwargs`). */
export interface GaussKdeOptions {
  /**
   * "exact": every term that matters at double precision (the result equals the full
   * O(N·M) sum to about 1e-15 relative). "binned": the events are binned (linear binning) on a
   * grid of `binnedSpacing` kernel widths, the grid is convolved with the kernel and the result is
   * interpolated bicubically — O(N + M + grid) and typically within 1e-3 relative of exact where
   * the density is not tiny.
   * @default "exact"
   */
  method?: "exact" | "binned";
  /**
   * Exact method: the skipped terms sum to at most `tolerance` times the computed sum.
   * @default 1e-16
   */
  tolerance?: number;
  /**
   * Binned method: grid spacing in units of the kernel width (whitened coordinates).
   * @default 0.1
   */
  binnedSpacing?: number;
}

/** Scott's-rule covariance Σ of finite events and its Cholesky factor; undefined if singular. */
export interface GaussModel {
  n: number;
  meanX: number;
  meanY: number;
  /** Σ = [[sxx, sxy], [sxy, syy]]. */
  sxx: number;
  sxy: number;
  syy: number;
  /** Cholesky factor of Σ: [[c11, 0], [c21, c22]]. */
  c11: number;
  c21: number;
  c22: number;
  /** 1/(2π n √det Σ). */
  norm: number;
}

/** Build the Gaussian model, or undefined when Σ is singular (dclab then returns NaN). */
export function gaussModel(ex: Float64Array, ey: Float64Array): GaussModel | undefined {
  const n = ex.length;
  // Two events always give a rank-1 covariance.
  if (n < 3) return undefined;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += ex[i]!;
    sy += ey[i]!;
  }
  const meanX = sx / n;
  const meanY = sy / n;
  let cxx = 0;
  let cxy = 0;
  let cyy = 0;
  for (let i = 0; i < n; i++) {
    const dx = ex[i]! - meanX;
    const dy = ey[i]! - meanY;
    cxx += dx * dx;
    cxy += dx * dy;
    cyy += dy * dy;
  }
  // scipy: factor = neff^(−1/(d+4)), covariance = data_covariance · factor².
  const factor = n ** (-1 / 6);
  const f2 = factor * factor;
  const sxx = (cxx / (n - 1)) * f2;
  const sxy = (cxy / (n - 1)) * f2;
  const syy = (cyy / (n - 1)) * f2;
  if (!(sxx > 0) || !Number.isFinite(sxx)) return undefined;
  const c11 = Math.sqrt(sxx);
  const c21 = sxy / c11;
  const rest = syy - c21 * c21;
  // A pivot that is zero or lost to rounding: numpy's inv/cholesky raise LinAlgError here.
  if (!(rest > syy * 1e-14) || !Number.isFinite(rest)) return undefined;
  const c22 = Math.sqrt(rest);
  const norm = 1 / (2 * Math.PI * n * c11 * c22);
  return { n, meanX, meanY, sxx, sxy, syy, c11, c21, c22, norm };
}

/** Whitened coordinates u = C⁻¹ (v − mean). */
function whiten(
  m: GaussModel,
  x: Float64Array,
  y: Float64Array,
): { u: Float64Array; v: Float64Array } {
  const u = new Float64Array(x.length);
  const v = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = (x[i]! - m.meanX) / m.c11;
    u[i] = a;
    v[i] = (y[i]! - m.meanY - m.c21 * a) / m.c22;
  }
  return { u, v };
}

/** Kernel tasks and how to combine their results into the output. */
export interface KernelPlan {
  tasks: KernelTaskData[];
  combine(results: Float64Array[]): Float64Array;
}

/** Split `count` items into at most `parts` contiguous [from, to) ranges. */
export function chunks(count: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, count));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++)
    out.push([Math.floor((i * count) / k), Math.floor(((i + 1) * count) / k)]);
  return out;
}

/** The exact Gaussian KDE as `parts` independent tasks (for worker threads). */
export function gaussExactPlan(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: GaussKdeOptions,
  parts: number,
): KernelPlan {
  const tolerance = opts.tolerance ?? 1e-16;
  const m = gaussModel(ex, ey);
  const count = px ? px.length : ex.length;
  if (!m) return { tasks: [], combine: () => new Float64Array(count).fill(Number.NaN) };
  const { u, v } = whiten(m, ex, ey);
  return isotropicKernelPlan(u, v, px && py ? whiten(m, px, py) : undefined, {
    tolerance,
    norm: m.norm,
    parts,
  });
}

/** Exact Gaussian KDE of finite events at finite positions (undefined positions: the events). */
export function kdeGaussExact(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: GaussKdeOptions = {},
): Float64Array {
  const plan = gaussExactPlan(ex, ey, px, py, opts, 1);
  return plan.combine(plan.tasks.map(kernels.runTask));
}

/**
 * Binned Gaussian KDE (approximation): the bulk of the whitened events (0.1–99.9 % per axis) is
 * linearly binned on a grid, convolved with exp(−r²/2) (separable, cut at 7 widths) and
 * interpolated (Catmull-Rom) at the positions; the remaining far events are added exactly, and
 * positions off the grid are computed exactly.
 */
export function kdeGaussBinned(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: GaussKdeOptions = {},
): Float64Array {
  const m = gaussModel(ex, ey);
  const count = px ? px.length : ex.length;
  if (!m) return new Float64Array(count).fill(Number.NaN);
  const tolerance = opts.tolerance ?? 1e-16;
  const { u, v } = whiten(m, ex, ey);
  const q = px && py ? whiten(m, px, py) : { u, v };
  // Kernel cut at 7 widths: exp(−49/2) ≈ 2e-11, far below the binning error (~1e-3).
  const cut = 7;
  let h = opts.binnedSpacing ?? 0.1;
  if (!(h > 0)) throw new RangeError(`binnedSpacing must be positive, got ${h}`);
  const [a0, b0] = quantileRange(u, 0.001);
  const [a1, b1] = quantileRange(v, 0.001);
  const lo0 = a0 - cut;
  const lo1 = a1 - cut;
  // Cap the grid size (memory and time) by coarsening the spacing.
  while (((b0 - a0 + 2 * cut) / h + 1) * ((b1 - a1 + 2 * cut) / h + 1) > 1e6) h *= 1.25;
  const n0 = Math.ceil((b0 - a0 + 2 * cut) / h) + 2;
  const n1 = Math.ceil((b1 - a1 + 2 * cut) / h) + 2;
  const grid = new Float64Array(n0 * n1);
  const farU: number[] = [];
  const farV: number[] = [];
  for (let i = 0; i < u.length; i++) {
    const ui = u[i]!;
    const vi = v[i]!;
    if (!(ui >= a0 && ui <= b0 && vi >= a1 && vi <= b1)) {
      farU.push(ui);
      farV.push(vi);
      continue;
    }
    const f0 = (ui - lo0) / h;
    const f1 = (vi - lo1) / h;
    const i0 = Math.floor(f0);
    const i1 = Math.floor(f1);
    const t0 = f0 - i0;
    const t1 = f1 - i1;
    const b = i0 * n1 + i1;
    grid[b]! += (1 - t0) * (1 - t1);
    grid[b + 1]! += (1 - t0) * t1;
    grid[b + n1]! += t0 * (1 - t1);
    grid[b + n1 + 1]! += t0 * t1;
  }
  const kw = Math.ceil(cut / h);
  const kernel = new Float64Array(2 * kw + 1);
  for (let k = -kw; k <= kw; k++) kernel[k + kw] = Math.exp(-0.5 * (k * h) ** 2);
  // Convolve along axis 1 (skipping empty cells), then along axis 0.
  const tmp = new Float64Array(n0 * n1);
  for (let i0 = 0; i0 < n0; i0++) {
    const row = i0 * n1;
    for (let i1 = 0; i1 < n1; i1++) {
      const w = grid[row + i1]!;
      if (w === 0) continue;
      const from = Math.max(0, i1 - kw);
      const to = Math.min(n1 - 1, i1 + kw);
      for (let j = from; j <= to; j++) tmp[row + j]! += w * kernel[j - i1 + kw]!;
    }
  }
  const dens = new Float64Array(n0 * n1);
  for (let i0 = 0; i0 < n0; i0++) {
    const src = i0 * n1;
    let empty = true;
    for (let i1 = 0; i1 < n1 && empty; i1++) if (tmp[src + i1] !== 0) empty = false;
    if (empty) continue;
    const from = Math.max(0, i0 - kw);
    const to = Math.min(n0 - 1, i0 + kw);
    for (let j0 = from; j0 <= to; j0++) {
      const k = kernel[j0 - i0 + kw]!;
      const dst = j0 * n1;
      for (let i1 = 0; i1 < n1; i1++) dens[dst + i1]! += k * tmp[src + i1]!;
    }
  }
  const sums = new Float64Array(count);
  const onGrid: number[] = [];
  const offGrid: number[] = [];
  for (let p = 0; p < count; p++) {
    const f0 = (q.u[p]! - lo0) / h;
    const f1 = (q.v[p]! - lo1) / h;
    if (!(f0 >= 1 && f1 >= 1 && f0 < n0 - 2 && f1 < n1 - 2)) {
      offGrid.push(p);
      continue;
    }
    onGrid.push(p);
    const i0 = Math.floor(f0);
    const i1 = Math.floor(f1);
    const w0 = catmullRom(f0 - i0);
    const w1 = catmullRom(f1 - i1);
    let s = 0;
    for (let a = 0; a < 4; a++) {
      const row = (i0 - 1 + a) * n1 + i1 - 1;
      s +=
        w0[a]! *
        (w1[0] * dens[row]! +
          w1[1] * dens[row + 1]! +
          w1[2] * dens[row + 2]! +
          w1[3] * dens[row + 3]!);
    }
    sums[p] = Math.max(0, s);
  }
  if (farU.length > 0 && onGrid.length > 0) {
    // The far events, exactly, on top of the binned bulk.
    const base = Float64Array.from(onGrid, (p) => sums[p]!);
    const add = positionSums(
      Float64Array.from(farU),
      Float64Array.from(farV),
      Float64Array.from(onGrid, (p) => q.u[p]!),
      Float64Array.from(onGrid, (p) => q.v[p]!),
      Math.max(tolerance, 1e-12),
      base,
    );
    for (let k = 0; k < onGrid.length; k++) sums[onGrid[k]!]! += add[k]!;
  }
  if (offGrid.length > 0) {
    // Positions away from the bulk: every event exactly.
    const exact = positionSums(
      u,
      v,
      Float64Array.from(offGrid, (p) => q.u[p]!),
      Float64Array.from(offGrid, (p) => q.v[p]!),
      tolerance,
    );
    for (let k = 0; k < offGrid.length; k++) sums[offGrid[k]!] = exact[k]!;
  }
  for (let p = 0; p < count; p++) sums[p] = sums[p]! * m.norm;
  return sums;
}

/** [q-quantile, (1−q)-quantile] of an array (nearest rank). */
function quantileRange(a: Float64Array, q: number): [number, number] {
  const sorted = Float64Array.from(a).sort();
  const n = sorted.length;
  const lo = sorted[Math.floor(q * (n - 1))]!;
  const hi = sorted[Math.ceil((1 - q) * (n - 1))]!;
  return [lo, hi];
}

function catmullRom(t: number): [number, number, number, number] {
  const t2 = t * t;
  const t3 = t2 * t;
  return [
    -0.5 * t3 + t2 - 0.5 * t,
    1.5 * t3 - 2.5 * t2 + 1,
    -1.5 * t3 + 2 * t2 + 0.5 * t,
    0.5 * t3 - 0.5 * t2,
  ];
}

/**
 * Tasks for a sum of unit isotropic Gaussian kernels over the data `(u, v)`, scaled by `norm`: at
 * the data points themselves (each pair summed once, the self term added here) or at `positions`.
 * Shared by the gauss KDE (after whitening) and the multivariate KDE (after scaling by bandwidth).
 */
export function isotropicKernelPlan(
  u: Float64Array,
  v: Float64Array,
  positions: { u: Float64Array; v: Float64Array } | undefined,
  { tolerance, norm, parts }: { tolerance: number; norm: number; parts: number },
): KernelPlan {
  if (!positions) {
    const count = u.length;
    const k = Math.max(1, parts);
    const tasks: KernelTaskData[] = [];
    for (let part = 0; part < k; part++)
      tasks.push({ op: "self", u, v, tolerance, part, parts: k });
    return {
      tasks,
      combine(results) {
        // Each pair was summed by exactly one task; add the self term once.
        const out = new Float64Array(count).fill(1);
        for (const r of results) for (let i = 0; i < count; i++) out[i]! += r[i]!;
        for (let i = 0; i < count; i++) out[i] = out[i]! * norm;
        return out;
      },
    };
  }
  const count = positions.u.length;
  return {
    tasks: chunks(count, parts).map(([from, to]) => ({
      op: "positions" as const,
      u,
      v,
      // Own copies: posting a view to a worker would clone its whole buffer.
      pu: positions.u.slice(from, to),
      pv: positions.v.slice(from, to),
      tolerance,
      from: 0,
      to: to - from,
    })),
    combine(results) {
      const out = new Float64Array(count);
      let k = 0;
      for (const r of results) for (let i = 0; i < r.length; i++) out[k++] = r[i]! * norm;
      return out;
    },
  };
}
