import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { CKANAPI } from "@dcor/api";
import { type Emulator, startEmulator } from "@dcor/emulator";
import { openDataset } from "@dcor/rtdc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as kdeScatter } from "./01-kde-scatter.js";
import { FLOW_RATES, main as flowRates } from "./02-flow-rates.js";
import { main as downloadDataset } from "./03-download-dataset.js";
import { main as searchAndExport } from "./04-search-and-export.js";
import { sharedRtdcDir } from "./connect.js";
import { countSvgMarks, pngSize } from "./plot/index.js";

type Dict = Record<string, unknown>;

/** RT-DC resources of a circle as the emulator holds them (ground truth, not via the API). */
function dcResourcesOfCircle(emu: Emulator, circle: string, user: string | null): Dict[] {
  return emu.catalog
    .visibleDatasets(user)
    .filter((ds) => (ds.organization as Dict | undefined)?.name === circle)
    .flatMap((ds) => (ds.resources as Dict[]).filter((r) => r.mimetype === "RT-DC"));
}

/** numpy.allclose(a, b) for scalars. */
const allclose = (a: number, b: number) => Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);

async function expectPlotFiles(plot: { pngPath: string; svgPath: string }, w = 640, h = 480) {
  expect(pngSize(await readFile(plot.pngPath))).toEqual({ width: w, height: h });
  const svg = await readFile(plot.svgPath, "utf8");
  expect(svg.startsWith("<svg")).toBe(true);
  return svg;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE));
  }
  expect(worst).toBeLessThanOrEqual(rtol);
}

let emu: Emulator;
let out: string;
beforeAll(async () => {
  emu = await startEmulator({});
  out = await mkdtemp(join(tmpdir(), "dcor-examples-"));
});
afterAll(async () => {
  await emu?.close();
  await rm(out, { recursive: true, force: true });
});

/** Runs example 1 on one resource and checks the plot against what the emulator holds. */
async function checkKdeScatter(api: CKANAPI, circle: string, resourceName: string, dir: string) {
  const { resources } = await kdeScatter({ api, circle, index: 0, out: join(dir, "probe") });
  const index = resources.findIndex((r) => r.name === resourceName);
  expect(index, `${resourceName} in circle ${circle}`).toBeGreaterThanOrEqual(0);
  const result = await kdeScatter({ api, circle, index, out: dir });

  const truth = emuOf(api).catalog.resource(result.resource.id)!;
  const events = Number(truth.resource["dc:experiment:event count"]);
  expect(result.points.x).toHaveLength(events);
  expect(result.points.density).toHaveLength(events);

  // The density is what `ds.getKdeScatter` gives for the same resource, opened independently.
  const remote = await openDataset(result.resource.id, { api });
  try {
    expect(result.points.density).toEqual(
      await remote.getKdeScatter({ xax: "area_um", yax: "deform" }),
    );
    expect(result.points.x).toEqual(Float64Array.from(await remote.get("area_um")));
    expect(result.title).toBe(String(remote.config.experiment?.sample));
  } finally {
    await remote.close();
  }
  // The points are the events of the file the emulator serves. (Remote reads come from the
  // condensed file, whose ancillary features the emulator computes in float64 while the
  // original gives float32 precision, so compare to float32 precision.)
  const local = await openDataset(truth.filePath);
  try {
    expectClose(result.points.x, await local.get("area_um"), 1e-6);
    expectClose(result.points.y, await local.get("deform"), 1e-6);
  } finally {
    await local.close();
  }

  const svg = await expectPlotFiles(result.plot);
  const finite = result.points.x.filter(
    (x, i) => Number.isFinite(x) && Number.isFinite(result.points.y[i]!),
  ).length;
  expect(result.plotted).toBe(finite);
  expect(countSvgMarks(svg, "symbol")).toBe(finite);
  for (const text of ["Area [µm²]", "Deformation", "kernel density estimate [a.u]", result.title]) {
    expect(svg).toContain(text);
  }
  return result;
}

const emulators = new Map<CKANAPI, Emulator>();
const emuOf = (api: CKANAPI) => emulators.get(api)!;
function apiFor(e: Emulator, apiKey?: string) {
  const api = new CKANAPI({ server: e.url, apiKey });
  emulators.set(api, e);
  return api;
}

describe("01-kde-scatter", () => {
  it("plots every event of a circle's resource coloured by its histogram KDE", async () => {
    const result = await checkKdeScatter(
      apiFor(emu),
      "figshare-import",
      "M003_data.rtdc",
      join(out, "kde"),
    );
    expect(result.points.x.length).toBeGreaterThan(1000);
  });

  it("plots resource 0 by default and rejects an index out of range", async () => {
    const api = apiFor(emu);
    const first = await kdeScatter({ api, out: join(out, "kde0") });
    expect(first.resource.id).toBe(first.resources[0]!.id);
    await expect(
      kdeScatter({ api, index: first.resources.length, out: join(out, "kde-bad") }),
    ).rejects.toMatchObject({ code: "EXAMPLE_USAGE" });
  });
});

describe("02-flow-rates", () => {
  it.each([
    ["figshare-import", null],
    ["alice-lab", "alice"],
  ] as const)(
    "counts the RT-DC resources of circle %s per flow rate (user %s)",
    async (circle, user) => {
      const apiKey = user ? emu.users.find((u) => u.name === user)!.token : undefined;
      const api = new CKANAPI({ server: emu.url, apiKey });
      const result = await flowRates({ api, circle, out: join(out, circle) });

      const resources = dcResourcesOfCircle(emu, circle, user);
      const rate = (r: Dict) => Number(r["dc:setup:flow rate"]);
      const expected = FLOW_RATES.map((f) => resources.filter((r) => allclose(rate(r), f)).length);
      const others = resources.filter((r) => !FLOW_RATES.some((f) => allclose(rate(r), f))).length;
      expect(result.bars).toEqual([
        ...FLOW_RATES.map((f, i) => ({ label: String(f), value: expected[i] })),
        { label: "others", value: others },
      ]);
      expect(result.total).toBe(resources.length);
      expect(resources.length).toBeGreaterThan(0);

      const svg = await expectPlotFiles(result.plot);
      expect(countSvgMarks(svg, "rect")).toBe(FLOW_RATES.length + 1);
      for (const text of [`circle ${circle}`, "flow rates [µL/s]", "number of datasets"]) {
        expect(svg).toContain(text);
      }
    },
  );

  it("runs as a script with --demo and writes the plot", async () => {
    const dir = join(out, "cli");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@dcor/source",
        "src/02-flow-rates.ts",
        "--demo",
        "--out",
        dir,
      ],
      { cwd: join(import.meta.dirname, ".."), timeout: 120_000 },
    );
    expect(stdout).toMatch(/RT-DC resources in circle figshare-import/);
    await expectPlotFiles({
      pngPath: join(dir, "flow-rates.png"),
      svgPath: join(dir, "flow-rates.svg"),
    });
  }, 150_000);

  it("exits with code 2 and a usage message on a bad option", async () => {
    const run = promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--conditions=@dcor/source", "src/02-flow-rates.ts", "--bogus"],
      { cwd: join(import.meta.dirname, ".."), timeout: 60_000 },
    );
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("usage:") });
  }, 90_000);
});

describe("03-download-dataset", () => {
  it("downloads every resource of the dataset, verified, with progress up to 100 %", async () => {
    const api = new CKANAPI({ server: emu.url });
    const name = "figshare-7771184-v2";
    const dataset = emu.catalog.datasets.find((ds) => ds.name === name)!;
    const resources = dataset.resources as Dict[];
    const directory = join(out, "downloads");
    const progress: { bytes: number; total: number; done: boolean }[] = [];
    const result = await downloadDataset({
      api,
      dataset: name,
      directory,
      onProgress: (p) => progress.push(p),
    });

    expect(result.files).toHaveLength(resources.length);
    for (const res of resources) {
      const file = result.files.find(
        (f) => f.destination === join(directory, name, String(res.name)),
      );
      expect(file, `file of resource ${res.name}`).toBeDefined();
      const bytes = await readFile(file!.destination);
      const truth = await readFile(emu.catalog.resource(String(res.id))!.filePath);
      expect(bytes.equals(truth)).toBe(true);
      expect(file!.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(file!.sha256).toBe(res.sha256);
      expect(file!.verifiedBy).toBe("sha256");
    }
    // Only the verified files are there: no partial files left.
    expect((await readdir(join(directory, name))).sort()).toEqual(
      resources.map((r) => String(r.name)).sort(),
    );
    const last = progress.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.bytes).toBe(resources.reduce((sum, r) => sum + Number(r.size), 0));
    expect(last.bytes).toBe(last.total);

    // A second run finds the files, verifies them and downloads nothing.
    emu.stats.reset();
    const again = await downloadDataset({ api, dataset: name, directory });
    expect(again.files.every((f) => f.existed)).toBe(true);
    expect(emu.stats.snapshot().byRoute.object.bytesSent).toBe(0);
  });

  it("stops on abort without leaving a file under its final name, and resumes on the next run", async () => {
    const api = new CKANAPI({ server: emu.url });
    const name = "figshare-7771184-v2";
    const directory = join(out, "downloads-abort");
    const slow = emu.faults.add({ route: "object", bytesPerSecond: 200_000 });
    const controller = new AbortController();
    const reason = new Error("stop");
    try {
      const run = downloadDataset({
        api,
        dataset: name,
        directory,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytes > 0) controller.abort(reason);
        },
      });
      await expect(run).rejects.toBe(reason);
    } finally {
      emu.faults.remove(slow);
    }
    const resources = emu.catalog.datasets.find((ds) => ds.name === name)!.resources as Dict[];
    const present = await readdir(join(directory, name)).catch(() => [] as string[]);
    const finished = present.filter((f) => resources.some((r) => r.name === f));
    expect(finished.length).toBeLessThan(resources.length);
    for (const f of finished) {
      // Anything under a final name is complete and correct.
      const res = resources.find((r) => r.name === f)!;
      const bytes = await readFile(join(directory, name, f));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(res.sha256);
    }

    const again = await downloadDataset({ api, dataset: name, directory });
    expect(again.files).toHaveLength(resources.length);
    for (const f of again.files) {
      const res = resources.find((r) => join(directory, name, String(r.name)) === f.destination)!;
      expect(f.sha256).toBe(res.sha256);
    }
  });

  it("rejects an unknown dataset with the API's not-found error", async () => {
    const api = new CKANAPI({ server: emu.url });
    await expect(
      downloadDataset({ api, dataset: "no-such-dataset", directory: join(out, "none") }),
    ).rejects.toMatchObject({ code: "DCOR_NOT_FOUND" });
  });
});

/** Runs example 4 and checks the exported file against the file the emulator serves. */
async function checkExport(
  api: CKANAPI,
  options: Omit<Parameters<typeof searchAndExport>[0], "api">,
) {
  const result = await searchAndExport({ api, ...options });
  const truth = emuOf(api).catalog.resource(result.resource.id)!;
  const source = await openDataset(truth.filePath);
  const exported = await openDataset(result.exported.path);
  try {
    const { feature, min, max } = result.box;
    const values = await source.get(feature);
    const kept = Array.from(values).filter((v) => v >= min && v <= max);
    expect(result.resource.events).toBe(source.length);
    expect(result.exported.events).toBe(kept.length);
    expect(exported.length).toBe(kept.length);
    expect(Array.from(await exported.get(feature))).toEqual(kept);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(source.length);
  } finally {
    await source.close();
    await exported.close();
  }
  return result;
}

describe("04-search-and-export", () => {
  it("searches two circles and exports the middle half of area_um to a new file", async () => {
    const alice = emu.users.find((u) => u.name === "alice")!;
    const circles = ["figshare-import", "alice-lab"];
    const result = await checkExport(apiFor(emu, alice.token), {
      query: "blood",
      circles,
      out: join(out, "export"),
    });
    expect(result.hits.length).toBeGreaterThan(1);
    for (const hit of result.hits) expect(circles).toContain(hit.circle);
    expect(new Set(result.hits.map((h) => h.circle)).size).toBe(2);
  });

  it("uses the box given and rejects a resource index beyond the hits", async () => {
    const api = apiFor(emu);
    const result = await checkExport(api, {
      query: "HL60",
      index: 1,
      feature: "deform",
      min: 0.005,
      max: 0.02,
      out: join(out, "export2"),
    });
    expect(result.box).toEqual({ feature: "deform", min: 0.005, max: 0.02 });
    // A second run with another box replaces the file.
    const again = await checkExport(api, {
      query: "HL60",
      index: 1,
      feature: "deform",
      min: 0.01,
      max: 0.02,
      out: join(out, "export2"),
    });
    expect(again.exported.path).toBe(result.exported.path);
    expect(again.exported.events).toBeLessThan(result.exported.events);
    expect(await readdir(join(out, "export2"))).toEqual([basename(result.exported.path)]);
    await expect(
      searchAndExport({ api, query: "HL60", index: 10_000, out: join(out, "export3") }),
    ).rejects.toMatchObject({ code: "EXAMPLE_USAGE" });
  });
});

const sharedDir = sharedRtdcDir();
if (!sharedDir) {
  console.warn(
    "examples: shared/data/rtdc not found (set DCOR_SHARED_DATA); skipping the runs on real measurements",
  );
}

describe.skipIf(!sharedDir)("every example on the real measurements of shared/data/rtdc", () => {
  let real: Emulator;
  beforeAll(async () => {
    real = await startEmulator({ dataDir: sharedDir! });
  });
  afterAll(async () => {
    await real?.close();
  });

  it("01: example.rtdc, KDE equal to dclab's reference values", async () => {
    const dir = join(out, "real-kde");
    const result = await checkKdeScatter(apiFor(real), "local-data", "example.rtdc", dir);
    const reference = JSON.parse(
      await readFile(join(sharedDir!, "reference_example_full.json"), "utf8"),
    ) as { kde_histogram: number[]; area_um: number[] };
    // The plot's area_um comes from the emulator's condensed copy, computed in float32 as dclab does.
    expectClose(result.points.density, reference.kde_histogram, 1e-9);
  });

  it("02: flow rates of circle local-data (float32-rounded values match)", async () => {
    const result = await flowRates({
      api: apiFor(real),
      circle: "local-data",
      out: join(out, "real-flow"),
    });
    const resources = dcResourcesOfCircle(real, "local-data", null);
    const rate = (r: Dict) => Number(r["dc:setup:flow rate"]);
    const expected = FLOW_RATES.map((f) => resources.filter((r) => allclose(rate(r), f)).length);
    expect(result.bars.map((b) => b.value)).toEqual([
      ...expected,
      resources.length - expected.reduce((a, b) => a + b, 0),
    ]);
    expect(result.bars[1]!.value).toBeGreaterThan(0); // 0.06 includes 0.05999999865889549
    await expectPlotFiles(result.plot);
  });

  it("03: downloads a dataset of real files, verified", async () => {
    const api = apiFor(real);
    const result = await downloadDataset({
      api,
      dataset: "local-example",
      directory: join(out, "real-dl"),
    });
    const truth = real.catalog.datasets.find((d) => d.name === "local-example")!;
    expect(result.files).toHaveLength((truth.resources as Dict[]).length);
    for (const f of result.files) {
      expect(f.sha256).toBe(
        createHash("sha256")
          .update(await readFile(f.destination))
          .digest("hex"),
      );
      expect(f.verifiedBy).toBe("sha256");
    }
  });

  it("04: exports a box of area_um from a real file", async () => {
    await checkExport(apiFor(real), {
      query: "",
      circles: ["local-data"],
      index: 0,
      out: join(out, "real-export"),
    });
  });
});

describe("every example runs as a script with --demo", () => {
  const run = (script: string, args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--conditions=@dcor/source", script, "--demo", ...args],
      { cwd: join(import.meta.dirname, ".."), timeout: 150_000 },
    );

  it("01 writes kde-scatter.png", async () => {
    const dir = join(out, "cli-01");
    const { stdout } = await run("src/01-kde-scatter.ts", ["--out", dir, "--index", "1"]);
    expect(stdout).toMatch(/^\*\s+1 /m);
    await expectPlotFiles({
      pngPath: join(dir, "kde-scatter.png"),
      svgPath: join(dir, "kde-scatter.svg"),
    });
  }, 180_000);

  it("03 downloads the default dataset", async () => {
    const dir = join(out, "cli-03");
    const { stdout } = await run("src/03-download-dataset.ts", ["--out", dir]);
    expect(stdout).toMatch(/100\.0 %/);
    expect(stdout.match(/verified by sha256/g)).toHaveLength(4);
    expect(await readdir(join(dir, "downloads", "figshare-7771184-v2"))).toHaveLength(4);
  }, 180_000);

  it("04 exports a subset and reads it back", async () => {
    const dir = join(out, "cli-04");
    const { stdout } = await run("src/04-search-and-export.ts", ["--out", dir, "--min", "0"]);
    const written = /wrote (.+\.rtdc): (\d+) events/.exec(stdout);
    expect(written, stdout).not.toBeNull();
    const subset = await openDataset(written![1]!);
    try {
      expect(subset.length).toBe(Number(written![2]));
    } finally {
      await subset.close();
    }
  }, 180_000);
});
