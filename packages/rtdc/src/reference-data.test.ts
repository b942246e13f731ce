// Every shared .rtdc file (incl. dcor-fixtures/) against dclab's reference.json: locally, as an
// HTTP URL served by the emulator, and as a DCOR resource (through its basins).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CKANAPI } from "@dcor/api";
import { type Emulator, sharedDataDir, startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset, type RtdcDataset } from "./dataset.js";

const shared = sharedDataDir();
if (!shared)
  console.log("reference-data tests skipped: shared data folder not found (set DCOR_SHARED_DATA)");

/** Ancillary features dclab computes that this package does not (emodulus needs look-up tables). */
const NOT_COMPUTED = new Set(["emodulus"]);
/** Computed from contours: missing only where the contour itself would come from the mask. */
const CONTOUR_DERIVED = new Set([
  "volume",
  "inert_ratio_cvx",
  "inert_ratio_raw",
  "inert_ratio_prnc",
  "tilt",
]);

function mayBeMissing(ds: RtdcDataset, f: string): boolean {
  return NOT_COMPUTED.has(f) || (CONTOUR_DERIVED.has(f) && !ds.features.includes("contour"));
}

interface Ref {
  event_count: number;
  features: string[];
  features_innate: string[];
  features_scalar: string[];
  area_um_mean: number;
  deform_mean: number;
  area_um_first10: number[];
  deform_first10: number[];
  area_um_dtype: string;
  kde_histogram_first10: number[];
  kde_gauss_first10: number[];
  kde_contour_histogram: {
    shape: [number, number];
    x_first: number;
    x_last: number;
    y_first: number;
    y_last: number;
    z_max: number;
    z_sum: number;
  };
}

function loadRefs(): { file: string; rel: string; ref: Ref }[] {
  if (!shared) return [];
  const out: { file: string; rel: string; ref: Ref }[] = [];
  for (const sub of ["", "dcor-fixtures/"]) {
    const refs = JSON.parse(readFileSync(join(shared, "rtdc", sub, "reference.json"), "utf8"))
      .files as Record<string, Ref>;
    for (const [name, ref] of Object.entries(refs))
      out.push({ file: join(shared, "rtdc", sub, name), rel: sub + name, ref });
  }
  return out;
}

/** Relative error with an absolute floor of 1e-12 × the largest expected value. */
function expectClose(actual: ArrayLike<number>, expected: number[], rtol: number): void {
  const scale = Math.max(...expected.map(Math.abs));
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    if (!(Math.abs(a - e) <= rtol * Math.abs(e) + 1e-12 * scale))
      throw new Error(`index ${i}: ${a} vs ${e}`);
  });
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s / a.length;
}

async function check(ds: RtdcDataset, ref: Ref, remote = false): Promise<void> {
  expect(ds.length).toBe(ref.event_count);
  expect(ds.featuresInnate).toEqual([...ref.features_innate].sort());
  const expected = ref.features.filter((f) => !mayBeMissing(ds, f) || ds.features.includes(f));
  if (remote && ds.file?.tree.basins.length) {
    // dclab does not follow "file" basins of remote files either: only innate + computable.
    for (const f of ds.features) expect(expected).toContain(f);
    return;
  }
  expect(ds.features).toEqual([...new Set(expected)].sort());
  expect(ds.featuresScalar).toEqual(
    ref.features_scalar.filter((f) => !mayBeMissing(ds, f) || ds.features.includes(f)).sort(),
  );
  const area = await ds.get("area_um");
  const deform = await ds.get("deform");
  expect(area.constructor.name.toLowerCase()).toContain(ref.area_um_dtype.replace(/\d+/, ""));
  expect(Array.from(area.slice(0, 10))).toEqual(ref.area_um_first10);
  expect(Array.from(deform.slice(0, 10))).toEqual(ref.deform_first10);
  expect(mean(area)).toBeCloseTo(ref.area_um_mean, 9);
  expect(Math.abs(mean(deform) - ref.deform_mean) / ref.deform_mean).toBeLessThan(1e-12);
  const kde = await ds.getKdeScatter({ xax: "area_um", yax: "deform", kdeType: "histogram" });
  ref.kde_histogram_first10.forEach((v, i) => {
    expect(Math.abs((kde[i] as number) - v) / Math.abs(v)).toBeLessThan(1e-9);
  });
  const gauss = await ds.getKdeScatter({ xax: "area_um", yax: "deform", kdeType: "gauss" });
  expect(gauss.length).toBe(ref.event_count);
  expectClose(gauss.subarray(0, ref.kde_gauss_first10.length), ref.kde_gauss_first10, 1e-9);
  // Grid size and range follow numpy's float32 arithmetic on float32 features.
  const c = await ds.getKdeContour({ kdeType: "histogram" });
  const r = ref.kde_contour_histogram;
  expect([c.nx, c.ny]).toEqual(r.shape);
  expect([c.x[0], c.x[c.nx - 1], c.y[0], c.y[c.ny - 1]]).toEqual([
    r.x_first,
    r.x_last,
    r.y_first,
    r.y_last,
  ]);
  let sum = 0;
  for (const v of c.density) sum += v;
  expect(Math.abs(sum / r.z_sum - 1)).toBeLessThan(1e-9);
  expect(Math.abs(Math.max(...c.density) / r.z_max - 1)).toBeLessThan(1e-9);
}

const refs = loadRefs();

describe.skipIf(!shared)("shared RT-DC files match dclab's reference.json", () => {
  let emu: Emulator;
  let api: CKANAPI;
  const byName = new Map<string, { id: string; url: string }>();

  beforeAll(async () => {
    emu = await startEmulator({ dataDir: join(shared as string, "rtdc"), sample: false });
    api = new CKANAPI({ server: emu.url });
    for (const d of emu.catalog.datasets) {
      for (const r of (d as { resources?: { id: string; name: string; url: string }[] })
        .resources ?? []) {
        const info = emu.catalog.resource(r.id);
        if (info)
          byName.set(`${basename(join(info.filePath, ".."))}/${r.name}`, { id: r.id, url: r.url });
      }
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  function resourceFor(rel: string): { id: string; url: string } {
    const key = rel.includes("/") ? rel : `rtdc/${rel}`;
    const r = byName.get(key);
    if (!r)
      throw new Error(`emulator has no resource for ${rel}: ${[...byName.keys()].join(", ")}`);
    return r;
  }

  for (const { file, rel, ref } of refs) {
    it(`local: ${rel}`, async () => {
      const ds = await openDataset(file);
      try {
        await check(ds, ref);
      } finally {
        await ds.close();
      }
    });
    it(`http: ${rel}`, async () => {
      const ds = await openDataset(resourceFor(rel).url);
      try {
        await check(ds, ref, true);
      } finally {
        await ds.close();
      }
    });
    it(`dcor: ${rel}`, async () => {
      const ds = await openDataset(resourceFor(rel).id, { api });
      try {
        expect(ds.basins.map((b) => b.name)).toEqual([
          expect.stringMatching(/^condensed-/),
          expect.stringMatching(/^resource-/),
        ]);
        // Through DCOR, innate features come from the basins: compare what is readable.
        expect(ds.length).toBe(ref.event_count);
        for (const f of ref.features_innate) expect(ds.features).toContain(f);
        // The emulator's condensed files store some ancillary features (area_um) in float64
        // where dclab's are float32: compare to float32 precision.
        const area = await ds.get("area_um");
        const deform = await ds.get("deform");
        for (const [i, v] of ref.area_um_first10.entries()) {
          expect(Math.abs((area[i] as number) - v) / v).toBeLessThan(1e-6);
        }
        for (const [i, v] of ref.deform_first10.entries()) {
          expect(Math.abs((deform[i] as number) - v)).toBeLessThan(1e-6 * Math.abs(v) + 1e-9);
        }
        expect(Math.abs(mean(area) - ref.area_um_mean) / ref.area_um_mean).toBeLessThan(1e-6);
        // Logs and tables come from dcserv: the same names and columns as in the local file
        // (DCOR may add logs of its own processing).
        const local = await openDataset(file);
        try {
          const [logs, localLogs] = [await ds.logs(), await local.logs()];
          for (const name of Object.keys(localLogs)) expect(logs[name]).toEqual(localLogs[name]);
          const [tables, localTables] = [await ds.tables(), await local.tables()];
          for (const [name, t] of Object.entries(localTables)) {
            expect(tables[name]?.columns).toEqual(t.columns);
            expect(tables[name]?.rows.length).toBe(t.rows.length);
          }
        } finally {
          await local.close();
        }
      } finally {
        await ds.close();
      }
    });
  }

  it("computes contour features like dclab (stored values of calibration_beads_47)", async () => {
    const ds = await openDataset(
      join(shared as string, "rtdc", "dcor-fixtures", "calibration_beads_47.rtdc"),
    );
    try {
      const { inertRatioCvx, inertRatioPrnc, inertRatioRaw, tilt } = await import(
        "./contour-features.js"
      );
      const contours = await ds.contours();
      expect(contours.length).toBe(ds.length);
      const checks: [string, (c: (typeof contours)[number]) => number, number][] = [
        ["inert_ratio_raw", inertRatioRaw, 1e-6],
        ["inert_ratio_cvx", inertRatioCvx, 1e-6],
        ["inert_ratio_prnc", inertRatioPrnc, 1e-6],
        ["tilt", tilt, 1e-12],
      ];
      for (const [name, fn, tol] of checks) {
        const stored = await ds.get(name);
        contours.forEach((c, i) => {
          expect(Math.abs(fn(c) - (stored[i] as number))).toBeLessThanOrEqual(
            tol * Math.abs(stored[i] as number) + 1e-12,
          );
        });
      }
      // volume is not stored there: computed, finite and positive for beads (~115 µm³).
      const vol = await ds.get("volume");
      expect(vol.every((v) => v > 50 && v < 300)).toBe(true);
    } finally {
      await ds.close();
    }
  });

  it("computes contours from masks like dclab (cytoshot_blood)", async () => {
    const refsDcor = JSON.parse(
      readFileSync(join(shared as string, "rtdc", "dcor-fixtures", "reference.json"), "utf8"),
    ).files as Record<string, { contour_point_counts: number[] }>;
    const ds = await openDataset(
      join(shared as string, "rtdc", "dcor-fixtures", "cytoshot_blood.rtdc"),
    );
    try {
      expect(ds.featuresInnate).not.toContain("contour");
      expect(ds.featuresAncillary).toContain("contour");
      const counts = (await ds.contours()).map((c) => c.x.length);
      expect(counts).toEqual(refsDcor["cytoshot_blood.rtdc"]?.contour_point_counts);
      // dclab computed the stored inert_ratio_raw from exactly these contours.
      const { inertRatioRaw } = await import("./contour-features.js");
      const stored = await ds.get("inert_ratio_raw");
      for (let i = 0; i < ds.length; i++) {
        const v = stored[i] as number;
        expect(Math.abs(inertRatioRaw(await ds.contour(i)) - v)).toBeLessThan(1e-12 * v);
      }
    } finally {
      await ds.close();
    }
  });

  it("computes brightness features like dclab (stored values of cytoshot_blood)", async () => {
    const { ANCILLARY_FEATURES } = await import("./ancillary.js");
    const ds = await openDataset(
      join(shared as string, "rtdc", "dcor-fixtures", "cytoshot_blood.rtdc"),
    );
    try {
      const ctx = {
        config: ds.config,
        length: ds.length,
        get: (n: string) => ds.get(n),
        contours: () => ds.contours(),
        pixels: async (n: "image" | "image_bg" | "mask", i: number) =>
          n === "mask" ? (await ds.mask(i)).data : ((await ds.eventData(n, i)).data as Uint8Array),
        has: (n: string) => ds.has(n),
      };
      const names = [
        "bright_avg",
        "bright_sd",
        "bright_bc_avg",
        "bright_bc_sd",
        "bright_perc_10",
        "bright_perc_90",
      ];
      for (const name of names) {
        const def = ANCILLARY_FEATURES.find((a) => a.name === name);
        const mine = await def?.compute(ctx);
        const stored = await ds.get(name);
        for (let i = 0; i < ds.length; i++) {
          expect(Math.abs((mine?.[i] as number) - (stored[i] as number))).toBeLessThanOrEqual(
            1e-12 * Math.abs(stored[i] as number) + 1e-12,
          );
        }
      }
    } finally {
      await ds.close();
    }
  });

  it("reads images, masks, contours and traces of the dcor fixtures like dclab", async () => {
    const refsDcor = JSON.parse(
      readFileSync(join(shared as string, "rtdc", "dcor-fixtures", "reference.json"), "utf8"),
    ).files as Record<string, Record<string, unknown>>;
    for (const [name, r] of Object.entries(refsDcor)) {
      const ds = await openDataset(join(shared as string, "rtdc", "dcor-fixtures", name));
      try {
        if (r.image_0_sum !== undefined) {
          const img = await ds.image(0);
          expect([img.height, img.width]).toEqual((r.image_shape as number[]).slice(1));
          expect(img.data.reduce((a, b) => a + b, 0)).toBe(r.image_0_sum);
        }
        if (r.mask_0_sum !== undefined && ds.featuresInnate.includes("mask")) {
          const m = await ds.mask(0);
          // dclab's sum over a bool mask counts pixels.
          expect(m.data.reduce((a, b) => a + b, 0)).toBe(r.mask_0_sum);
        }
        if (r.contour_source === "innate") {
          const counts = r.contour_point_counts as number[];
          for (let i = 0; i < Math.min(3, counts.length); i++)
            expect((await ds.contour(i)).x.length).toBe(counts[i]);
        }
        expect(await ds.traceNames()).toEqual([...((r.trace_names as string[]) ?? [])].sort());
        const logs = await ds.logs();
        expect(Object.fromEntries(Object.entries(logs).map(([k, v]) => [k, v.length]))).toEqual(
          r.logs,
        );
        const tables = await ds.tables();
        for (const [t, info] of Object.entries(
          (r.tables as Record<string, { columns: string[]; rows: number }>) ?? {},
        )) {
          expect(tables[t]?.columns).toEqual(info.columns);
          expect(tables[t]?.rows.length).toBe(info.rows);
        }
      } finally {
        await ds.close();
      }
    }
  });
});
