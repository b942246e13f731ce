import { describe, expect, it } from "vitest";
import { autoRange, brailleScatter, formatTick, runsOf } from "./braille.js";

describe("brailleScatter", () => {
  it("places corner points in the corner dots", () => {
    const plot = brailleScatter({
      x: [0, 1],
      y: [0, 1],
      width: 2,
      height: 1,
      xRange: [0, 1],
      yRange: [0, 1],
    });
    expect(plot.rows).toHaveLength(1);
    expect(plot.rows[0]).toHaveLength(2);
    // (0,0) is bottom-left: left column, bottom row → dot 7 (0x40)
    expect(plot.rows[0]?.[0]?.char).toBe(String.fromCodePoint(0x2800 + 0x40));
    // (1,1) is top-right: right column, top row → dot 4 (0x08)
    expect(plot.rows[0]?.[1]?.char).toBe(String.fromCodePoint(0x2800 + 0x08));
    expect(plot.plotted).toBe(2);
  });

  it("colours dense cells with higher levels than sparse ones", () => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 100; i++) {
      x.push(0.1);
      y.push(0.1);
    }
    x.push(0.9);
    y.push(0.9);
    const plot = brailleScatter({
      x,
      y,
      width: 4,
      height: 2,
      xRange: [0, 1],
      yRange: [0, 1],
      levels: 5,
    });
    const cells = plot.rows.flat().filter((c) => c.level >= 0);
    expect(cells).toHaveLength(2);
    const levels = cells.map((c) => c.level).sort();
    expect(levels).toEqual([0, 4]);
  });

  it("uses the supplied per-point density", () => {
    const plot = brailleScatter({
      x: [0.1, 0.9],
      y: [0.5, 0.5],
      density: [1, 10],
      width: 2,
      height: 1,
      xRange: [0, 1],
      yRange: [0, 1],
      levels: 2,
    });
    expect(plot.rows[0]?.map((c) => c.level)).toEqual([0, 1]);
  });

  it("skips invalid values and points outside the ranges", () => {
    const plot = brailleScatter({
      x: [Number.NaN, 0.5, 5, Number.POSITIVE_INFINITY],
      y: [0.5, 0.5, 0.5, 0.5],
      width: 3,
      height: 2,
      xRange: [0, 1],
      yRange: [0, 1],
    });
    expect(plot.invalid).toBe(2);
    expect(plot.plotted).toBe(1);
    expect(plot.rows.every((r) => r.length === 3)).toBe(true);
  });

  it("clips outliers from the automatic range and survives degenerate data", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i / 1000);
    values.push(1e9);
    const [lo, hi] = autoRange(values);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(2);
    expect(autoRange([3, 3, 3])).toEqual([2.85, 3.15]);
    expect(autoRange([])).toEqual([0, 1]);
    const plot = brailleScatter({ x: [], y: [], width: 5, height: 2 });
    expect(plot.rows.flat().every((c) => c.level === -1)).toBe(true);
  });

  it("groups runs and formats ticks", () => {
    expect(
      runsOf([
        { char: "a", level: 1 },
        { char: "b", level: 1 },
        { char: "c", level: -1 },
      ]),
    ).toEqual([
      { text: "ab", level: 1 },
      { text: "c", level: -1 },
    ]);
    expect(formatTick(0.012345)).toBe("0.0123");
    expect(formatTick(123456)).toBe("1.2e+5");
    expect(formatTick(0)).toBe("0");
  });
});
