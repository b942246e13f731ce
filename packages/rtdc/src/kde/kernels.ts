/**
 * The O(N·M) kernel sums of the gauss and multivariate KDE, as one self-contained factory: the
 * same code runs on the calling thread and, via its source text, in worker threads (see
 * `parallel.ts`). It must not reference anything outside its own body.
 */

/** One unit of kernel work (plain data, so it can be posted to a worker). */
export type KernelTaskData =
  | { op: "self"; u: Float64Array; v: Float64Array; tolerance: number; part: number; parts: number }
  | {
      op: "positions";
      u: Float64Array;
      v: Float64Array;
      pu: Float64Array;
      pv: Float64Array;
      tolerance: number;
      from: number;
      to: number;
    }
  | {
      op: "multivariate";
      ex: Float64Array;
      ey: Float64Array;
      qx: Float64Array;
      qy: Float64Array;
      bx: number;
      by: number;
      float32: boolean;
      from: number;
      to: number;
    };

/** Build the kernel functions (tables included). */
export function createKernels() {
  /**
   * exp(z) for z ≤ 0 with ~1 ulp accuracy, faster than Math.exp in tight loops: z = (64m + j)·ln2/64
   * + r with |r| ≤ ln2/128, exp(z) = 2^m · 2^(j/64) · p(r), p a degree-5 Taylor polynomial (its
   * truncation error is below 4e-17 relative). Valid for −700 ≤ z ≤ 0; below that use Math.exp.
   */
  const TABLE_J = new Float64Array(64);
  for (let j = 0; j < 64; j++) TABLE_J[j] = 2 ** (j / 64);
  /** 2^m for m in [−1023, 0] at index m + 1023. */
  const TABLE_M = new Float64Array(1024);
  for (let m = 0; m < 1024; m++) TABLE_M[m] = 2 ** (m - 1023);

  const INV_STEP = 64 / Math.LN2;
  // ln2/64 split as in fdlibm (high part with 32 significant bits), so k·STEP_HI is exact.
  const STEP_HI = 0.6931471803691238 / 64;
  const STEP_LO = 1.9082149292705877e-10 / 64;
  const ROUND_MAGIC = 6755399441055744; // 1.5·2^52: adding it rounds to an integer

  /** The lowest argument `fastExp` accepts. */
  const FAST_EXP_MIN = -700;

  /** exp(z) for FAST_EXP_MIN ≤ z ≤ 0. */
  function fastExp(z: number): number {
    const kd = z * INV_STEP + ROUND_MAGIC - ROUND_MAGIC;
    const k = kd | 0;
    const r = z - kd * STEP_HI - kd * STEP_LO;
    const p =
      1 +
      r *
        (1 +
          r *
            (0.5 +
              r * (0.16666666666666666 + r * (0.041666666666666664 + r * 0.008333333333333333))));
    return p * TABLE_J[k & 63]! * TABLE_M[(k >> 6) + 1023]!;
  }

  /** Events sorted into square cells of a grid over their bounding box (counting sort). */
  type CellGrid = {
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
  };

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
  function selfSums(
    u: Float64Array,
    v: Float64Array,
    tolerance: number,
    part = 0,
    parts = 1,
    withSelf = true,
  ): Float64Array {
    const n = u.length;
    const r2max = 2 * Math.log(Math.max(n, 2) / tolerance);
    const radius = Math.sqrt(r2max);
    const g = buildGrid(u, v, radius / 4);
    const { nx, ny, cellStart, su, sv, size } = g;
    const sums = new Float64Array(n).fill(withSelf ? 1 : 0);
    const reach = Math.ceil(radius / size) + 1;
    for (let ax = 0; ax < nx; ax++) {
      for (let ay = 0; ay < ny; ay++) {
        const a = ax * ny + ay;
        // Work split for parallel runs: this part owns every `parts`-th cell.
        if (a % parts !== part) continue;
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

  /**
   * Multivariate (product-kernel) sums Σᵢ exp(−dx²/(2bx²))·exp(−dy²/(2by²))/(2π) at positions
   * `from`..`to` of (qx, qy); with `float32`, each 1-D kernel is evaluated in float32 as numpy does
   * for float32 features.
   */
  function multivariateSums(
    ex: Float64Array,
    ey: Float64Array,
    qx: Float64Array,
    qy: Float64Array,
    bx: number,
    by: number,
    float32: boolean,
    from: number,
    to: number,
  ): Float64Array {
    const n = ex.length;
    const out = new Float64Array(to - from);
    const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
    if (float32) {
      const f = Math.fround;
      const c = f(invSqrt2Pi);
      const dx2 = f(bx * bx * 2);
      const dy2 = f(by * by * 2);
      const sx = Float32Array.from(ex);
      const sy = Float32Array.from(ey);
      for (let p = from; p < to; p++) {
        const x = f(qx[p]!);
        const y = f(qy[p]!);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const dx = f(sx[i]! - x);
          const dy = f(sy[i]! - y);
          // exp in double then rounded: equals numpy's float32 exp but for rare last-bit ties.
          const zx = -f(f(dx * dx) / dx2);
          const zy = -f(f(dy * dy) / dy2);
          const kx = f(c * f(zx > FAST_EXP_MIN ? fastExp(zx) : 0));
          const ky = f(c * f(zy > FAST_EXP_MIN ? fastExp(zy) : 0));
          sum += kx * ky;
        }
        out[p - from] = sum;
      }
      return out;
    }
    const ax = -1 / (2 * bx * bx);
    const ay = -1 / (2 * by * by);
    const c2 = invSqrt2Pi * invSqrt2Pi;
    for (let p = from; p < to; p++) {
      const x = qx[p]!;
      const y = qy[p]!;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const dx = ex[i]! - x;
        const dy = ey[i]! - y;
        const z = ax * dx * dx + ay * dy * dy;
        sum += z >= FAST_EXP_MIN ? fastExp(z) : 0;
      }
      out[p - from] = sum * c2;
    }
    return out;
  }

  /** Run one task (on this thread or in a worker). */
  function runTask(t: KernelTaskData): Float64Array {
    if (t.op === "self") return selfSums(t.u, t.v, t.tolerance, t.part, t.parts, false);
    if (t.op === "positions") {
      return positionSums(
        t.u,
        t.v,
        t.pu.subarray(t.from, t.to),
        t.pv.subarray(t.from, t.to),
        t.tolerance,
      );
    }
    return multivariateSums(t.ex, t.ey, t.qx, t.qy, t.bx, t.by, t.float32, t.from, t.to);
  }

  return { FAST_EXP_MIN, fastExp, expNeg, selfSums, positionSums, multivariateSums, runTask };
}

/** The kernels for use on this thread. */
export const kernels = createKernels();
