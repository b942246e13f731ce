import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RtdcFilterUnavailableError, RtdcFormatError, RtdcTimeoutError } from "../errors.js";
import { Hdf5File, Hdf5Worker, workerStats, writeHdf5 } from "./client.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-client-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("HDF5 worker", () => {
  it("writes and reads back attributes, datasets, strings and tables", async () => {
    const path = join(dir, "a.h5");
    await writeHdf5(path, {
      attrs: {
        "experiment:event count": { t: "int", v: 4 },
        "imaging:pixel size": { t: "float", v: 0.34 },
        "setup:chip region": { t: "string", v: "Channel" },
        "online_contour:no absdiff": { t: "bool", v: true },
        "online_filter:area_um,deform polygon points": {
          t: "floatArray",
          v: new Float64Array([1, 2, 3, 4]),
          shape: [2, 2],
        },
      },
      groups: ["events", "logs", "tables"],
      datasets: [
        {
          path: "events/deform",
          kind: "numeric",
          data: new Float32Array([0.1, 0.2, 0.3, 0.4]),
          shape: [4],
          chunks: [2],
          filter: { id: 32015, opts: [5] },
          attrs: { mean: { t: "float", v: 0.25 } },
        },
        {
          path: "events/image",
          kind: "numeric",
          data: new Uint8Array(4 * 3 * 2).map((_, i) => i),
          shape: [4, 3, 2],
          chunks: [2, 3, 2],
          filter: { id: 1, opts: [4] },
        },
        { path: "logs/log", kind: "strings", data: ["a", "b c"] },
        {
          path: "tables/t",
          kind: "table",
          columns: { x: new Float64Array([1, 2]), y: new Float64Array([3, 4]) },
        },
      ],
    });
    const f = await Hdf5File.open({ kind: "file", path });
    expect(f.tree.attrs["experiment:event count"]).toEqual({ t: "int", v: 4 });
    expect(f.tree.attrs["setup:chip region"]).toEqual({ t: "string", v: "Channel" });
    expect(f.tree.attrs["online_filter:area_um,deform polygon points"]).toEqual({
      t: "array",
      v: [
        [1, 2],
        [3, 4],
      ],
    });
    const ev = f.tree.events.deform;
    expect(ev?.kind === "dataset" && ev.filters.map((x) => x.name)).toEqual(["zstd"]);
    const { data } = await f.read("events/deform");
    expect(data).toBeInstanceOf(Float32Array);
    expect(Array.from(data)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3, 0.4])));
    const img = await f.read("events/image", { start: 1, count: 2 });
    expect(img.shape).toEqual([2, 3, 2]);
    expect(img.data[0]).toBe(6);
    expect(await f.strings("logs/log")).toEqual(["a", "b c"]);
    expect(await f.table("tables/t")).toEqual({
      columns: ["x", "y"],
      rows: [
        [1, 3],
        [2, 4],
      ],
    });
    await f.close();
  });

  it("names the feature and filter when a filter plugin is missing; other features still read", async () => {
    const path = join(dir, "bz.h5");
    await writeHdf5(path, {
      attrs: {},
      groups: ["events"],
      datasets: [
        {
          path: "events/area_um",
          kind: "numeric",
          data: new Float64Array([1, 2]),
          shape: [2],
          chunks: [2],
          filter: { id: 307, opts: [9] },
        },
        {
          path: "events/deform",
          kind: "numeric",
          data: new Float64Array([3, 4]),
          shape: [2],
          chunks: [2],
          filter: { id: 1, opts: [4] },
        },
      ],
    });
    const worker = new Hdf5Worker({ plugins: ["zstd"] });
    try {
      const f = await Hdf5File.open({ kind: "file", path }, { worker });
      const info = f.tree.events.area_um;
      expect(info?.kind === "dataset" && info.missingFilters).toEqual(["bzip2"]);
      const err = await f.read("events/area_um").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RtdcFilterUnavailableError);
      expect((err as RtdcFilterUnavailableError).context).toMatchObject({
        feature: "area_um",
        filter: "bzip2",
      });
      expect(Array.from((await f.read("events/deform")).data)).toEqual([3, 4]);
      expect((await workerStats(worker)).openFiles).toBe(1);
      await f.close();
    } finally {
      await worker.terminate();
    }
  });

  it("restarts the worker after a timed-out call; open files re-open transparently", async () => {
    const path = join(dir, "big.h5");
    const n = 1_000_000;
    const values = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    await writeHdf5(path, {
      attrs: {},
      groups: ["events"],
      datasets: [
        {
          path: "events/x",
          kind: "numeric",
          data: values,
          shape: [n],
          chunks: [131072],
          filter: { id: 1, opts: [9] },
        },
      ],
    });
    const worker = new Hdf5Worker();
    try {
      const f = await Hdf5File.open({ kind: "file", path }, { worker });
      const gen = worker.generation;
      // Handle 1 is f's: decoding 8 MB takes far longer than 1 ms.
      await expect(
        worker.call({ op: "read", handle: 1, path: "events/x" }, { timeoutMs: 1 }),
      ).rejects.toBeInstanceOf(RtdcTimeoutError);
      const { data } = await f.read("events/x");
      expect(worker.generation).toBeGreaterThan(gen);
      expect(data[12345]).toBe(values[12345]);
      await f.close();
    } finally {
      await worker.terminate();
    }
  });

  it("reads every supported filter (built-in and plugins)", async () => {
    // Compressible data: h5wasm sets filters as mandatory and lzf fails on incompressible chunks.
    const values = Float32Array.from({ length: 5000 }, (_, i) => (i % 50) / 7);
    const filters: [string, number, number[]][] = [
      ["deflate", 1, [4]],
      ["shuffle", 2, []],
      ["fletcher32", 3, []],
      ["zstd", 32015, [5]],
      ["lzf", 32000, []],
      ["lz4", 32004, [0]],
      ["bzip2", 307, [9]],
      ["blosc", 32001, [2, 2, 4, 20000, 5, 1, 0]],
    ];
    const path = join(dir, "filters.h5");
    await writeHdf5(path, {
      attrs: {},
      groups: ["events"],
      datasets: filters.map(([name, id, opts]) => ({
        path: `events/${name}`,
        kind: "numeric" as const,
        data: values,
        shape: [values.length],
        chunks: [1000],
        filter: { id, opts },
      })),
    });
    const f = await Hdf5File.open({ kind: "file", path });
    for (const [name, id] of filters) {
      const info = f.tree.events[name];
      expect(info?.kind === "dataset" && info.filters.map((x) => x.id)).toEqual([id]);
      expect((await f.read(`events/${name}`)).data).toEqual(values);
    }
    await f.close();
  });

  it("rejects non-HDF5 input with RtdcFormatError", async () => {
    const { writeFile } = await import("node:fs/promises");
    const path = join(dir, "junk.rtdc");
    await writeFile(path, "this is not an HDF5 file at all, really");
    await expect(Hdf5File.open({ kind: "file", path })).rejects.toBeInstanceOf(RtdcFormatError);
    await expect(
      Hdf5File.open({ kind: "file", path: join(dir, "missing.rtdc") }),
    ).rejects.toBeInstanceOf(RtdcFormatError);
  });
});
