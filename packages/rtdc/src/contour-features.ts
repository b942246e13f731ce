// Contour-derived ancillary features (inertia ratios, tilt, volume), computed as dclab does:
// polygon moments like OpenCV's contourMoments, volume by revolving the contour halves.

/** One contour: pixel coordinates. */
export interface ContourXY {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

interface Moments {
  m00: number;
  m10: number;
  m01: number;
  mu20: number;
  mu11: number;
  mu02: number;
}

const FLT_EPSILON = 1.19209e-7;
const DBL_EPSILON = 2.220446049250313e-16;

/** Second-order polygon moments (Green's theorem), undefined for a degenerate contour. */
export function contourMoments(x: ArrayLike<number>, y: ArrayLike<number>): Moments | undefined {
  const n = x.length;
  let a00 = 0;
  let a10 = 0;
  let a01 = 0;
  let a20 = 0;
  let a11 = 0;
  let a02 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    const xj = x[(i + 1) % n] as number;
    const yj = y[(i + 1) % n] as number;
    const dxy = xj * yi - xi * yj;
    const xs = xj + xi;
    const ys = yj + yi;
    a00 += dxy;
    a10 += dxy * xs;
    a01 += dxy * ys;
    a20 += dxy * (xj * xs + xi * xi);
    a11 += dxy * (xj * (ys + yj) + xi * (ys + yi));
    a02 += dxy * (yj * ys + yi * yi);
  }
  if (!(Math.abs(a00) > FLT_EPSILON)) return undefined;
  const s = a00 < 0 ? -1 : 1;
  const m00 = a00 * (0.5 * s);
  const m10 = a10 * (0.16666666666666666 * s);
  const m01 = a01 * (0.16666666666666666 * s);
  const m20 = a20 * (0.08333333333333333 * s);
  const m11 = a11 * (0.041666666666666664 * s);
  const m02 = a02 * (0.08333333333333333 * s);
  const cx = m00 > DBL_EPSILON ? m10 / m00 : 0;
  const cy = m00 > DBL_EPSILON ? m01 / m00 : 0;
  return { m00, m10, m01, mu20: m20 - m10 * cx, mu11: m11 - m10 * cy, mu02: m02 - m01 * cy };
}

/** sqrt(mu20/mu02) of the raw contour (NaN if degenerate). */
export function inertRatioRaw(c: ContourXY): number {
  const m = contourMoments(c.x, c.y);
  return m ? Math.sqrt(m.mu20 / m.mu02) : Number.NaN;
}

/** Convex hull vertices (counter-clockwise, collinear points dropped), Andrew's monotone chain. */
export function convexHull(c: ContourXY): { x: number[]; y: number[] } {
  const pts: [number, number][] = [];
  for (let i = 0; i < c.x.length; i++) pts.push([c.x[i] as number, c.y[i] as number]);
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (
      lower.length >= 2 &&
      cross(lower.at(-2) as [number, number], lower.at(-1) as [number, number], p) <= 0
    )
      lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i] as [number, number];
    while (
      upper.length >= 2 &&
      cross(upper.at(-2) as [number, number], upper.at(-1) as [number, number], p) <= 0
    )
      upper.pop();
    upper.push(p);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  return { x: hull.map((p) => p[0]), y: hull.map((p) => p[1]) };
}

/** Inertia ratio of the convex hull (NaN if the hull is degenerate, like a Qhull error). */
export function inertRatioCvx(c: ContourXY): number {
  const h = convexHull(c);
  if (h.x.length < 3) return Number.NaN;
  return inertRatioRaw(h);
}

/** Rotation-invariant inertia ratio (float32 like dclab). */
export function inertRatioPrnc(c: ContourXY): number {
  const m = contourMoments(c.x, c.y);
  if (!m) return Number.NaN;
  const orient = 0.5 * Math.atan2(2 * m.mu11, m.mu02 - m.mu20);
  const n = c.x.length;
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = c.x[i] as number;
    const yi = c.y[i] as number;
    const rho = Math.sqrt(xi * xi + yi * yi);
    const phi = Math.atan2(yi, xi) + orient + Math.PI / 2;
    rx[i] = rho * Math.cos(phi);
    ry[i] = rho * Math.sin(phi);
  }
  const mp = contourMoments(rx, ry);
  return mp ? Math.fround(Math.sqrt(mp.mu20 / mp.mu02)) : Number.NaN;
}

/** Absolute tilt of the raw contour's principal axis [rad]. */
export function tilt(c: ContourXY): number {
  const m = contourMoments(c.x, c.y);
  return m ? Math.abs(0.5 * Math.atan2(-2 * m.mu11, m.mu20 - m.mu02)) : Number.NaN;
}

function volRevolve(r: Float64Array, z: Float64Array, scale: number): number {
  let n = r.length;
  let rr = r;
  let zz = z;
  if (r[n - 1] !== r[0] || z[n - 1] !== z[0]) {
    rr = new Float64Array(n + 1);
    zz = new Float64Array(n + 1);
    rr.set(r);
    zz.set(z);
    rr[n] = r[0] as number;
    zz[n] = z[0] as number;
    n++;
  }
  let vol = 0;
  for (let i = 0; i < n - 1; i++) {
    const rp = rr[i] as number;
    const dr = (rr[i + 1] as number) - rp;
    const dz = (zz[i + 1] as number) - (zz[i] as number);
    vol += (Math.PI / 3) * dz * Math.abs(3 * rp * rp + 3 * rp * dr + dr * dr);
  }
  return vol * scale ** 3;
}

/** Volume [µm³] by revolving the upper and lower contour halves around the event centre. */
export function volume(c: ContourXY, posX: number, posY: number, pixelSize: number): number {
  const n = c.x.length;
  if (n < 4) return Number.NaN;
  const cx = new Float64Array(n);
  const cr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cx[i] = (c.x[i] as number) - posX / pixelSize;
    cr[i] = (c.y[i] as number) - posY / pixelSize;
  }
  const right = cr.map((v) => Math.max(0, v));
  const left = cr.map((v) => (v > 0 ? 0 : -v));
  const volRight = volRevolve(right, cx, pixelSize);
  const volLeft = volRevolve(left.slice().reverse(), cx.slice().reverse(), pixelSize);
  return (volRight + volLeft) / 2;
}
