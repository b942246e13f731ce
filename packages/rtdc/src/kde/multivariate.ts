/**
 * Product-kernel KDE (dclab `kde_multivariate`, statsmodels' KDEMultivariate with var_type "cc"):
 * f(p) = 1/n Σᵢ φ((px−xᵢ)/bx)/bx · φ((py−yᵢ)/by)/by, bandwidths (Doane width/2) per axis.
 *
 * In coordinates scaled by the bandwidths the kernel is exp(−r²/2), so the pruned, symmetric
 * sums of the exact Gaussian KDE apply (float64). dclab evaluates each 1-D kernel in float32 for
 * float32 features; `emulateFloat32Kernel` reproduces that term by term (slower, O(N·M)); both
 * agree with dclab to ~1e-7 relative, the bandwidth (float32 skew in scipy) dominating.
 */
import { type BinningOptions, doaneFinite } from "./binning.js";
import { chunks, isotropicKernelPlan, type KernelPlan } from "./gauss.js";
import { type KernelTaskData, kernels } from "./kernels.js";

/** Options of the multivariate KDE (pass them as `kdeKwargs`). */
export interface MultivariateKdeOptions extends BinningOptions {
  /**
   * Bandwidths [bx, by].
   * @default half of Doane's bin width per axis
   */
  bw?: [number, number];
  /**
   * Evaluate every kernel term in float32 arithmetic as numpy does for float32 features
   * (brute force); otherwise float64 with pruning of terms below `tolerance`.
   * @default false
   */
  emulateFloat32Kernel?: boolean;
  /**
   * Skipped terms sum to at most this fraction of the density sum (float64 path).
   * @default 1e-16
   */
  tolerance?: number;
}

/** The multivariate KDE as up to `parts` independent tasks (for worker threads). */
export function multivariatePlan(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: MultivariateKdeOptions,
  parts: number,
): KernelPlan {
  const qx = px ?? ex;
  const qy = py ?? ey;
  const n = ex.length;
  const count = qx.length;
  const float32 = opts.float32 ?? false;
  const bx = opts.bw?.[0] ?? doaneFinite(ex, float32).width / 2;
  const by = opts.bw?.[1] ?? doaneFinite(ey, float32).width / 2;
  // statsmodels needs more observations than variables.
  if (n <= 2 || !(bx > 0) || !(by > 0) || !Number.isFinite(bx) || !Number.isFinite(by)) {
    return { tasks: [], combine: () => new Float64Array(count).fill(Number.NaN) };
  }
  const scale = 1 / (bx * by);
  if (!opts.emulateFloat32Kernel) {
    const tolerance = opts.tolerance ?? 1e-16;
    const norm = scale / (2 * Math.PI * n);
    const scaled = (a: Float64Array, b: number) => a.map((v) => v / b);
    const u = scaled(ex, bx);
    const v = scaled(ey, by);
    const positions = px && py ? { u: scaled(qx, bx), v: scaled(qy, by) } : undefined;
    return isotropicKernelPlan(u, v, positions, { tolerance, norm, parts });
  }
  return {
    tasks: chunks(count, parts).map(([from, to]) => ({
      op: "multivariate" as const,
      ex,
      ey,
      qx: qx.slice(from, to),
      qy: qy.slice(from, to),
      bx,
      by,
      float32,
      from: 0,
      to: to - from,
    })),
    combine(results) {
      const out = new Float64Array(count);
      let k = 0;
      for (const r of results) for (let i = 0; i < r.length; i++) out[k++] = (r[i]! * scale) / n;
      return out;
    },
  };
}

/** Multivariate KDE of finite events at finite positions (undefined positions: the events). */
export function kdeMultivariate(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: MultivariateKdeOptions = {},
): Float64Array {
  const plan = multivariatePlan(ex, ey, px, py, opts, 1);
  return plan.combine(plan.tasks.map(kernels.runTask));
}
