/** Always-run KDE tests on synthetic data with independently known answers. */
import { describe, expect, it } from "vitest";
import { RtdcError } from "../errors.js";
import { roundHalfEven } from "./binning.js";
import { fastExp } from "./fastexp.js";
import { histogram2d, histogramEdges } from "./histogram.js";
import {
  binNumDoane,
  binWidthDoane,
  binWidthPercentile,
  doane,
  KdeInputError,
  kdeContour,
  kdeScatter,
} from "./index.js";
import { BicubicGrid, NotAKnotSpline } from "./spline.js";

/** Deterministic pseudo-random numbers (LCG) for reproducible synthetic data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

/** A skewed 2-D cloud like RT-DC area/deform, plus a few far outliers. */
function cloud(n: number, seed = 1): { x: Float64Array; y: Float64Array } {
  const r = rng(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = normal(r);
    x[i] = 50 + 8 * a + 3 * Math.exp(normal(r));
    y[i] = 0.02 + 0.003 * a + 0.004 * Math.exp(0.8 * normal(r));
  }
  x[0] = 400;
  y[0] = 0.4;
  x[1] = -100;
  y[1] = 0.02;
  return { x, y };
}

/** scipy's gaussian_kde written out naively with an explicit matrix inverse. */
function naiveGauss(x: ArrayLike<number>, y: ArrayLike<number>, px: number[], py: number[]) {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    a += ((x[i]! - mx) * (x[i]! - mx)) / (n - 1);
    b += ((x[i]! - mx) * (y[i]! - my)) / (n - 1);
    c += ((y[i]! - my) * (y[i]! - my)) / (n - 1);
  }
  const f = n ** (-1 / 3);
  a *= f;
  b *= f;
  c *= f;
  const det = a * c - b * b;
  const [ia, ib, ic] = [c / det, -b / det, a / det];
  return px.map((qx, k) => {
    const qy = py[k]!;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const dx = qx - x[i]!;
      const dy = qy - y[i]!;
      s += Math.exp(-0.5 * (ia * dx * dx + 2 * ib * dx * dy + ic * dy * dy));
    }
    return s / (2 * Math.PI * n * Math.sqrt(det));
  });
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i] || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) continue;
    const e = Math.abs(a[i]! / b[i]! - 1);
    worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : Math.max(worst, e);
  }
  return worst;
}

describe("fastExp", () => {
  it("agrees with Math.exp to 2 ulp on [−700, 0]", () => {
    for (let i = 0; i <= 100000; i++) {
      const z = -700 * (i / 100000) ** 2;
      const e = Math.exp(z);
      expect(Math.abs(fastExp(z) - e)).toBeLessThanOrEqual(4.5e-16 * e);
    }
  });
});

describe("not-a-knot cubic splines", () => {
  it("reproduce a cubic polynomial exactly (non-uniform knots), clamped outside", () => {
    const p = (t: number) => 2 - 3 * t + 0.5 * t * t - 0.25 * t ** 3;
    const knots = [0, 0.7, 1.1, 2.5, 3, 4.2];
    const s = new NotAKnotSpline(knots, knots.map(p));
    for (let t = 0; t <= 4.2; t += 0.05) expect(s.evaluate(t)).toBeCloseTo(p(t), 11);
    expect(s.evaluate(-3)).toBeCloseTo(p(0), 12);
    expect(s.evaluate(10)).toBeCloseTo(p(4.2), 11);
  });

  it("with exactly 4 knots give the interpolating cubic", () => {
    const p = (t: number) => t ** 3 - t;
    const s = new NotAKnotSpline([1, 2, 4, 5], [1, 2, 4, 5].map(p));
    expect(s.evaluate(3)).toBeCloseTo(p(3), 11);
  });

  it("the bicubic grid reproduces products of cubics and clamps to the grid", () => {
    const f = (x: number, y: number) => (1 + x - x ** 3 / 7) * (2 - y * y + 0.3 * y ** 3);
    const gx = [0, 1, 2.5, 3, 4, 6];
    const gy = [-1, -0.5, 0, 0.8, 1.5];
    const z: number[] = [];
    for (const x of gx) for (const y of gy) z.push(f(x, y));
    const g = new BicubicGrid(gx, gy, z);
    for (let x = 0; x <= 6; x += 0.37) {
      for (let y = -1; y <= 1.5; y += 0.21) expect(g.evaluate(x, y)).toBeCloseTo(f(x, y), 10);
    }
    expect(g.evaluate(-5, 9)).toBeCloseTo(f(0, 1.5), 10);
    const out = g.evaluateMany(
      Float64Array.of(2, 100),
      Float64Array.of(0.1, -100),
      new Float64Array(2),
    );
    expect(out[0]).toBeCloseTo(f(2, 0.1), 10);
    expect(out[1]).toBeCloseTo(f(6, -1), 10);
  });

  it("reject too few or unsorted knots", () => {
    expect(() => new NotAKnotSpline([0, 1, 2], [0, 1, 2])).toThrow(RangeError);
    expect(() => new NotAKnotSpline([0, 2, 1, 3], [0, 1, 2, 3])).toThrow(RangeError);
  });
});

describe("Doane bins and numpy histogram2d semantics", () => {
  it("round half to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, 2, 3,
    ]);
  });

  it("Doane's k by hand for a small sample; fallbacks", () => {
    const a = [1, 2, 3, 4, 10, Number.NaN, Number.POSITIVE_INFINITY];
    const d = doane(a);
    const v = [1, 2, 3, 4, 10];
    const m = 4;
    const m2 = v.reduce((s, t) => s + (t - m) ** 2, 0) / 5;
    const m3 = v.reduce((s, t) => s + (t - m) ** 3, 0) / 5;
    const g1 = m3 / m2 ** 1.5;
    const sg = Math.sqrt((6 * 3) / (6 * 8));
    const k = 1 + Math.log2(5) + Math.log2(1 + Math.abs(g1) / sg);
    expect(d.n).toBe(5);
    expect(d.skew).toBeCloseTo(g1, 14);
    expect(d.k).toBeCloseTo(k, 14);
    expect(binWidthDoane(a)).toBeCloseTo(9 / k, 14);
    expect(binNumDoane(a)).toBe(roundHalfEven(9 / (9 / k)));
    // Constant data: NaN skew → width NaN → 5 bins; empty: width 1.
    expect(binNumDoane([3, 3, 3, 3])).toBe(5);
    expect(binWidthDoane([])).toBe(1);
  });

  it("percentile spacing with fallbacks", () => {
    const a = Array.from({ length: 11 }, (_, i) => i * 2); // 0..20
    expect(binWidthPercentile(a)).toBeCloseTo((18 - 2) / 23, 14);
    expect(binWidthPercentile([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5])).toBeCloseTo(0.4, 14);
    expect(binWidthPercentile([2, 2])).toBe(1);
    expect(binWidthPercentile([])).toBe(1);
  });

  it("edges like linspace; half-open bins, last bin closed; density normalised", () => {
    const e = histogramEdges(0, 1, 4);
    expect(Array.from(e)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const x = [0, 0.25, 0.5, 0.75, 1, 0.1];
    const y = [0, 0, 0, 0, 0, 1];
    const h = histogram2d(x, y, 4, 2);
    // x bins: [0,.25) gets 0 and 0.1; .25 → bin 1; .5 → bin 2; .75 and 1 → bin 3.
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 0, 1, 0, 2, 0]);
    let integral = 0;
    for (let i = 0; i < 8; i++) integral += h.density[i]! * 0.25 * 0.5;
    expect(integral).toBeCloseTo(1, 14);
    // Constant axis: edges min − 0.5 … max + 0.5.
    expect(Array.from(histogramEdges(2, 2, 2))).toEqual([1.5, 2, 2.5]);
  });
});

describe("kdeScatter", () => {
  const { x, y } = cloud(3000);

  it("gauss exact equals the naive O(N·M) sum (self and far positions)", () => {
    const dens = kdeScatter(x, y, { kdeType: "gauss" });
    const idx = [0, 1, 2, 3, 100, 2999];
    const naive = naiveGauss(
      x,
      y,
      idx.map((i) => x[i]!),
      idx.map((i) => y[i]!),
    );
    expect(
      maxRelErr(
        idx.map((i) => dens[i]!),
        naive,
      ),
    ).toBeLessThan(1e-11);
    // Positions: inside, at the outliers and very far away (tiny densities, exact fallback).
    const px = [50, 400, -100, 1e4, 70];
    const py = [0.02, 0.4, 0.02, 5, -0.3];
    const at = kdeScatter(x, y, { kdeType: "gauss", positions: { x: px, y: py } });
    const ref = naiveGauss(x, y, px, py);
    for (let i = 0; i < px.length; i++) {
      if (ref[i] === 0) expect(at[i]).toBe(0);
      else expect(Math.abs(at[i]! / ref[i]! - 1)).toBeLessThan(1e-11);
    }
  });

  it("gauss on a tiny hand-computable case", () => {
    // Three events; Σ and the density at (0, 0) computed by hand.
    const ex = [0, 1, 0];
    const ey = [0, 0, 1];
    // cov (ddof=1): var x = var y = 1/3, cov = −1/6; Σ = cov · 3^(−1/3).
    const f = 3 ** (-1 / 3);
    const a = f / 3;
    const b = -f / 6;
    const det = a * a - b * b;
    const q = (dx: number, dy: number) => (a * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
    const expected =
      (1 + Math.exp(-0.5 * q(1, 0)) + Math.exp(-0.5 * q(0, 1))) /
      (2 * Math.PI * 3 * Math.sqrt(det));
    const got = kdeScatter(ex, ey, { kdeType: "gauss", positions: { x: [0], y: [0] } });
    expect(got[0]).toBeCloseTo(expected, 13);
    expect(kdeScatter(ex, ey, { kdeType: "gauss" })[0]).toBeCloseTo(expected, 13);
  });

  it("gauss with a singular covariance gives NaN (collinear events, two events)", () => {
    const d = kdeScatter([1, 2, 3, 4], [2, 4, 6, 8], { kdeType: "gauss" });
    expect(Array.from(d).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(kdeScatter([1, 2], [3, 1], { kdeType: "gauss" })[0])).toBe(true);
  });

  it("binned gauss approximates the exact method", () => {
    const exact = kdeScatter(x, y, { kdeType: "gauss" });
    const approx = kdeScatter(x, y, { kdeType: "gauss", kdeKwargs: { method: "binned" } });
    let worst = 0;
    for (let i = 2; i < x.length; i++)
      worst = Math.max(worst, Math.abs(approx[i]! / exact[i]! - 1));
    expect(worst).toBeLessThan(1e-2);
    // The far outliers are computed exactly.
    expect(approx[0]! / exact[0]!).toBeCloseTo(1, 9);
    expect(() => kdeScatter(x, y, { kdeType: "gauss", kdeKwargs: { method: "fft" } })).toThrow(
      KdeInputError,
    );
  });

  it("multivariate equals the product-kernel formula; float32 emulation within 1e-5", () => {
    const n = 500;
    const xs = x.subarray(0, n);
    const ys = y.subarray(0, n);
    const bx = binWidthDoane(xs) / 2;
    const by = binWidthDoane(ys) / 2;
    const dens = kdeScatter(xs, ys, { kdeType: "multivariate" });
    const phi = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    for (const j of [0, 5, 77]) {
      let s = 0;
      for (let i = 0; i < n; i++)
        s += (phi((xs[j]! - xs[i]!) / bx) / bx) * (phi((ys[j]! - ys[i]!) / by) / by);
      expect(dens[j]! / (s / n)).toBeCloseTo(1, 12);
    }
    // Positions path (pruned rings) and the float32 emulation agree with the same formula.
    const at = kdeScatter(xs, ys, {
      kdeType: "multivariate",
      positions: { x: [xs[5]!, 1e4], y: [ys[5]!, 0] },
    });
    expect(at[0]! / dens[5]!).toBeCloseTo(1, 13);
    expect(at[1]).toBe(0);
    const x32 = Float32Array.from(xs);
    const y32 = Float32Array.from(ys);
    const emulated = kdeScatter(x32, y32, {
      kdeType: "multivariate",
      kdeKwargs: { emulateFloat32Kernel: true },
    });
    const plain = kdeScatter(x32, y32, { kdeType: "multivariate" });
    expect(maxRelErr(emulated.subarray(2), plain.subarray(2))).toBeLessThan(1e-5);
    expect(Number.isNaN(kdeScatter([1, 2], [1, 3], { kdeType: "multivariate" })[0])).toBe(true);
  });

  it("histogram KDE: exact at bin centres for a smooth field; negatives clipped", () => {
    const dens = kdeScatter(x, y);
    expect(dens.length).toBe(x.length);
    expect(Math.min(...dens)).toBeGreaterThanOrEqual(0);
    const withBins = kdeScatter(x, y, { kdeKwargs: { bins: [6, 7] } });
    expect(withBins).not.toEqual(dens);
  });

  it("NaN/inf events are ignored and get NaN; positions with NaN get NaN", () => {
    const xs = Array.from(x.subarray(0, 200));
    const ys = Array.from(y.subarray(0, 200));
    const clean = kdeScatter(xs, ys, { kdeType: "gauss" });
    const dirtyX = [...xs, Number.NaN, 3, Number.POSITIVE_INFINITY];
    const dirtyY = [...ys, 0.1, Number.NaN, 0.2];
    for (const kdeType of ["histogram", "gauss", "multivariate"] as const) {
      const ref = kdeScatter(xs, ys, { kdeType });
      const d = kdeScatter(dirtyX, dirtyY, { kdeType });
      expect(d.length).toBe(203);
      expect(Array.from(d.subarray(0, 200))).toEqual(Array.from(ref));
      expect([d[200], d[201], d[202]].every(Number.isNaN)).toBe(true);
      const p = kdeScatter(dirtyX, dirtyY, {
        kdeType,
        positions: { x: [xs[5]!, Number.NaN], y: [ys[5]!, 0] },
      });
      expect(p[0]).toBeCloseTo(ref[5]!, 12);
      expect(Number.isNaN(p[1])).toBe(true);
    }
    expect(clean.every((v) => v > 0)).toBe(true);
    // No valid event at all: valid positions get 0 (dclab's wrapper), NaN ones NaN.
    const none = kdeScatter([Number.NaN, 1], [1, Number.NaN], {
      kdeType: "gauss",
      positions: { x: [1, Number.NaN], y: [1, 1] },
    });
    expect(none[0]).toBe(0);
    expect(Number.isNaN(none[1])).toBe(true);
  });

  it("empty input gives an empty array; 'none' gives ones", () => {
    expect(kdeScatter([], []).length).toBe(0);
    expect(kdeScatter([], [], { positions: { x: [1], y: [2] } }).length).toBe(0);
    expect(Array.from(kdeScatter([1, 2, 3], [3, 4, 1], { kdeType: "none" }))).toEqual([1, 1, 1]);
  });

  it("log scales equal the estimate on logarithms", () => {
    const xs = x.subarray(2, 800);
    const ys = y.subarray(2, 800);
    const lx = xs.map(Math.log);
    const ly = ys.map(Math.log);
    for (const kdeType of ["histogram", "gauss"] as const) {
      const a = kdeScatter(xs, ys, { kdeType, xscale: "log", yscale: "log" });
      const b = kdeScatter(lx, ly, { kdeType });
      expect(maxRelErr(a, b)).toBeLessThan(1e-12);
      const c = kdeScatter(xs, ys, { kdeType, xscale: "log" });
      expect(maxRelErr(c, kdeScatter(lx, ys, { kdeType }))).toBeLessThan(1e-12);
    }
  });

  it("rejects bad options with KdeInputError", () => {
    expect(() => kdeScatter([1], [1, 2])).toThrow(KdeInputError);
    expect(() => kdeScatter([1], [1], { kdeType: "fancy" as never })).toThrow(/Not a valid kde/);
    expect(() => kdeScatter([1], [1], { xscale: "sqrt" as never })).toThrow(KdeInputError);
    expect(() => kdeScatter([1], [1], { positions: { x: [1], y: [] } })).toThrow(KdeInputError);
    const bad: Record<string, unknown>[] = [
      { bins: [3, 10] },
      { bins: [5.5, 10] },
      { bw: [0, 1] },
      { tolerance: 0 },
      { binnedSpacing: -1 },
      { method: "fast" },
      { float32: "yes" },
    ];
    for (const kdeKwargs of bad) {
      expect(() => kdeScatter([1, 2, 3], [1, 3, 2], { kdeKwargs })).toThrow(KdeInputError);
    }
    expect(() => kdeContour([1, 2, 3], [1, 3, 2], { kdeKwargs: { bins: [2, 2] } })).toThrow(
      KdeInputError,
    );
    try {
      kdeScatter([1], [1], { kdeType: "x" as never });
    } catch (err) {
      expect((err as KdeInputError).code).toBe("RTDC_KDE_INVALID");
      expect(err).toBeInstanceOf(RtdcError);
    }
  });
});

describe("kdeContour", () => {
  const { x, y } = cloud(2000, 7);

  it("grid: ceil(range/acc) points from min to max, ij layout equals kdeScatter", () => {
    const xs = x.subarray(2);
    const ys = y.subarray(2);
    const c = kdeContour(xs, ys, { xacc: 2.5, yacc: 0.001 });
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < xs.length; i++) {
      x0 = Math.min(x0, xs[i]!);
      x1 = Math.max(x1, xs[i]!);
      y0 = Math.min(y0, ys[i]!);
      y1 = Math.max(y1, ys[i]!);
    }
    expect(c.nx).toBe(Math.ceil((x1 - x0) / 2.5));
    expect(c.ny).toBe(Math.ceil((y1 - y0) / 0.001));
    expect(c.x[0]).toBe(x0);
    expect(c.x[c.nx - 1]).toBe(x1);
    expect(c.density.length).toBe(c.nx * c.ny);
    const [ix, iy] = [3, 5];
    const at = kdeScatter(xs, ys, { positions: { x: [c.x[ix]!], y: [c.y[iy]!] } });
    expect(c.density[ix * c.ny + iy]).toBe(at[0]);
    // Default spacing: (P90 − P10)/23 per axis.
    const d = kdeContour(xs, ys);
    expect(d.nx).toBe(Math.ceil((x1 - x0) / binWidthPercentile(xs)));
  });

  it("log scale: grid returned in linear units", () => {
    const xs = x.subarray(2);
    const ys = y.subarray(2);
    const c = kdeContour(xs, ys, { xscale: "log" });
    expect(c.x[0]).toBeCloseTo(Math.min(...xs), 10);
    expect(c.x[c.nx - 1]).toBeCloseTo(Math.max(...xs), 10);
  });

  it("no valid data: a 2×2 grid of NaN", () => {
    const c = kdeContour([Number.NaN], [1]);
    expect([c.nx, c.ny]).toEqual([2, 2]);
    expect(Array.from(c.x)).toEqual([0, 1]);
    expect(Array.from(c.density).every(Number.isNaN)).toBe(true);
  });
});
