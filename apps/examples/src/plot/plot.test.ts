import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  barChartSpec,
  countSvgMarks,
  densityScatterSpec,
  KDE_COLORBAR_TITLE,
  PlotError,
  pngSize,
  renderPlot,
  savePlot,
  thinScatter,
} from "./index.js";

/** Deterministic pseudo-random normal numbers (Box-Muller on a small LCG). */
function normals(n: number, mean: number, sd: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  return Float64Array.from({ length: n }, () => {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    return mean + sd * r * Math.cos(2 * Math.PI * uniform());
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dcor-plot-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("densityScatterSpec + savePlot", () => {
  const n = 1500;
  const x = normals(n, 60, 12, 1);
  const y = normals(n, 0.03, 0.008, 2);
  const density = Float64Array.from(x, (xi, i) => Math.exp(-((xi - 60) ** 2) / 300 - i * 1e-6));

  it("writes a PNG of the requested size and an SVG with the titles and every point", async () => {
    const spec = densityScatterSpec({
      x,
      y,
      density,
      xLabel: "Area [µm²]",
      yLabel: "Deformation",
      title: "M001:blood sample",
      width: 500,
      height: 360,
    });
    expect(spec.data.values).toHaveLength(n);
    expect(spec.data.values[7]).toEqual({ x: x[7], y: y[7], density: density[7] });

    const saved = await savePlot(spec, join(dir, "nested", "scatter"));
    expect(saved).toMatchObject({ width: 500, height: 360 });
    const png = await readFile(saved.pngPath);
    expect(pngSize(png)).toEqual({ width: 500, height: 360 });
    const svg = await readFile(saved.svgPath, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const text of ["Area [µm²]", "Deformation", "M001:blood sample", KDE_COLORBAR_TITLE]) {
      expect(svg).toContain(text);
    }
    // The colour bar title is not cut ("…") and the bar is a gradient.
    expect(svg).not.toContain("kernel density estimate [a…");
    expect(svg).toContain("linearGradient");
    expect(countSvgMarks(svg, "symbol")).toBe(n);
    // No temporary files left behind.
    expect((await readdir(join(dir, "nested"))).sort()).toEqual(["scatter.png", "scatter.svg"]);
  });

  it("scales the PNG by the pixel ratio", async () => {
    const spec = densityScatterSpec({
      x: [1, 2, 3],
      y: [3, 1, 2],
      density: [0.1, 0.5, 0.9],
      xLabel: "a",
      yLabel: "b",
      title: "t",
      width: 300,
      height: 200,
    });
    const plot = await renderPlot(spec, { scale: 2 });
    expect(pngSize(plot.png)).toEqual({ width: 600, height: 400 });
    expect(countSvgMarks(plot.svg, "symbol")).toBe(3);
  });

  it("rejects arrays of different lengths and a bad scale with typed errors", async () => {
    expect(() =>
      densityScatterSpec({ x: [1, 2], y: [1], density: [1, 2], xLabel: "", yLabel: "", title: "" }),
    ).toThrow(RangeError);
    const spec = densityScatterSpec({
      x: [1],
      y: [1],
      density: [1],
      xLabel: "",
      yLabel: "",
      title: "",
    });
    await expect(renderPlot(spec, { scale: 0 })).rejects.toMatchObject({ code: "PLOT_RENDER" });
    await expect(renderPlot(spec, { scale: -1 })).rejects.toBeInstanceOf(PlotError);
  });

  it("fails with PLOT_WRITE when the output folder cannot be created", async () => {
    const spec = barChartSpec({
      bars: [{ label: "a", value: 1 }],
      xLabel: "",
      yLabel: "",
      title: "",
    });
    const blocker = join(dir, "scatter-blocker");
    await savePlot(spec, blocker); // creates scatter-blocker.png/.svg, a file not a folder
    await expect(savePlot(spec, join(`${blocker}.png`, "x"))).rejects.toMatchObject({
      code: "PLOT_WRITE",
    });
  });
});

describe("thinScatter (maxPoints)", () => {
  const n = 20_000;
  const x = normals(n, 50, 5, 3);
  const y = normals(n, 0.02, 0.002, 4);
  // A few isolated events far from the bulk: they must survive thinning.
  for (let k = 0; k < 8; k++) {
    x[k] = 100 + k * 5;
    y[k] = 0.05 + k * 0.001;
  }
  x[8] = Number.NaN; // cannot be drawn
  const density = Float64Array.from(
    x,
    (xi, i) => Math.exp(-(((xi - 50) / 5) ** 2)) + (y[i]! > 0.02 ? 0.01 : 0),
  );

  it("keeps every drawable event below the limit and thins dense regions above it", () => {
    const all = thinScatter({ x, y, density, maxPoints: n, cellsX: 320, cellsY: 240 }).indices;
    expect(all).toHaveLength(n - 1);
    expect(all.includes(8)).toBe(false);

    const kept = thinScatter({ x, y, density, maxPoints: 3000, cellsX: 320, cellsY: 240 }).indices;
    expect(kept.length).toBeLessThanOrEqual(3000);
    expect(kept.length).toBeGreaterThan(1000);
    for (let k = 0; k < 8; k++) expect(kept.includes(k), `outlier ${k}`).toBe(true);
    expect([...kept]).toEqual([...kept].sort((a, b) => a - b));
    expect(new Set(kept).size).toBe(kept.length);
  });

  it("draws exactly the kept events", async () => {
    const spec = densityScatterSpec({
      x,
      y,
      density,
      xLabel: "a",
      yLabel: "b",
      title: "thinned",
      maxPoints: 2000,
    });
    expect(spec.data.values.length).toBeLessThanOrEqual(2000);
    const plot = await renderPlot(spec);
    expect(countSvgMarks(plot.svg, "symbol")).toBe(spec.data.values.length);
  });
});

describe("barChartSpec", () => {
  it("draws one bar per category in the given order with its value", async () => {
    const bars = [
      { label: "0.04", value: 3 },
      { label: "0.06", value: 0 },
      { label: "0.12", value: 7 },
      { label: "others", value: 2 },
    ];
    const spec = barChartSpec({
      bars,
      xLabel: "flow rates [µL/s]",
      yLabel: "number of datasets",
      title: "circle figshare-import",
      width: 480,
      height: 320,
    });
    expect(spec.data.values).toEqual(bars);
    const saved = await savePlot(spec, join(dir, "bars"));
    expect(pngSize(await readFile(saved.pngPath))).toEqual({ width: 480, height: 320 });
    const svg = await readFile(saved.svgPath, "utf8");
    for (const text of ["flow rates [µL/s]", "number of datasets", "circle figshare-import"]) {
      expect(svg).toContain(text);
    }
    expect(countSvgMarks(svg, "rect")).toBe(bars.length);
    expect(countSvgMarks(svg, "text")).toBe(bars.length);
    // Categories appear in the caller's order on the x axis.
    const positions = bars.map((b) => svg.indexOf(`>${b.label}</text>`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

describe("pngSize", () => {
  it("rejects bytes that are not a PNG", () => {
    expect(() => pngSize(new Uint8Array(30))).toThrow(TypeError);
    expect(() => pngSize(new TextEncoder().encode("<svg></svg>"))).toThrow(/signature/);
  });
});
