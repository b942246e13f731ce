import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RtdcError } from "../errors.js";
import { applyMask, Filter, FilterError, PolygonFilter, PolygonFilterError } from "./index.js";
import { downsampleRandomKeep, MT19937 } from "./random.js";

const square = () =>
  new PolygonFilter({
    axes: ["area_um", "deform"],
    points: [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 0],
    ],
  });

describe("PolygonFilter.contains (dclab's edge rules)", () => {
  it("square edges: left/bottom inside, right/top outside", () => {
    const p = square();
    expect(p.contains(0, 0.5)).toBe(true);
    expect(p.contains(1, 0.5)).toBe(false);
    expect(p.contains(0.5, 0)).toBe(true);
    expect(p.contains(0.5, 1)).toBe(false);
    expect(p.contains(0.5, 0.5)).toBe(true);
    expect(p.contains(1.5, 0.5)).toBe(false);
  });

  it("square corners: only the lower-left one is inside", () => {
    const p = square();
    expect(p.contains(0, 0)).toBe(true);
    expect(p.contains(1, 0)).toBe(false);
    expect(p.contains(0, 1)).toBe(false);
    expect(p.contains(1, 1)).toBe(false);
  });

  it("concave polygon with a dent to the top left", () => {
    const p = new PolygonFilter({
      axes: ["x", "y"],
      points: [
        [0, 0],
        [0, 1],
        [-1, 2],
        [1, 1],
        [1, 0],
      ],
    });
    expect(p.contains(0, 0.5)).toBe(true);
    expect(p.contains(1, 0.5)).toBe(false);
    expect(p.contains(0.5, 1)).toBe(true);
    expect(p.contains(-0.5, 0.5)).toBe(false);
    expect(p.contains(-0.2, 1.5)).toBe(true);
  });

  it("triangle edges", () => {
    const p = new PolygonFilter({
      axes: ["x", "y"],
      points: [
        [0, 0],
        [0, 1],
        [1, 1],
      ],
    });
    expect(p.contains(0, 0.5)).toBe(true);
    expect(p.contains(1, 0.5)).toBe(false);
    expect(p.contains(0.5, 0)).toBe(false);
    expect(p.contains(0.5, 1)).toBe(false);
  });

  it("NaN is never inside; filter() applies inversion", () => {
    const p = square();
    expect(p.contains(Number.NaN, 0.5)).toBe(false);
    expect(Array.from(p.filter([0.5, 2, Number.NaN], [0.5, 0.5, 0.5]))).toEqual([1, 0, 0]);
    p.inverted = true;
    expect(Array.from(p.filter([0.5, 2, Number.NaN], [0.5, 0.5, 0.5]))).toEqual([0, 1, 1]);
  });

  it("rejects bad construction with a typed error", () => {
    expect(() => new PolygonFilter({ axes: ["x"] as never, points: [] })).toThrow(
      PolygonFilterError,
    );
    expect(
      () => new PolygonFilter({ axes: ["x", "y"], points: [[0, Number.NaN]] as never }),
    ).toThrow(PolygonFilterError);
  });
});

describe(".poly text format", () => {
  // Written like dclab's PolygonFilter.save (two filters, ids 0 and 3).
  const text = [
    "[Polygon 00000000]",
    "X Axis = area_um",
    "Y Axis = deform",
    "Name = polygon filter 0",
    "Inverted = False",
    "point00000000 = 2.500000000000000e+01 1.000000000000000e-02",
    "point00000001 = 6.000000000000000e+01 1.000000000000000e-02",
    "point00000002 = 4.000000000000000e+01 5.000000000000000e-02",
    "[Polygon 00000003]",
    "X Axis = Area_UM",
    "Y Axis = bright_avg",
    "Name = Cells = large",
    "Inverted = True",
    "point00000001 = 1.000000000000000e+00 -2.500000000000000e+00",
    "point00000000 = 0.000000000000000e+00 0.000000000000000e+00",
    "point00000002 = 3.000000000000000e+00 1.000000000000000e+02",
    "",
  ].join("\n");

  it("parses axes (lower-cased), name, inversion, sorted points and ids", () => {
    // "Name = Cells = large" has two "=": dclab rejects it too (unpacking fails).
    expect(() => PolygonFilter.parse(text)).toThrow(PolygonFilterError);
    const fixed = text.replace("Cells = large", "Cells large");
    const [a, b] = PolygonFilter.parse(fixed);
    expect(a!.axes).toEqual(["area_um", "deform"]);
    expect(a!.id).toBe(0);
    expect(a!.inverted).toBe(false);
    expect(a!.points).toEqual([
      [25, 0.01],
      [60, 0.01],
      [40, 0.05],
    ]);
    expect(b!.axes).toEqual(["area_um", "bright_avg"]);
    expect(b!.id).toBe(3);
    expect(b!.name).toBe("Cells large");
    expect(b!.inverted).toBe(true);
    expect(b!.points).toEqual([
      [0, 0],
      [1, -2.5],
      [3, 100],
    ]);
  });

  it("formats exactly like dclab and round-trips through a file", async () => {
    const fixed = text.replace("Cells = large", "Cells large");
    const filters = PolygonFilter.parse(fixed);
    const out = PolygonFilter.format(filters);
    // Same text except that axes are lower-cased and points are written in index order.
    expect(out).toBe(
      fixed
        .replace("Area_UM", "area_um")
        .replace(
          "point00000001 = 1.000000000000000e+00 -2.500000000000000e+00\npoint00000000 = 0.000000000000000e+00 0.000000000000000e+00",
          "point00000000 = 0.000000000000000e+00 0.000000000000000e+00\npoint00000001 = 1.000000000000000e+00 -2.500000000000000e+00",
        ),
    );
    const dir = await mkdtemp(path.join(tmpdir(), "rtdc-poly-"));
    try {
      const file = path.join(dir, "gates.poly");
      await writeFile(file, out);
      const back = PolygonFilter.parse(await readFile(file, "utf8"));
      expect(back).toEqual(filters);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("round-trips arbitrary doubles to 1e-15 relative", () => {
    const pts: [number, number][] = [
      [Math.PI, -Math.E * 1e-7],
      [123456.789, 1e-300],
      [-0.5, 7e22],
    ];
    const f = new PolygonFilter({ axes: ["a", "b"], points: pts, id: 12, name: "x" });
    const text = PolygonFilter.format([f]);
    expect(text).toContain("[Polygon 00000012]");
    expect(text).toContain("point00000001 = 1.234567890000000e+05 1.000000000000000e-300");
    const [g] = PolygonFilter.parse(text);
    g!.points.forEach(([x, y], i) => {
      expect(Math.abs(x / pts[i]![0] - 1)).toBeLessThan(1e-15);
      expect(Math.abs(y / pts[i]![1] - 1)).toBeLessThan(1e-15);
    });
  });

  it("rejects unknown keys, missing axes and bad numbers with the line number", () => {
    const bad = "[Polygon 00000000]\nX Axis = a\nY Axis = b\nColour = red\n";
    try {
      PolygonFilter.parse(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolygonFilterError);
      expect((err as PolygonFilterError).code).toBe("RTDC_POLYGON_INVALID");
      expect(err).toBeInstanceOf(RtdcError);
      expect((err as PolygonFilterError).line).toBe(4);
    }
    expect(() => PolygonFilter.parse("[Polygon 00000000]\nX Axis = a\n")).toThrow(/Y Axis/);
    expect(() =>
      PolygonFilter.parse("[Polygon 0]\nX Axis = a\nY Axis = b\npoint00000000 = 1 x\n"),
    ).toThrow(PolygonFilterError);
    expect(PolygonFilter.parse("")).toEqual([]);
  });
});

describe("numpy RandomState(47) for 'limit events'", () => {
  it("permutation matches numpy", () => {
    // numpy 1.24: np.random.RandomState(47).permutation(10)
    expect(Array.from(new MT19937(47).permutation(10))).toEqual([2, 1, 4, 5, 3, 8, 0, 9, 6, 7]);
  });

  it("MT19937 first outputs for seed 5489 match the reference generator", () => {
    const mt = new MT19937(5489);
    expect([mt.nextUint32(), mt.nextUint32(), mt.nextUint32()]).toEqual([
      3499211612, 581869302, 3890346734,
    ]);
  });

  it("downsampleRandomKeep keeps exactly `samples` events", () => {
    const keep = downsampleRandomKeep(1000, 100);
    expect(keep.reduce((a, b) => a + b, 0)).toBe(100);
    expect(downsampleRandomKeep(10, 0).every((v) => v === 1)).toBe(true);
    expect(downsampleRandomKeep(10, 20).every((v) => v === 1)).toBe(true);
  });
});

describe("Filter", () => {
  const features: Record<string, Float64Array> = {
    area_um: Float64Array.of(10, 20, 30, 40, Number.NaN, 60),
    deform: Float64Array.of(0.01, 0.02, 0.03, Number.POSITIVE_INFINITY, 0.05, 0.06),
    index: Float64Array.of(1, 2, 3, 4, 5, 6),
  };
  const names = Object.keys(features);
  const calls: string[] = [];
  const get = async (name: string) => {
    calls.push(name);
    const f = features[name];
    if (!f) throw new Error(`no ${name}`);
    return f;
  };

  it("starts with all events kept", async () => {
    const f = new Filter(6);
    expect(Array.from(f.all)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(await f.apply(get, names))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("box filter: inclusive, swapped bounds, NaN removed, min == max ignored", async () => {
    const f = new Filter(6);
    f.setBox("area_um", 40, 20);
    await f.apply(get, names);
    expect(Array.from(f.all)).toEqual([0, 1, 1, 1, 0, 0]);
    f.setBox("area_um", 30, 30);
    await f.apply(get, names);
    expect(Array.from(f.all)).toEqual([1, 1, 1, 1, 1, 1]);
    f.setBox("area_um", Number.NEGATIVE_INFINITY, 35);
    f.setBox("deform", 0.015, Number.POSITIVE_INFINITY);
    await f.apply(get, names);
    expect(Array.from(f.boxMask)).toEqual([0, 1, 1, 0, 0, 0]);
    f.clearBox("area_um");
    await f.apply(get, names);
    expect(Array.from(f.all)).toEqual([0, 1, 1, 1, 1, 1]);
    expect(() => f.setBox("deform", Number.NaN, 1)).toThrow(FilterError);
    try {
      f.setBox("deform", 1, Number.NaN);
    } catch (err) {
      expect(err).toBeInstanceOf(RtdcError);
      expect((err as FilterError).code).toBe("RTDC_FILTER_INVALID");
      expect((err as FilterError).context.feature).toBe("deform");
    }
  });

  it("remove-invalid drops NaN/inf in any scalar feature; reads each feature once", async () => {
    const f = new Filter(6);
    f.removeInvalid = true;
    f.setBox("area_um", 0, 100);
    calls.length = 0;
    await f.apply(get, names);
    expect(Array.from(f.invalidMask)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(Array.from(f.all)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(calls.sort()).toEqual(["area_um", "deform", "index"]);
  });

  it("polygon filters, manual mask, ignored filters and `enabled`", async () => {
    const f = new Filter(6);
    f.polygons.push(
      new PolygonFilter({
        axes: ["area_um", "deform"],
        points: [
          [15, 0],
          [15, 0.1],
          [100, 0.1],
          [100, 0],
        ],
      }),
      new PolygonFilter({ axes: ["area_um", "volume"], points: [[0, 0]], name: "gone" }),
    );
    f.manual[5] = 0;
    await f.apply(get, names);
    expect(Array.from(f.polygonMask)).toEqual([0, 1, 1, 0, 0, 1]);
    expect(Array.from(f.all)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(f.ignored).toHaveLength(1);
    expect(f.ignored[0]).toContain("gone");
    expect(f.count).toBe(2);
    f.enabled = false;
    await f.apply(get, names);
    expect(f.count).toBe(6);
  });

  it("limitEvents keeps the events dclab keeps", async () => {
    const n = 10;
    const f = new Filter(n);
    f.limitEvents = 4;
    await f.apply(async () => new Float64Array(n), []);
    // dclab: indices permutation(10)[:4] = [2, 1, 4, 5] of the kept events.
    expect(Array.from(f.all)).toEqual([0, 1, 1, 0, 1, 1, 0, 0, 0, 0]);
    // Applied after the other filters: event 0 removed first, the pool is events 1..9.
    f.manual[0] = 0;
    await f.apply(async () => new Float64Array(n), []);
    expect(Array.from(f.all)).toEqual([0, 0, 1, 1, 0, 1, 1, 0, 0, 0]);
  });

  it("validates lengths and settings", async () => {
    expect(() => new Filter(-1)).toThrow(FilterError);
    const f = new Filter(3);
    f.manual = new Uint8Array(2);
    await expect(f.apply(get, [])).rejects.toThrow(FilterError);
    const g = new Filter(3);
    g.setBox("area_um", 0, 1);
    await expect(g.apply(get, names)).rejects.toThrow(/6 events, expected 3/);
    g.limitEvents = 1.5;
    await expect(g.apply(get, names)).rejects.toThrow(FilterError);
  });

  it("applyMask keeps float32 data float32", () => {
    const m = Uint8Array.of(1, 0, 1);
    expect(applyMask(Float32Array.of(1, 2, 3), m)).toBeInstanceOf(Float32Array);
    expect(Array.from(applyMask([1, 2, 3], m))).toEqual([1, 3]);
    expect(() => applyMask([1], m)).toThrow(FilterError);
  });
});
