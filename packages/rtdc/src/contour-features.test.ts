import { describe, expect, it } from "vitest";
import {
  contourMoments,
  convexHull,
  inertRatioCvx,
  inertRatioPrnc,
  inertRatioRaw,
  tilt,
  volume,
} from "./contour-features.js";

function ellipse(a: number, b: number, n: number, angle = 0, cx = 0, cy = 0) {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const ex = a * Math.cos(t);
    const ey = b * Math.sin(t);
    x.push(cx + ex * Math.cos(angle) - ey * Math.sin(angle));
    y.push(cy + ex * Math.sin(angle) + ey * Math.cos(angle));
  }
  return { x, y };
}

describe("contour features", () => {
  it("moments of a square", () => {
    const m = contourMoments([0, 2, 2, 0], [0, 0, 2, 2]);
    expect(m?.m00).toBe(4);
    expect((m?.m10 ?? 0) / (m?.m00 ?? 1)).toBe(1);
    expect(contourMoments([0, 1, 2], [0, 0, 0])).toBeUndefined(); // degenerate
  });
  it("inertia ratios of ellipses approach a/b", () => {
    const e = ellipse(20, 10, 400);
    expect(inertRatioRaw(e)).toBeCloseTo(2, 3);
    expect(inertRatioCvx(e)).toBeCloseTo(2, 3);
    expect(tilt(e)).toBeCloseTo(0, 6);
    const rotated = ellipse(20, 10, 400, 0.3, 50, 40);
    expect(tilt(rotated)).toBeCloseTo(0.3, 4);
    expect(inertRatioPrnc(rotated)).toBeCloseTo(2, 2);
    expect(inertRatioRaw(rotated)).toBeLessThan(2);
  });
  it("convex hull drops concave and collinear points", () => {
    const h = convexHull({ x: [0, 1, 2, 2, 1, 2, 0], y: [0, 0, 0, 2, 1, 4, 4] });
    expect(h.x.length).toBe(4);
  });
  it("volume of a revolved circle is a sphere", () => {
    const r = 10;
    // Orientation as Shape-In stores contours (dclab does not fix it: reversed is negative).
    const e = ellipse(r, r, 2000, 0, 100, 50);
    const c = { x: e.x.reverse(), y: e.y.reverse() };
    const v = volume(c, 100 * 0.5, 50 * 0.5, 0.5);
    expect(v).toBeCloseTo((4 / 3) * Math.PI * (r * 0.5) ** 3, 0);
    expect(Number.isNaN(volume({ x: [1, 2, 3], y: [1, 2, 1] }, 0, 0, 1))).toBe(true);
  });
});

describe("contour from mask", () => {
  it("traces the boundary pixels of a rectangle once", async () => {
    const { contourFromMask } = await import("./mask-contour.js");
    const h = 10;
    const w = 12;
    const mask = new Uint8Array(h * w);
    for (let y = 2; y <= 5; y++) for (let x = 3; x <= 8; x++) mask[y * w + x] = 1;
    const c = contourFromMask(mask, h, w);
    // Perimeter pixels of a 6 × 4 block: 2·6 + 2·2 = 16, each once.
    expect(c.x.length).toBe(16);
    const pts = new Set(Array.from(c.x, (x, k) => `${x},${c.y[k]}`));
    expect(pts.size).toBe(16);
    expect(pts.has("3,2")).toBe(true);
    expect(pts.has("8,5")).toBe(true);
    expect(pts.has("5,3")).toBe(false); // interior
    expect(contourFromMask(new Uint8Array(h * w), h, w).x.length).toBe(0);
  });
});
