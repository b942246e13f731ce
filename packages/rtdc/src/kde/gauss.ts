/**
 * Gaussian KDE with Scott's rule (scipy.stats.gaussian_kde as dclab's `kde_gauss` uses it):
 * Σ = cov(x, y; ddof=1)·n^(−1/3), f(p) = 1/(2π n √det Σ) Σᵢ exp(−½ (p−Xᵢ)ᵀ Σ⁻¹ (p−Xᵢ)).
 *
 * The exact method whitens the data with the Cholesky factor of Σ (so the kernel becomes
 * exp(−r²/2)), sorts events into a grid of cells and skips only terms whose total is provably
 * below `tolerance` times the density sum at that position; when the local sum is tiny it falls
 * back to summing every term. The binned method is a documented approximation.
 */
import { FAST_EXP_MIN, fastExp } from "./fastexp.js";

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

/** Events sorted into square cells of a grid over their bounding box (counting sort). */
interface CellGrid {
  size: number;
  x0: number;
  y0: number;
  nx: number;
  ny: number;
  /** cellStart[c]..cellStart[c+1] index the sorted arrays; c = cx·ny + cy. */
  cellStart: Int32Array;
  su: Float64Array;
  sv: Float64Array;
  /** Original index of every sorted event. */
  order: Int32Array;
}

function buildGrid(u: Float64Array, v: Float64Array, size: number): CellGrid {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < u.length; i++) {
    if (u[i]! < x0) x0 = u[i]!;
    if (u[i]! > x1) x1 = u[i]!;
    if (v[i]! < y0) y0 = v[i]!;
    if (v[i]! > y1) y1 = v[i]!;
  }
  // Bound the cell count for extremely spread data (a few far outliers).
  let s = size;
  while (((x1 - x0) / s + 1) * ((y1 - y0) / s + 1) > 4e6) s *= 2;
  const nx = Math.floor((x1 - x0) / s) + 1;
  const ny = Math.floor((y1 - y0) / s) + 1;
  const cellOf = new Int32Array(u.length);
  const cellStart = new Int32Array(nx * ny + 1);
  for (let i = 0; i < u.length; i++) {
    const cx = Math.min(nx - 1, Math.floor((u[i]! - x0) / s));
    const cy = Math.min(ny - 1, Math.floor((v[i]! - y0) / s));
    const c = cx * ny + cy;
    cellOf[i] = c;
    cellStart[c + 1]!++;
  }
  for (let c = 0; c < nx * ny; c++) cellStart[c + 1]! += cellStart[c]!;
  const fill = cellStart.slice(0, nx * ny);
  const su = new Float64Array(u.length);
  const sv = new Float64Array(u.length);
  const order = new Int32Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const k = fill[cellOf[i]!]!++;
    su[k] = u[i]!;
    sv[k] = v[i]!;
    order[k] = i;
  }
  return { size: s, x0, y0, nx, ny, cellStart, su, sv, order };
}

/**
 * Sum over all events of exp(−|uᵢ − uⱼ|²/2) for every event j (self term included), using the
 * symmetry of the kernel: each pair within the cut-off radius is evaluated once. Skipped pairs
 * are farther than R with n·exp(−R²/2) ≤ tolerance, and every sum is ≥ 1 (the self term).
 */
function selfSums(u: Float64Array, v: Float64Array, tolerance: number): Float64Array {
  const n = u.length;
  const r2max = 2 * Math.log(Math.max(n, 2) / tolerance);
  const radius = Math.sqrt(r2max);
  const g = buildGrid(u, v, radius / 4);
  const { nx, ny, cellStart, su, sv, size } = g;
  const sums = new Float64Array(n).fill(1);
  const reach = Math.ceil(radius / size) + 1;
  for (let ax = 0; ax < nx; ax++) {
    for (let ay = 0; ay < ny; ay++) {
      const a = ax * ny + ay;
      const aStart = cellStart[a]!;
      const aEnd = cellStart[a + 1]!;
      if (aStart === aEnd) continue;
      // Pairs inside the cell.
      for (let i = aStart; i < aEnd; i++) {
        const xi = su[i]!;
        const yi = sv[i]!;
        let acc = 0;
        for (let j = i + 1; j < aEnd; j++) {
          const dx = xi - su[j]!;
          const dy = yi - sv[j]!;
          const r2 = dx * dx + dy * dy;
          if (r2 <= r2max) {
            const e = fastExp(-0.5 * r2);
            acc += e;
            sums[j]! += e;
          }
        }
        sums[i]! += acc;
      }
      // Pairs with cells after this one (b > a) within reach.
      for (let bx = ax; bx <= Math.min(nx - 1, ax + reach); bx++) {
        const gapX = Math.max(0, bx - ax - 1) * size;
        const byStart = bx === ax ? ay + 1 : Math.max(0, ay - reach);
        for (let by = byStart; by <= Math.min(ny - 1, ay + reach); by++) {
          const gapY = Math.max(0, Math.abs(by - ay) - 1) * size;
          if (gapX * gapX + gapY * gapY > r2max) continue;
          const b = bx * ny + by;
          const bStart = cellStart[b]!;
          const bEnd = cellStart[b + 1]!;
          if (bStart === bEnd) continue;
          for (let i = aStart; i < aEnd; i++) {
            const xi = su[i]!;
            const yi = sv[i]!;
            let acc = 0;
            for (let j = bStart; j < bEnd; j++) {
              const dx = xi - su[j]!;
              const dy = yi - sv[j]!;
              const r2 = dx * dx + dy * dy;
              if (r2 <= r2max) {
                const e = fastExp(-0.5 * r2);
                acc += e;
                sums[j]! += e;
              }
            }
            sums[i]! += acc;
          }
        }
      }
    }
  }
  // Back to the original order.
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[g.order[k]!] = sums[k]!;
  return out;
}

/** exp(z) for any z ≤ 0. */
function expNeg(z: number): number {
  return z >= FAST_EXP_MIN ? fastExp(z) : Math.exp(z);
}

/**
 * Kernel sums at arbitrary whitened positions: rings of cells around each position are added
 * until the events not yet visited can contribute at most `tolerance` of the sum so far (plus
 * `baseline`, a known part of the total) — they are all at least d·size away after ring d —
 * or every event was visited.
 */
function positionSums(
  u: Float64Array,
  v: Float64Array,
  pu: Float64Array,
  pv: Float64Array,
  tolerance: number,
  baseline?: Float64Array,
): Float64Array {
  const n = u.length;
  const g = buildGrid(u, v, 1);
  const { nx, ny, cellStart, su, sv, size, x0, y0 } = g;
  const out = new Float64Array(pu.length);
  for (let p = 0; p < pu.length; p++) {
    const qx = pu[p]!;
    const qy = pv[p]!;
    // The position's cell (may lie outside the grid).
    const fx = (qx - x0) / size;
    const fy = (qy - y0) / size;
    const cx = Math.floor(Math.min(Math.max(fx, -1e6), 1e6));
    const cy = Math.floor(Math.min(Math.max(fy, -1e6), 1e6));
    const maxRing = Math.max(
      Math.abs(cx),
      Math.abs(cx - nx + 1),
      Math.abs(cy),
      Math.abs(cy - ny + 1),
    );
    // Rings closer than this lie entirely outside the grid.
    const firstRing = Math.max(0, -cx, cx - nx + 1, -cy, cy - ny + 1);
    let sum = 0;
    let visited = 0;
    for (let d = firstRing; d <= maxRing; d++) {
      const xLo = Math.max(0, cx - d);
      const xHi = Math.min(nx - 1, cx + d);
      for (let ix = xLo; ix <= xHi; ix++) {
        const onEdgeX = ix === cx - d || ix === cx + d;
        // Cells of ring d in this column: all rows if on the left/right edge, else top and bottom.
        const step = onEdgeX ? 1 : 2 * d;
        const yFrom = cy - d;
        for (let iy = yFrom; iy <= cy + d; iy += step > 0 ? step : 1) {
          if (iy < 0 || iy >= ny) continue;
          const c = ix * ny + iy;
          const start = cellStart[c]!;
          const end = cellStart[c + 1]!;
          for (let j = start; j < end; j++) {
            const dx = qx - su[j]!;
            const dy = qy - sv[j]!;
            sum += expNeg(-0.5 * (dx * dx + dy * dy));
          }
          visited += end - start;
          if (d === 0) break;
        }
      }
      if (visited === n) break;
      const gap = d * size;
      const known = baseline ? sum + baseline[p]! : sum;
      if ((n - visited) * Math.exp(-0.5 * gap * gap) <= tolerance * known) break;
    }
    out[p] = sum;
  }
  return out;
}

/** Exact Gaussian KDE of finite events at finite positions (undefined positions: the events). */
export function kdeGaussExact(
  ex: Float64Array,
  ey: Float64Array,
  px: Float64Array | undefined,
  py: Float64Array | undefined,
  opts: GaussKdeOptions = {},
): Float64Array {
  const tolerance = opts.tolerance ?? 1e-16;
  const m = gaussModel(ex, ey);
  const count = px ? px.length : ex.length;
  if (!m) return new Float64Array(count).fill(Number.NaN);
  const { u, v } = whiten(m, ex, ey);
  let sums: Float64Array;
  if (!px || !py) {
    sums = selfSums(u, v, tolerance);
  } else {
    const w = whiten(m, px, py);
    sums = positionSums(u, v, w.u, w.v, tolerance);
  }
  for (let i = 0; i < sums.length; i++) sums[i] = sums[i]! * m.norm;
  return sums;
}

/**
 * Binned Gaussian KDE (approximation): the bulk of the whitened events (0.1–99.9 % per axis) is
 * linearly binned on a grid, convolved with exp(−r²/2) (separable, cut at 9 widths) and
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
  const cut = 9; // exp(−81/2) ≈ 2.6e-18: the kernel is cut beyond 9 widths
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
