import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CKANAPI } from "@dcor/api";
import { type Emulator, startEmulator } from "@dcor/emulator";
import { openDataset } from "@dcor/rtdc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as kdeScatter } from "./01-kde-scatter.js";
import { FLOW_RATES, main as flowRates } from "./02-flow-rates.js";
import { main as downloadDataset } from "./03-download-dataset.js";
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

  // The same numbers straight from the file the emulator serves.
  const local = await openDataset(truth.filePath);
  try {
    expect(result.points.x).toEqual(Float64Array.from(await local.get("area_um")));
    expect(result.points.y).toEqual(Float64Array.from(await local.get("deform")));
    expect(result.points.density).toEqual(
      await local.getKdeScatter({ xax: "area_um", yax: "deform" }),
    );
    expect(result.title).toBe(String(local.config.experiment?.sample));
  } finally {
    await local.close();
  }

  const svg = await expectPlotFiles(result.plot);
  const finite = result.points.x.filter(
    (x, i) => Number.isFinite(x) && Number.isFinite(result.points.y[i]!),
  ).length;
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

  it("rejects an unknown dataset with the API's not-found error", async () => {
    const api = new CKANAPI({ server: emu.url });
    await expect(
      downloadDataset({ api, dataset: "no-such-dataset", directory: join(out, "none") }),
    ).rejects.toMatchObject({ code: "DCOR_NOT_FOUND" });
  });
});
