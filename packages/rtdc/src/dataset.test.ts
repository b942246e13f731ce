import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basinLines } from "./basins.js";
import { openDataset } from "./dataset.js";
import { RtdcClosedError, RtdcFeatureUnavailableError, RtdcWriteError } from "./errors.js";
import { writeHdf5 } from "./hdf5/client.js";
import { syntheticData, writeSynthetic } from "./test-helpers.js";
import { writeRtdc } from "./writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-ds-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("openDataset on files written by writeRtdc", () => {
  it("reads config, features, events, logs and tables back", async () => {
    const path = join(dir, "full.rtdc");
    const data = await writeSynthetic(path, 25);
    const ds = await openDataset(path);
    expect(ds.length).toBe(25);
    expect(ds.config.experiment["event count"]).toBe(25);
    expect(ds.config.experiment.sample).toBe("synthetic blood");
    expect(ds.config.experiment["run index"]).toBe(1);
    expect(ds.config.imaging["pixel size"]).toBe(0.34);
    expect(ds.config.setup["chip region"]).toBe("channel"); // lcstr
    expect(ds.config.online_contour["no absdiff"]).toBe(true);
    expect(ds.config.online_contour["bin threshold"]).toBe(6);
    expect(ds.config.online_filter["area_um,deform polygon points"]).toEqual([
      [1, 2],
      [3, 4],
      [5, 1],
    ]);
    expect(ds.config.user).toEqual({ note: "hello", level: 3 });
    expect(String(ds.config.setup["software version"])).toMatch(/dcor-rtdc/);
    expect(ds.featuresInnate).toEqual(
      [
        "area_cvx",
        "area_msd",
        "bright_avg",
        "circ",
        "contour",
        "frame",
        "image",
        "mask",
        "pos_x",
        "size_x",
        "size_y",
        "trace",
      ].sort(),
    );
    for (const f of ["area_um", "deform", "area_ratio", "aspect", "index", "time"])
      expect(ds.features).toContain(f);
    expect(ds.featuresScalar).not.toContain("image");

    const cvx = data.features.area_cvx as Float32Array;
    const area = await ds.get("area_um");
    expect(area).toBeInstanceOf(Float32Array);
    const f = Math.fround(0.34 * 0.34);
    expect(area[3]).toBe(Math.fround((cvx[3] as number) * f));
    const deform = await ds.get("deform");
    expect(deform[0]).toBe(Math.fround(1 - ((data.features.circ as Float32Array)[0] as number)));
    expect(Array.from((await ds.get("index")).slice(0, 3))).toEqual([1, 2, 3]);
    expect((await ds.get("time"))[2]).toBe(16 / 2000);
    const ratio = await ds.get("area_ratio");
    expect(ratio).toBeInstanceOf(Float64Array);
    expect(ratio[1]).toBe(
      Math.fround((cvx[1] as number) / ((data.features.area_msd as Float32Array)[1] as number)),
    );

    const img = await ds.image(7);
    expect([img.height, img.width]).toEqual([12, 20]);
    const stack = data.features.image as unknown as { data: Uint8Array };
    expect(Array.from(img.data.slice(0, 5))).toEqual(
      Array.from(stack.data.slice(7 * 240, 7 * 240 + 5)),
    );
    const mask = await ds.mask(2);
    expect(mask.data.reduce((a, b) => a + b, 0)).toBe(5 * 9);
    expect(Math.max(...mask.data)).toBe(1);
    const c = await ds.contour(4);
    expect(Array.from(c.x)).toEqual([5, 12, 12, 5]);
    expect(await ds.traceNames()).toEqual(["fl1_median", "fl1_raw"]);
    const tr = await ds.trace("fl1_raw", 3);
    expect(tr).toBeInstanceOf(Int16Array);
    expect(tr[0]).toBe(90);
    const block = await ds.getRange("image", { start: 20, count: 10 });
    expect(block.shape).toEqual([5, 12, 20]);

    expect(await ds.logs()).toEqual({ "dcor-test": ["first line", "second line with ünïcode"] });
    const tables = await ds.tables();
    expect(tables.monitor?.columns).toEqual(["time", "temperature"]);
    expect(tables.monitor?.rows[1]).toEqual([1, 22.6]);
    expect(Number.isNaN(tables.monitor?.rows[2]?.[1])).toBe(true);

    await expect(ds.get("emodulus")).rejects.toBeInstanceOf(RtdcFeatureUnavailableError);
    await expect(ds.get("image")).rejects.toBeInstanceOf(RtdcFeatureUnavailableError);
    await expect(ds.image(25)).rejects.toBeInstanceOf(RangeError);
    await ds.close();
    await expect(ds.get("area_um")).rejects.toBeInstanceOf(RtdcClosedError);
  });

  it("hides defective float32 time and unknown datasets, like dclab", async () => {
    const path = join(dir, "defect.rtdc");
    await writeHdf5(path, {
      attrs: {
        "imaging:frame rate": { t: "float", v: 1000 },
        "experiment:event count": { t: "int", v: 3 },
      },
      groups: ["events"],
      datasets: [
        {
          path: "events/time",
          kind: "numeric",
          data: new Float32Array([9, 9, 9]),
          shape: [3],
          chunks: [3],
          filter: { id: 0, opts: [] },
        },
        {
          path: "events/frame",
          kind: "numeric",
          data: new Float64Array([1000, 2000, 3500]),
          shape: [3],
          chunks: [3],
          filter: { id: 0, opts: [] },
        },
        {
          path: "events/ncells",
          kind: "numeric",
          data: new Float64Array([1, 1, 2]),
          shape: [3],
          chunks: [3],
          filter: { id: 0, opts: [] },
        },
      ],
    });
    const ds = await openDataset(path);
    expect(ds.featuresInnate).toEqual(["frame"]);
    expect(ds.features).toContain("time");
    expect(ds.features).not.toContain("ncells");
    expect(Array.from(await ds.get("time"))).toEqual([1, 2, 3.5]);
    await ds.close();
  });

  it("exports filtered events and reads the export back", async () => {
    const path = join(dir, "src.rtdc");
    await writeSynthetic(path, 12);
    const ds = await openDataset(path);
    ds.filter.manual[3] = 0;
    ds.filter.manual[5] = 0;
    await ds.applyFilter();
    const out = join(dir, "exported.rtdc");
    await ds.export(out, {
      filtered: true,
      features: ["area_um", "deform", "image", "mask", "contour", "trace"],
    });
    const ex = await openDataset(out);
    expect(ex.length).toBe(10);
    const a = await ds.get("area_um");
    const b = await ex.get("area_um");
    expect(b[3]).toBe(a[4]);
    expect((await ex.image(4)).data).toEqual((await ds.image(6)).data);
    expect((await ex.mask(4)).data).toEqual((await ds.mask(6)).data);
    expect(await ex.contour(5)).toEqual(await ds.contour(7));
    expect(await ex.trace("fl1_raw", 9)).toEqual(await ds.trace("fl1_raw", 11));
    expect(await ex.logs()).toEqual(await ds.logs());
    expect(ex.config.experiment.sample).toBe("synthetic blood");
    await ex.close();
    await ds.close();
  });

  it("export refuses an existing file unless overwrite is set, then replaces it", async () => {
    const path = join(dir, "ow-src.rtdc");
    await writeSynthetic(path, 6, { images: false });
    const ds = await openDataset(path);
    const out = join(dir, "ow-out.rtdc");
    await ds.export(out, { features: ["deform"] });
    ds.filter.manual[0] = 0;
    await ds.applyFilter();
    await expect(ds.export(out, { filtered: true, features: ["deform"] })).rejects.toBeInstanceOf(
      RtdcWriteError,
    );
    await ds.export(out, { filtered: true, features: ["deform"], overwrite: true });
    const ex = await openDataset(out);
    expect(ex.length).toBe(5);
    await ex.close();
    await ds.close();
  });

  it("exports with a basin back to the source (filtered → basinmap0)", async () => {
    const path = join(dir, "basin-src.rtdc");
    await writeSynthetic(path, 9);
    const ds = await openDataset(path);
    ds.filter.manual[1] = 0;
    ds.filter.manual[4] = 0;
    await ds.applyFilter();
    const out = join(dir, "basin-export.rtdc");
    await ds.export(out, { filtered: true, features: ["deform"], basins: true });
    const ex = await openDataset(out);
    expect(ex.length).toBe(7);
    expect(ex.featuresInnate).toEqual(["basinmap0", "deform"]);
    expect(ex.basins[0]).toMatchObject({ type: "file", mapping: "basinmap0", available: true });
    expect(ex.features).toEqual(expect.arrayContaining(["image", "area_cvx", "trace"]));
    expect((await ex.image(1)).data).toEqual((await ds.image(2)).data);
    expect((await ex.get("area_cvx"))[4]).toBe((await ds.get("area_cvx"))[6]);
    await ex.close();
    await ds.close();
  });

  it("refuses to overwrite, validates, and never leaves a partial file", async () => {
    const path = join(dir, "exists.rtdc");
    await writeSynthetic(path, 3, { images: false });
    await expect(writeSynthetic(path, 3, { images: false })).rejects.toBeInstanceOf(RtdcWriteError);
    await writeSynthetic(path, 4, { images: false, overwrite: true });
    const bad = join(dir, "bad.rtdc");
    await expect(
      writeRtdc(bad, { features: { area_um: [1, 2], deform: [1] } }),
    ).rejects.toBeInstanceOf(RtdcWriteError);
    await expect(writeRtdc(bad, { features: { ncells: [1, 2] } })).rejects.toBeInstanceOf(
      RtdcWriteError,
    );
    expect(existsSync(bad)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("basins", () => {
  it("hashes basin definitions like dclab", () => {
    const { key } = basinLines({
      description: "Exported with dclab 0.71.10",
      features: null,
      format: "hdf5",
      identifier: "01cd05a0-e084-0451-c470-2a2bf13c9e2d",
      mapping: "basinmap0",
      name: "Exported data",
      paths: ["wide_channel_issue_212.rtdc"],
      perishable: false,
      type: "file",
    });
    expect(key).toBe("c4ba4fa0b9d6a7f3c6dd2f020b216753");
  });

  it("reads features through file basins with same and basinmap mappings", async () => {
    const sub = await mkdtemp(join(dir, "b-"));
    const basinPath = join(sub, "basin.rtdc");
    const data = syntheticData(10, 5);
    await writeRtdc(basinPath, data);
    // Mapped basin with a relative path that only resolves next to the referrer.
    const mappedPath = join(sub, "mapped.rtdc");
    const map = [0, 2, 3, 9];
    const cvx = data.features.area_cvx as Float32Array;
    await writeRtdc(mappedPath, {
      config: data.config ?? {},
      features: { deform: Float32Array.from(map, () => 0.5) },
      basins: [{ name: "parent", paths: ["does/not/exist/basin.rtdc"], mapping: map }],
    });
    const ds = await openDataset(mappedPath);
    expect(ds.featuresInnate).toEqual(["basinmap0", "deform"]);
    expect(ds.features).toEqual(
      expect.arrayContaining(["area_cvx", "image", "contour", "area_um"]),
    );
    expect(ds.basins[0]?.available).toBe(true);
    const got = await ds.get("area_cvx");
    expect(Array.from(got)).toEqual(map.map((j) => cvx[j]));
    // deform is innate here (0.5), not taken from the basin.
    expect((await ds.get("deform"))[0]).toBe(0.5);
    const img = await ds.image(2);
    const src = await openDataset(basinPath);
    expect(img.data).toEqual((await src.image(3)).data);
    expect(await ds.contour(3)).toEqual(await src.contour(9));
    await ds.close();

    // Same mapping, but the basin has a different measurement identifier → not used.
    const wrongId = join(sub, "wrong-id.rtdc");
    await writeRtdc(wrongId, {
      config: {
        ...data.config,
        experiment: { ...data.config?.experiment, "run identifier": "something-else" },
      },
      features: { deform: new Float32Array(10) },
      basins: [{ name: "parent", paths: [basinPath] }],
    });
    const ds2 = await openDataset(wrongId);
    expect(ds2.basins[0]?.available).toBe(false);
    expect(ds2.basins[0]?.error).toMatch(/identifier/);
    expect(ds2.features).not.toContain("image");
    await ds2.close();
    await src.close();
  });

  it("reads internal basins (basin_events), mapped and same", async () => {
    const path = join(dir, "internal.rtdc");
    await writeRtdc(path, {
      features: { deform: new Float32Array([0.1, 0.2, 0.3]) },
      basins: [
        {
          name: "mapped",
          type: "internal",
          mapping: [2, 0, 1],
          internalData: { area_um: [10, 20, 30] },
        },
      ],
    });
    const ds = await openDataset(path);
    expect(ds.features).toContain("area_um");
    expect(Array.from(await ds.get("area_um"))).toEqual([30, 10, 20]);
    await ds.close();
    const same = join(dir, "internal-same.rtdc");
    await writeRtdc(same, {
      features: { deform: new Float32Array([0.1, 0.2]) },
      basins: [{ name: "same", type: "internal", internalData: { bright_avg: [5, 6] } }],
    });
    const ds2 = await openDataset(same);
    expect(Array.from(await ds2.get("bright_avg"))).toEqual([5, 6]);
    await ds2.close();
  });

  it("survives a basin cycle", async () => {
    const sub = await mkdtemp(join(dir, "c-"));
    const a = join(sub, "a.rtdc");
    await writeRtdc(a, {
      features: { deform: new Float32Array(3) },
      basins: [{ name: "self", paths: [a] }],
    });
    const ds = await openDataset(a);
    expect(ds.featuresInnate).toEqual(["deform"]);
    await ds.close();
  });
});

describe("filters and KDE on a dataset", () => {
  it("uses the filtered events for getKdeScatter and getKdeContour", async () => {
    const path = join(dir, "kde.rtdc");
    const data = await writeSynthetic(path, 400, { images: false, seed: 9 });
    const ds = await openDataset(path);
    const all = await ds.getKdeScatter({ xax: "area_um", yax: "deform", kdeType: "histogram" });
    expect(all.length).toBe(400);
    const area = await ds.get("area_um");
    const sorted = Array.from(area).sort((a, b) => a - b);
    ds.filter.setBox("area_um", sorted[0] as number, sorted[199] as number);
    const mask = await ds.applyFilter();
    const kept = mask.reduce((a, b) => a + b, 0);
    expect(kept).toBe(200);
    const sub = await ds.getKdeScatter({ kdeType: "histogram" });
    expect(sub.length).toBe(200);
    // Same as the standalone function on the filtered arrays, which stay Float32Array.
    const { kdeScatter, kdeContour } = await import("./kde/index.js");
    const deform = await ds.get("deform");
    expect(area).toBeInstanceOf(Float32Array);
    expect(deform).toBeInstanceOf(Float32Array);
    const x = new Float32Array(200);
    const y = new Float32Array(200);
    let k = 0;
    mask.forEach((m, i) => {
      if (m) {
        x[k] = area[i] as number;
        y[k++] = deform[i] as number;
      }
    });
    expect(sub).toEqual(kdeScatter(x, y, { kdeType: "histogram" }));
    const contour = await ds.getKdeContour({ kdeType: "histogram" });
    expect(contour).toEqual(kdeContour(x, y, { kdeType: "histogram" }));
    // float32 features follow numpy's float32 arithmetic (here: the float32 log), which a
    // float64 copy of the same values would not.
    const log = { kdeType: "gauss", xscale: "log", yscale: "log" } as const;
    const logKde = await ds.getKdeScatter(log);
    expect(logKde).toEqual(kdeScatter(x, y, log));
    expect(logKde).not.toEqual(kdeScatter(Float64Array.from(x), Float64Array.from(y), log));
    const logContour = await ds.getKdeContour(log);
    expect(logContour).toEqual(kdeContour(x, y, log));
    expect(logContour.x).not.toEqual(kdeContour(Float64Array.from(x), Float64Array.from(y), log).x);
    expect(contour.density.length).toBe(contour.nx * contour.ny);
    const none = await ds.getKdeScatter({ kdeType: "none", xax: "area_cvx", yax: "circ" });
    expect(Array.from(new Set(none))).toEqual([1]);
    void data;
    await ds.close();
  });
  it("computes the exact gauss KDE on worker threads: same values, abortable, event loop free", async () => {
    const path = join(dir, "kde-gauss.rtdc");
    await writeSynthetic(path, 20_000, { images: false, seed: 3 });
    const ds = await openDataset(path);
    try {
      const { kdeScatter, kdeContour } = await import("./kde/index.js");
      const x = await ds.get("area_um");
      const y = await ds.get("deform");
      // Axis names are lower-cased as in dclab.
      const gauss = await ds.getKdeScatter({ xax: "Area_UM", yax: "DEFORM", kdeType: "gauss" });
      const sync = kdeScatter(x, y, { kdeType: "gauss" });
      let worst = 0;
      for (let i = 0; i < sync.length; i++)
        worst = Math.max(worst, Math.abs((gauss[i] as number) / (sync[i] as number) - 1));
      expect(worst).toBeLessThan(1e-12);
      const grid = await ds.getKdeContour({ kdeType: "gauss", xacc: 5, yacc: 0.01, threads: 2 });
      const gridSync = kdeContour(x, y, { kdeType: "gauss", xacc: 5, yacc: 0.01 });
      expect([grid.nx, grid.ny]).toEqual([gridSync.nx, gridSync.ny]);
      for (let i = 0; i < grid.density.length; i++)
        expect(grid.density[i]).toBeCloseTo(gridSync.density[i] as number, 12);
      // The features are cached now, so only the KDE runs: a timer can fire (and abort it) only
      // if the computation leaves the event loop free.
      const before = new AbortController();
      before.abort(new Error("not started"));
      await expect(ds.getKdeScatter({ kdeType: "gauss", signal: before.signal })).rejects.toThrow(
        "not started",
      );
      const during = new AbortController();
      const p = ds.getKdeScatter({ kdeType: "gauss", threads: 2, signal: during.signal });
      setTimeout(() => during.abort(new Error("stopped by a timer")), 5);
      await expect(p).rejects.toThrow("stopped by a timer");
    } finally {
      await ds.close();
    }
    await expect(ds.getKdeScatter()).rejects.toBeInstanceOf(RtdcClosedError);
  }, 120_000);
});

describe("writer layout", () => {
  it("writes dclab's layout: groups, attributes, zstd ~1 MiB chunks, hashed basin names", async () => {
    const { Hdf5File } = await import("./hdf5/client.js");
    const { parseBasinLines } = await import("./basins.js");
    const path = join(dir, "layout.rtdc");
    const n = 300_000;
    await writeRtdc(path, {
      config: { experiment: { sample: "layout" }, imaging: { "pixel size": 0.34 } },
      features: {
        deform: new Float32Array(n),
        frame: new Float64Array(n),
        image: { data: new Uint8Array(n * 2 * 3), shape: [n, 2, 3] },
      },
      logs: { log: ["a"] },
      tables: { t: { c: [1, 2] } },
      basins: [
        {
          name: "elsewhere",
          type: "remote",
          format: "http",
          urls: ["http://127.0.0.1:9/x.rtdc"],
          features: ["image"],
        },
      ],
    });
    const f = await Hdf5File.open({ kind: "file", path });
    try {
      const t = f.tree;
      expect(t.groups.sort()).toEqual(["basins", "events", "logs", "tables"]);
      expect(t.attrs["experiment:event count"]).toEqual({ t: "int", v: n });
      expect(t.attrs["imaging:pixel size"]).toEqual({ t: "float", v: 0.34 });
      expect(t.attrs["experiment:sample"]).toEqual({ t: "string", v: "layout" });
      for (const [name, bytes] of [
        ["deform", 4],
        ["frame", 8],
        ["image", 6],
      ] as const) {
        const info = t.events[name];
        if (info?.kind !== "dataset") throw new Error(`${name} missing`);
        expect(info.filters.map((x) => x.id)).toEqual([32015, 3]);
        const chunkBytes = (info.chunks?.[0] ?? 0) * bytes;
        expect(chunkBytes).toBeGreaterThan(512 * 1024);
        expect(chunkBytes).toBeLessThanOrEqual(1024 * 1024);
      }
      expect(t.basins).toHaveLength(1);
      const b = t.basins[0] as { key: string; lines: string[] };
      const def = parseBasinLines(b.key, b.lines);
      expect(def).toMatchObject({
        name: "elsewhere",
        type: "remote",
        format: "http",
        mapping: "same",
        features: ["image"],
      });
      const { key } = basinLines(JSON.parse(b.lines.join(" ")));
      expect(b.key).toBe(key);
      expect(t.logs).toEqual(["log"]);
      expect(t.tables).toEqual(["t"]);
    } finally {
      await f.close();
    }
  });
});
