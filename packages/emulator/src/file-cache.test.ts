import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ensureSampleFiles } from "./file-cache.js";
import { readRtdcInfo } from "./hdf5.js";
import type { SampleFileSpec } from "./synth-data.js";

const specs: SampleFileSpec[] = [
  {
    key: "t-a",
    sample: "test A",
    population: "rbc",
    events: 300,
    flowRate: 0.06,
    channelWidth: 20,
    pixelSize: 0.34,
    frameRate: 2000,
    date: "2024-01-01",
    time: "10:00:00",
    software: "test 1.0",
    medium: "CellCarrier",
  },
  {
    key: "t-b",
    sample: "test B",
    population: "hl60",
    events: 20,
    flowRate: 0.16,
    channelWidth: 30,
    pixelSize: 0.34,
    frameRate: 4000,
    date: "2024-01-02",
    time: "11:00:00",
    software: "test 1.0",
    medium: "CellCarrierB",
    images: true,
    fluorescence: true,
    tables: true,
  },
];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe("generated file cache", () => {
  it("builds once under concurrent callers and reuses the folder", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "emu-cache-test-"));
    dirs.push(root);
    const results = await Promise.all([1, 2, 3].map(() => ensureSampleFiles(specs, 7, root)));
    const shas = results.map((m) => m.get("t-a")?.file.sha256);
    expect(new Set(shas).size).toBe(1);
    const entries = await fs.readdir(root);
    expect(entries.filter((e) => e.startsWith("sample-"))).toHaveLength(1);
    expect(entries.filter((e) => e.startsWith(".tmp-") || e.endsWith(".lock"))).toEqual([]);
    const again = await ensureSampleFiles(specs, 7, root);
    expect(again.get("t-b")?.file.sha256).toBe(results[0]?.get("t-b")?.file.sha256);
  });

  it("writes realistic files that h5wasm reads back", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "emu-cache-test-"));
    dirs.push(root);
    const files = await ensureSampleFiles(specs, 7, root);
    const b = files.get("t-b");
    const info = await readRtdcInfo(b?.file.path as string);
    expect(info.eventCount).toBe(20);
    expect(info.features).toEqual(
      expect.arrayContaining(["area_um", "deform", "image", "mask", "contour", "trace", "fl1_max"]),
    );
    expect(info.traces).toEqual([
      "fl1_median",
      "fl1_raw",
      "fl2_median",
      "fl2_raw",
      "fl3_median",
      "fl3_raw",
    ]);
    expect(info.attrs["setup:flow rate"]).toBe(0.16);
    expect(info.attrs["online_contour:no absdiff"]).toBe(true);
    expect(info.attrs["experiment:event count"]).toBe(20);
    expect(Object.keys(info.tables)).toEqual(["cytoshot_monitor"]);
    expect(b?.info).toEqual({ ...info, tables: b?.info.tables });
    const condensed = await readRtdcInfo(b?.condensed.path as string);
    expect(condensed.features).not.toContain("image");
    expect(condensed.features).toEqual(
      expect.arrayContaining(["area_um", "deform", "index", "time"]),
    );
    const a = await readRtdcInfo(files.get("t-a")?.file.path as string);
    expect(a.eventCount).toBe(300);
  });

  it("is shared safely by concurrent processes", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "emu-cache-test-"));
    dirs.push(root);
    const module = fileURLToPath(new URL("./file-cache.ts", import.meta.url));
    const script = `import { ensureSampleFiles } from ${JSON.stringify(module)};
const m = await ensureSampleFiles(${JSON.stringify(specs)}, 11, ${JSON.stringify(root)});
console.log(m.get("t-a").file.sha256 + " " + m.get("t-b").condensed.sha256);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "--input-type=module", "-e", script],
          { timeout: 240_000 },
          (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
        );
      });
    const outputs = await Promise.all([run(), run(), run()]);
    expect(new Set(outputs).size).toBe(1);
    const entries = await fs.readdir(root);
    expect(entries.filter((e) => e.startsWith("sample-"))).toHaveLength(1);
    expect(entries.filter((e) => e.startsWith(".tmp-") || e.endsWith(".lock"))).toEqual([]);
    const [sha] = (outputs[0] as string).split(" ");
    const files = await ensureSampleFiles(specs, 11, root);
    expect(files.get("t-a")?.file.sha256).toBe(sha);
  }, 300_000);
});
