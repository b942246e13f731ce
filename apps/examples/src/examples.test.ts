import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CKANAPI } from "@dcor/api";
import { type Emulator, startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_RATES, main as flowRates } from "./02-flow-rates.js";
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
