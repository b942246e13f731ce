/**
 * Cubic spline interpolation with "not-a-knot" end conditions, and its tensor product on a
 * rectangular grid. With s = 0 and k = 3, FITPACK's `regrid` (scipy's RectBivariateSpline) places
 * the interior knots at every data point except the second and the second-to-last, which is
 * exactly the not-a-knot interpolant; the 2-D interpolant is the separable product of 1-D ones.
 */

/**
 * Slopes s_i of the not-a-knot cubic spline through (x_i, y_i), read from `y` with a stride.
 * Needs at least 4 strictly increasing knots.
 */
function notAKnotSlopes(
  x: Float64Array,
  y: Float64Array,
  yOffset: number,
  yStride: number,
  slopes: Float64Array,
  work: Float64Array,
): void {
  const n = x.length;
  // Tridiagonal system: sub[i]·s[i−1] + diag[i]·s[i] + sup[i]·s[i+1] = rhs[i].
  const sub = work.subarray(0, n);
  const diag = work.subarray(n, 2 * n);
  const sup = work.subarray(2 * n, 3 * n);
  const rhs = slopes;
  const yAt = (i: number) => y[yOffset + i * yStride]!;
  const h0 = x[1]! - x[0]!;
  const h1 = x[2]! - x[1]!;
  const d0 = (yAt(1) - yAt(0)) / h0;
  const d1 = (yAt(2) - yAt(1)) / h1;
  // Not-a-knot at the start: the third derivative is continuous at x[1].
  sub[0] = 0;
  diag[0] = h1;
  sup[0] = h0 + h1;
  rhs[0] = ((h0 + 2 * (h0 + h1)) * h1 * d0 + h0 * h0 * d1) / (h0 + h1);
  let hPrev = h0;
  let dPrev = d0;
  for (let i = 1; i < n - 1; i++) {
    const h = x[i + 1]! - x[i]!;
    const d = (yAt(i + 1) - yAt(i)) / h;
    sub[i] = h;
    diag[i] = 2 * (hPrev + h);
    sup[i] = hPrev;
    rhs[i] = 3 * (h * dPrev + hPrev * d);
    hPrev = h;
    dPrev = d;
  }
  // Not-a-knot at the end: the third derivative is continuous at x[n−2].
  const hA = x[n - 2]! - x[n - 3]!;
  const hB = x[n - 1]! - x[n - 2]!;
  const dA = (yAt(n - 2) - yAt(n - 3)) / hA;
  const dB = (yAt(n - 1) - yAt(n - 2)) / hB;
  sub[n - 1] = hA + hB;
  diag[n - 1] = hA;
  sup[n - 1] = 0;
  rhs[n - 1] = (hB * hB * dA + (2 * (hA + hB) + hB) * hA * dB) / (hA + hB);
  // Thomas algorithm; the system is well conditioned for (nearly) uniform knots.
  for (let i = 1; i < n; i++) {
    const m = sub[i]! / diag[i - 1]!;
    diag[i] = diag[i]! - m * sup[i - 1]!;
    rhs[i] = rhs[i]! - m * rhs[i - 1]!;
  }
  rhs[n - 1] = rhs[n - 1]! / diag[n - 1]!;
  for (let i = n - 2; i >= 0; i--) rhs[i] = (rhs[i]! - sup[i]! * rhs[i + 1]!) / diag[i]!;
}

/**
 * Power-basis coefficients of the not-a-knot spline on every interval: for interval i and
 * t = x − x_i, p(t) = c[4i] + c[4i+1]·t + c[4i+2]·t² + c[4i+3]·t³. Writes 4(n−1) values to `out`
 * at `outOffset` with stride `outStride` between coefficients.
 */
function intervalCoefficients(
  x: Float64Array,
  y: Float64Array,
  yOffset: number,
  yStride: number,
  out: Float64Array,
  outOffset: number,
  outStride: number,
  slopes: Float64Array,
  work: Float64Array,
): void {
  const n = x.length;
  notAKnotSlopes(x, y, yOffset, yStride, slopes, work);
  for (let i = 0; i < n - 1; i++) {
    const h = x[i + 1]! - x[i]!;
    const y0 = y[yOffset + i * yStride]!;
    const delta = (y[yOffset + (i + 1) * yStride]! - y0) / h;
    const s0 = slopes[i]!;
    const s1 = slopes[i + 1]!;
    const base = outOffset + 4 * i * outStride;
    out[base] = y0;
    out[base + outStride] = s0;
    out[base + 2 * outStride] = (3 * delta - 2 * s0 - s1) / h;
    out[base + 3 * outStride] = (s0 + s1 - 2 * delta) / (h * h);
  }
}

/** A 1-D not-a-knot cubic spline (for tests and for 1-D use); evaluation clamps to the knots. */
export class NotAKnotSpline {
  readonly x: Float64Array;
  private readonly coef: Float64Array;

  constructor(x: ArrayLike<number>, y: ArrayLike<number>) {
    if (x.length !== y.length) throw new RangeError("x and y must have the same length");
    if (x.length < 4) throw new RangeError("a not-a-knot cubic spline needs at least 4 knots");
    this.x = Float64Array.from(x);
    for (let i = 1; i < this.x.length; i++) {
      if (!(this.x[i]! > this.x[i - 1]!)) throw new RangeError("knots must strictly increase");
    }
    const n = this.x.length;
    this.coef = new Float64Array(4 * (n - 1));
    const yv = Float64Array.from(y);
    intervalCoefficients(
      this.x,
      yv,
      0,
      1,
      this.coef,
      0,
      1,
      new Float64Array(n),
      new Float64Array(3 * n),
    );
  }

  /** Value at `t` (clamped to [x₀, x_{n−1}]). */
  evaluate(t: number): number {
    const x = this.x;
    const i = findInterval(x, t);
    const u = clamp(t, x[0]!, x[x.length - 1]!) - x[i]!;
    const c = this.coef;
    const b = 4 * i;
    return c[b]! + u * (c[b + 1]! + u * (c[b + 2]! + u * c[b + 3]!));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

/** Index i of the interval [x_i, x_{i+1}] holding t (t clamped), by bisection. */
function findInterval(x: Float64Array, t: number): number {
  let lo = 0;
  let hi = x.length - 2;
  if (!(t > x[0]!)) return 0;
  if (t >= x[hi]!) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t >= x[mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The bicubic interpolant of z (index ix·ny + iy) on the grid (gx, gy): the not-a-knot spline
 * along y for every x row, then along x for every y coefficient. Stored per cell as 16
 * power-basis coefficients so that evaluating one point costs one cell lookup and 16 multiply-adds.
 * Query points are clamped to the grid (as FITPACK does).
 */
export class BicubicGrid {
  readonly gx: Float64Array;
  readonly gy: Float64Array;
  /** Per cell (cx·(ny−1) + cy): a[q·4 + p] multiplies tx^q·ty^p. */
  private readonly cells: Float64Array;
  private readonly x0: number;
  private readonly y0: number;
  private readonly invDx: number;
  private readonly invDy: number;

  constructor(gx: ArrayLike<number>, gy: ArrayLike<number>, z: ArrayLike<number>) {
    const nx = gx.length;
    const ny = gy.length;
    if (nx < 4 || ny < 4) throw new RangeError("a bicubic spline grid needs at least 4×4 knots");
    if (z.length !== nx * ny) throw new RangeError("z must have nx·ny values");
    this.gx = Float64Array.from(gx);
    this.gy = Float64Array.from(gy);
    const zv = Float64Array.from(z);
    const ncy = ny - 1;
    const ncx = nx - 1;
    const work = new Float64Array(3 * Math.max(nx, ny));
    const slopes = new Float64Array(Math.max(nx, ny));
    // Along y: row ix gives 4·ncy coefficients, stored at yc[ix·4ncy + 4cy + p].
    const yc = new Float64Array(nx * 4 * ncy);
    for (let ix = 0; ix < nx; ix++) {
      intervalCoefficients(this.gy, zv, ix * ny, 1, yc, ix * 4 * ncy, 1, slopes, work);
    }
    // Along x: for every (cy, p) the values yc[ix·4ncy + 4cy + p] over ix form the data.
    this.cells = new Float64Array(ncx * ncy * 16);
    const xc = new Float64Array(4 * ncx);
    for (let cy = 0; cy < ncy; cy++) {
      for (let p = 0; p < 4; p++) {
        intervalCoefficients(this.gx, yc, 4 * cy + p, 4 * ncy, xc, 0, 1, slopes, work);
        for (let cx = 0; cx < ncx; cx++) {
          const cell = (cx * ncy + cy) * 16;
          for (let q = 0; q < 4; q++) this.cells[cell + q * 4 + p] = xc[4 * cx + q]!;
        }
      }
    }
    this.x0 = this.gx[0]!;
    this.y0 = this.gy[0]!;
    this.invDx = (nx - 1) / (this.gx[nx - 1]! - this.x0);
    this.invDy = (ny - 1) / (this.gy[ny - 1]! - this.y0);
  }

  /** Interpolated value at (x, y), clamped to the grid. */
  evaluate(x: number, y: number): number {
    const gx = this.gx;
    const gy = this.gy;
    const nx = gx.length;
    const ny = gy.length;
    const xl = gx[nx - 1]!;
    const yl = gy[ny - 1]!;
    const xv = x < this.x0 ? this.x0 : Math.min(x, xl);
    const yv = y < this.y0 ? this.y0 : Math.min(y, yl);
    // Uniform-grid guess, off by at most one cell; the actual knots decide.
    let cx = ((xv - this.x0) * this.invDx) | 0;
    if (cx > nx - 2) cx = nx - 2;
    if (xv < gx[cx]!) cx--;
    else if (cx < nx - 2 && xv >= gx[cx + 1]!) cx++;
    let cy = ((yv - this.y0) * this.invDy) | 0;
    if (cy > ny - 2) cy = ny - 2;
    if (yv < gy[cy]!) cy--;
    else if (cy < ny - 2 && yv >= gy[cy + 1]!) cy++;
    const tx = xv - gx[cx]!;
    const ty = yv - gy[cy]!;
    const a = this.cells;
    const b = (cx * (ny - 1) + cy) * 16;
    const r0 = a[b]! + ty * (a[b + 1]! + ty * (a[b + 2]! + ty * a[b + 3]!));
    const r1 = a[b + 4]! + ty * (a[b + 5]! + ty * (a[b + 6]! + ty * a[b + 7]!));
    const r2 = a[b + 8]! + ty * (a[b + 9]! + ty * (a[b + 10]! + ty * a[b + 11]!));
    const r3 = a[b + 12]! + ty * (a[b + 13]! + ty * (a[b + 14]! + ty * a[b + 15]!));
    return r0 + tx * (r1 + tx * (r2 + tx * r3));
  }

  /**
   * Evaluate at many points (clamped), writing max(0, value) when `clipNegative` is set.
   * One tight loop with everything in locals: several times faster than calling `evaluate`.
   */
  evaluateMany(
    px: Float64Array,
    py: Float64Array,
    out: Float64Array,
    clipNegative = false,
  ): Float64Array {
    const gx = this.gx;
    const gy = this.gy;
    const a = this.cells;
    const nx = gx.length;
    const ny = gy.length;
    const x0 = this.x0;
    const y0 = this.y0;
    const xl = gx[nx - 1]!;
    const yl = gy[ny - 1]!;
    const invDx = this.invDx;
    const invDy = this.invDy;
    const lastX = nx - 2;
    const lastY = ny - 2;
    for (let i = 0; i < px.length; i++) {
      let xv = px[i]!;
      let yv = py[i]!;
      if (xv < x0) xv = x0;
      else if (xv > xl) xv = xl;
      if (yv < y0) yv = y0;
      else if (yv > yl) yv = yl;
      // The uniform-grid cell; at a knot it may be the neighbour, whose polynomial agrees there
      // to rounding (the spline is C²), so no correction against the knots is needed.
      let cx = ((xv - x0) * invDx) | 0;
      if (cx > lastX) cx = lastX;
      let cy = ((yv - y0) * invDy) | 0;
      if (cy > lastY) cy = lastY;
      const tx = xv - gx[cx]!;
      const ty = yv - gy[cy]!;
      const ty2 = ty * ty;
      const ty3 = ty2 * ty;
      const b = (cx * (ny - 1) + cy) << 4;
      // Estrin-like order: shorter dependency chains than Horner.
      const r0 = a[b]! + ty * a[b + 1]! + (ty2 * a[b + 2]! + ty3 * a[b + 3]!);
      const r1 = a[b + 4]! + ty * a[b + 5]! + (ty2 * a[b + 6]! + ty3 * a[b + 7]!);
      const r2 = a[b + 8]! + ty * a[b + 9]! + (ty2 * a[b + 10]! + ty3 * a[b + 11]!);
      const r3 = a[b + 12]! + ty * a[b + 13]! + (ty2 * a[b + 14]! + ty3 * a[b + 15]!);
      const tx2 = tx * tx;
      const v = r0 + tx * r1 + (tx2 * r2 + tx2 * tx * r3);
      out[i] = clipNegative && v < 0 ? 0 : v;
    }
    return out;
  }
}
