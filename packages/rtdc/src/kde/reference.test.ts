/**
 * KDE against dclab 0.71.10's values in shared/data/rtdc (reference.json,
 * reference_example_full.json, dcor-fixtures/reference.json). Skipped without shared data.
 * Files with more than 10 events are read with `openDataset` (the package's reader).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sharedDataDir } from "@dcor/emulator";
import { describe, expect, it } from "vitest";
import { openDataset } from "../dataset.js";
import { binNumDoane, binWidthPercentile, doane, kdeContour, kdeScatter } from "./index.js";

const dir = sharedDataDir();
if (!dir) console.warn("[rtdc kde] shared/data not found: dclab reference tests are skipped");

interface DoaneRef {
  n: number;
  skew_g1: number;
  sigma_g1: number;
  k: number;
  bin_width_doane: number;
  bin_num_doane: number;
  bins_used: number;
  min: number;
  max: number;
  bin_width_percentile: number;
}
interface FileRef {
  event_count: number;
  area_um_dtype: string;
  deform_dtype: string;
  area_um_first10: number[];
  deform_first10: number[];
  doane_area_um: DoaneRef;
  doane_deform: DoaneRef;
  kde_histogram_first10: number[];
  kde_gauss_first10: number[];
  kde_multivariate_first10: number[];
  kde_histogram_positions_first10: number[];
  kde_contour_histogram: {
    shape: [number, number];
    x_first: number;
    x_last: number;
    y_first: number;
    y_last: number;
    z_max: number;
    z_sum: number;
    z_center: number;
  };
}

function load(rel: string): { files: Record<string, FileRef> } {
  return JSON.parse(readFileSync(path.join(dir!, rel), "utf8"));
}

/** Relative error with an absolute floor (values near 0 come from cancellation in dclab too). */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    if (!(err <= rtol * Math.abs(e) + 1e-12 * scale)) {
      throw new Error(`index ${i}: ${a} vs ${e} (relative ${err / Math.abs(e)})`);
    }
  }
}

function typed(values: number[], dtype: string): Float32Array | Float64Array {
  return dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
}

describe.skipIf(!dir)("KDE vs dclab: example.rtdc (5000 events, full arrays)", () => {
  const full = () =>
    JSON.parse(readFileSync(path.join(dir!, "rtdc/reference_example_full.json"), "utf8")) as {
      area_um: number[];
      deform: number[];
      kde_histogram: number[];
      kde_gauss: number[];
      kde_multivariate: number[];
    };

  it("histogram KDE at every event to 1e-9", () => {
    const d = full();
    const x = Float32Array.from(d.area_um);
    const y = Float32Array.from(d.deform);
    expectClose(kdeScatter(x, y), d.kde_histogram, 1e-9);
  });

  it("gauss KDE at every event to 1e-9 (exact method)", () => {
    const d = full();
    const x = Float32Array.from(d.area_um);
    const y = Float32Array.from(d.deform);
    expectClose(kdeScatter(x, y, { kdeType: "gauss" }), d.kde_gauss, 1e-9);
  });

  it("gauss KDE at explicit positions equals the self evaluation", () => {
    const d = full();
    const x = Float32Array.from(d.area_um);
    const y = Float32Array.from(d.deform);
    const pos = { x: Float64Array.from(d.area_um), y: Float64Array.from(d.deform) };
    expectClose(kdeScatter(x, y, { kdeType: "gauss", positions: pos }), d.kde_gauss, 1e-9);
  });

  it("binned gauss approximation stays within 1e-2 relative where the density is not tiny", () => {
    const d = full();
    const x = Float32Array.from(d.area_um);
    const y = Float32Array.from(d.deform);
    const approx = kdeScatter(x, y, { kdeType: "gauss", kdeKwargs: { method: "binned" } });
    const maxRef = Math.max(...d.kde_gauss);
    let worst = 0;
    for (let i = 0; i < approx.length; i++) {
      const e = d.kde_gauss[i]!;
      if (e < 1e-3 * maxRef) continue;
      worst = Math.max(worst, Math.abs(approx[i]! / e - 1));
    }
    expect(worst).toBeLessThan(1e-2);
  });

  it("multivariate KDE at every event to 1e-5", () => {
    const d = full();
    const x = Float32Array.from(d.area_um);
    const y = Float32Array.from(d.deform);
    expectClose(kdeScatter(x, y, { kdeType: "multivariate" }), d.kde_multivariate, 1e-5);
    const emulated = kdeScatter(x, y, {
      kdeType: "multivariate",
      kdeKwargs: { emulateFloat32Kernel: true },
    });
    expectClose(emulated, d.kde_multivariate, 1e-5);
  });
});

/** area_um/deform of a reference file: from the JSON when complete, else read with openDataset. */
async function eventsOf(
  folder: string,
  name: string,
  ref: FileRef,
): Promise<{ x: Float32Array | Float64Array; y: Float32Array | Float64Array; via: string }> {
  if (ref.event_count === ref.area_um_first10.length) {
    return {
      x: typed(ref.area_um_first10, ref.area_um_dtype),
      y: typed(ref.deform_first10, ref.deform_dtype),
      via: "json",
    };
  }
  const ds = await openDataset(path.join(dir!, folder, name));
  try {
    const x = (await ds.get("area_um")) as Float32Array | Float64Array;
    const y = (await ds.get("deform")) as Float32Array | Float64Array;
    expect(x.length).toBe(ref.event_count);
    return { x, y, via: "openDataset" };
  } finally {
    await ds.close();
  }
}

for (const [rel, folder, label] of [
  ["rtdc/reference.json", "rtdc", "shared/data/rtdc"],
  ["rtdc/dcor-fixtures/reference.json", "rtdc/dcor-fixtures", "dcor-fixtures"],
] as const) {
  describe.skipIf(!dir)(`KDE vs dclab: ${label}/reference.json`, () => {
    const files = dir ? Object.entries(load(rel).files) : [];
    for (const [name, ref] of files) {
      const events = () => eventsOf(folder, name, ref);

      it(`${name}: Doane intermediates and bin numbers`, async () => {
        const { x, y } = await events();
        for (const [arr, r] of [
          [x, ref.doane_area_um],
          [y, ref.doane_deform],
        ] as const) {
          const opts = { float32: arr instanceof Float32Array };
          const res = doane(arr, opts);
          expect(res.n).toBe(r.n);
          // scipy computes the skew of float32 data in float32 arithmetic.
          expect(Math.abs(res.skew / r.skew_g1 - 1)).toBeLessThan(1e-4);
          expect(res.sigmaG1).toBeCloseTo(r.sigma_g1, 14);
          expect(Math.abs(res.k / r.k - 1)).toBeLessThan(1e-6);
          expect(Math.abs(res.width / r.bin_width_doane - 1)).toBeLessThan(1e-6);
          expect(binNumDoane(arr, opts)).toBe(r.bin_num_doane);
          expect(Math.max(5, binNumDoane(arr, opts))).toBe(r.bins_used);
          expect(Math.abs(binWidthPercentile(arr) / r.bin_width_percentile - 1)).toBeLessThan(1e-9);
        }
      });

      it(`${name}: histogram/gauss/multivariate KDE`, async () => {
        const { x, y } = await events();
        const first = (a: Float64Array) => a.subarray(0, ref.kde_histogram_first10.length);
        expectClose(first(kdeScatter(x, y)), ref.kde_histogram_first10, 1e-9);
        expectClose(
          first(
            kdeScatter(x, y, { positions: { x: Float64Array.from(x), y: Float64Array.from(y) } }),
          ),
          ref.kde_histogram_positions_first10,
          1e-9,
        );
        expectClose(first(kdeScatter(x, y, { kdeType: "gauss" })), ref.kde_gauss_first10, 1e-9);
        expectClose(
          first(kdeScatter(x, y, { kdeType: "multivariate" })),
          ref.kde_multivariate_first10,
          1e-5,
        );
        const emulated = kdeScatter(x, y, {
          kdeType: "multivariate",
          kdeKwargs: { emulateFloat32Kernel: true },
        });
        expectClose(first(emulated), ref.kde_multivariate_first10, 1e-5);
      });

      it(`${name}: contour raster summary`, async () => {
        const { x, y } = await events();
        const c = kdeContour(x, y);
        const r = ref.kde_contour_histogram;
        expect([c.nx, c.ny]).toEqual(r.shape);
        expect(c.x[0]).toBe(r.x_first);
        expect(c.x[c.nx - 1]).toBe(r.x_last);
        expect(c.y[0]).toBe(r.y_first);
        expect(c.y[c.ny - 1]).toBe(r.y_last);
        const max = Math.max(...c.density);
        let sum = 0;
        for (const v of c.density) sum += v;
        expect(Math.abs(max / r.z_max - 1)).toBeLessThan(1e-9);
        expect(Math.abs(sum / r.z_sum - 1)).toBeLessThan(1e-9);
        const centre = c.density[Math.floor(c.nx / 2) * c.ny + Math.floor(c.ny / 2)]!;
        expect(Math.abs(centre - r.z_center)).toBeLessThanOrEqual(1e-9 * r.z_max);
      });
    }
  });
}

describe.skipIf(!dir)("KDE contour vs dclab: example.rtdc", () => {
  it("matches the raster summary", () => {
    const d = JSON.parse(
      readFileSync(path.join(dir!, "rtdc/reference_example_full.json"), "utf8"),
    ) as { area_um: number[]; deform: number[] };
    const ref = load("rtdc/reference.json").files["example.rtdc"]!;
    const c = kdeContour(Float32Array.from(d.area_um), Float32Array.from(d.deform));
    const r = ref.kde_contour_histogram;
    expect([c.nx, c.ny]).toEqual(r.shape);
    let sum = 0;
    for (const v of c.density) sum += v;
    expect(Math.abs(sum / r.z_sum - 1)).toBeLessThan(1e-9);
    expect(Math.abs(Math.max(...c.density) / r.z_max - 1)).toBeLessThan(1e-9);
    const centre = c.density[Math.floor(c.nx / 2) * c.ny + Math.floor(c.ny / 2)]!;
    expect(Math.abs(centre - r.z_center)).toBeLessThanOrEqual(1e-9 * r.z_max);
  });
});
