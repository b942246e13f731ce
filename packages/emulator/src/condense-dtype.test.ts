import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSampleFiles } from "./file-cache.js";
import { loadH5, writeCondensed, writeRtdc } from "./hdf5.js";
import type { SampleFileSpec } from "./synth-data.js";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "emu-dtype-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** name → h5wasm dtype string ("<f" float32, "<d" float64, "<q" int64) of every 1-D feature. */
async function dtypes(file: string): Promise<Record<string, string>> {
  const h5 = await loadH5();
  const f = new h5.File(file, "r");
  try {
    const events = f.get("events");
    const out: Record<string, string> = {};
    if (!(events instanceof h5.Group)) return out;
    for (const name of events.keys()) {
      const ds = events.get(name);
      if (ds instanceof h5.Dataset && ds.shape?.length === 1) out[name] = String(ds.dtype);
    }
    return out;
  } finally {
    f.close();
  }
}

describe("condensed copies keep dclab's dtypes", () => {
  it("keeps every stored feature's dtype and derives ancillary ones as dclab does", async () => {
    const n = 50;
    const src = path.join(dir, "typed.rtdc");
    await writeRtdc(src, {
      attrs: {
        "experiment:event count": n,
        "imaging:pixel size": 0.34,
        "imaging:frame rate": 2000,
      },
      scalars: {
        area_cvx: Float32Array.from({ length: n }, (_x, i) => 100 + i),
        area_msd: Float32Array.from({ length: n }, (_x, i) => 98 + i),
        circ: Float32Array.from({ length: n }, () => 0.9),
        size_x: Float32Array.from({ length: n }, () => 10),
        size_y: Float32Array.from({ length: n }, () => 8),
        frame: BigInt64Array.from({ length: n }, (_x, i) => BigInt(10 * i + 3)),
        bright_avg: Float64Array.from({ length: n }, () => 120.5),
        index_online: Int32Array.from({ length: n }, (_x, i) => i),
      },
    });
    const dst = path.join(dir, "typed_condensed.rtdc");
    await writeCondensed(src, dst);
    const before = await dtypes(src);
    const after = await dtypes(dst);
    for (const [name, dtype] of Object.entries(before))
      expect([name, after[name]]).toEqual([name, dtype]);
    expect(before.frame).toBe("<q");
    expect(after).toMatchObject({
      area_um: "<f", // float32 area_cvx × px² stays float32
      deform: "<f", // 1 − float32 circ
      aspect: "<d",
      area_ratio: "<d",
      index: "<q",
      time: "<d",
    });
    // and the values are right
    const h5 = await loadH5();
    const f = new h5.File(dst, "r");
    try {
      const get = (name: string) =>
        (f.get(`events/${name}`) as InstanceType<typeof h5.Dataset>).value;
      expect((get("area_um") as Float32Array)[1]).toBeCloseTo(101 * 0.34 * 0.34, 4);
      expect((get("index") as BigInt64Array)[n - 1]).toBe(BigInt(n));
      expect((get("time") as Float64Array)[2]).toBeCloseTo(23 / 2000, 12);
      expect((get("frame") as BigInt64Array)[2]).toBe(23n);
    } finally {
      f.close();
    }
  });

  it("generated sample files: the condensed copy has the original's dtypes, index int64", async () => {
    const spec: SampleFileSpec = {
      key: "dtype-a",
      sample: "dtype A",
      population: "rbc",
      events: 40,
      flowRate: 0.06,
      channelWidth: 20,
      pixelSize: 0.34,
      frameRate: 2000,
      date: "2024-01-01",
      time: "10:00:00",
      software: "test 1.0",
      medium: "CellCarrier",
    };
    const files = await ensureSampleFiles([spec], 7, path.join(dir, "cache"));
    const entry = files.get("dtype-a");
    if (!entry) throw new Error("no sample file");
    const before = await dtypes(entry.file.path);
    const after = await dtypes(entry.condensed.path);
    expect(before.area_um).toBe("<f");
    for (const [name, dtype] of Object.entries(before))
      expect([name, after[name]]).toEqual([name, dtype]);
    expect(after.index).toBe("<q");
  });
});
