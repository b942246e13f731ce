/** Bounded fuzzing: odd inputs never crash, hang or give garbage shapes. */
import { describe, expect, it } from "vitest";
import { PolygonFilter, PolygonFilterError } from "../filter/index.js";
import { KdeInputError, kdeContour, kdeScatter } from "./index.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const SPECIAL = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e300,
  -1e-300,
];

describe("KDE on odd inputs", () => {
  it("random sizes, NaN/inf, duplicates, constant axes and huge ranges", () => {
    const r = rng(99);
    for (let round = 0; round < 60; round++) {
      const n = Math.floor(r() * 40);
      const x: number[] = [];
      const y: number[] = [];
      const mode = round % 4;
      for (let i = 0; i < n; i++) {
        const pick = () => (r() < 0.15 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : r() * 10);
        x.push(mode === 1 ? 3 : pick());
        y.push(mode === 2 ? (x[i] ?? 0) * 2 : pick());
      }
      for (const kdeType of ["histogram", "gauss", "multivariate", "none"] as const) {
        for (const xscale of ["linear", "log"] as const) {
          let d: Float64Array;
          try {
            d = kdeScatter(x, y, { kdeType, xscale });
          } catch (err) {
            throw new Error(`round ${round} ${kdeType}: ${String(err)}`);
          }
          expect(d.length).toBe(n);
          for (let i = 0; i < n; i++) {
            const finite = Number.isFinite(x[i]!) && Number.isFinite(y[i]!);
            if (kdeType !== "none" && xscale === "linear" && !finite) expect(d[i]).toBeNaN();
            if (!Number.isNaN(d[i]!)) expect(d[i]!).toBeGreaterThanOrEqual(0);
          }
          try {
            const c = kdeContour(x, y, {
              kdeType: kdeType === "gauss" ? "gauss" : "histogram",
              xscale,
            });
            expect(c.density.length).toBe(c.nx * c.ny);
          } catch (err) {
            // A 1e300 outlier asks for an absurd grid: refused with a typed error.
            if (!(err instanceof KdeInputError)) throw err;
            expect(String(err)).toMatch(/contour grid/);
          }
        }
      }
    }
  });

  it("type errors are KdeInputError", () => {
    expect(() => kdeScatter([1, 2], [1], {})).toThrow(KdeInputError);
    expect(() => kdeScatter([1, 2], [1, 2], { kdeKwargs: 5 as never })).toThrow(KdeInputError);
  });
});

describe(".poly parsing of mutated text", () => {
  it("either parses or throws PolygonFilterError", () => {
    const base = PolygonFilter.format([
      new PolygonFilter({
        axes: ["area_um", "deform"],
        points: [
          [1, 2],
          [3, 4],
          [5, 1],
        ],
        id: 2,
      }),
    ]);
    const r = rng(5);
    const alphabet = "[]= \n.e-+0123456789PolygonXYAxisNamepointTrueFalse";
    for (let round = 0; round < 500; round++) {
      const chars = base.split("");
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * chars.length);
        const op = r();
        if (op < 0.4) chars.splice(at, 1);
        else if (op < 0.8) chars[at] = alphabet[Math.floor(r() * alphabet.length)]!;
        else chars.splice(at, 0, alphabet[Math.floor(r() * alphabet.length)]!);
      }
      try {
        const out = PolygonFilter.parse(chars.join(""));
        for (const p of out) {
          expect(p.axes).toHaveLength(2);
          for (const pt of p.points) expect(pt.every(Number.isFinite)).toBe(true);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(PolygonFilterError);
      }
    }
  });
});
