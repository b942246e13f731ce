import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import h5wasm from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RtdcError, RtdcWriteError } from "../errors.js";
import { writeClassicHdf5 } from "./classic-writer.js";
import { Hdf5File } from "./client.js";
import type { WriteFilter, WritePlan } from "./protocol.js";

const ZSTD: WriteFilter[] = [
  { id: 32015, opts: [5] },
  { id: 3, opts: [] },
];
const GZIP: WriteFilter[] = [
  { id: 1, opts: [4] },
  { id: 3, opts: [] },
];

let dir: string;
let M: Awaited<typeof h5wasm.ready>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-classic-writer-"));
  M = await h5wasm.ready;
  M.activate_throwing_error_handler();
  const require = createRequire(import.meta.url);
  const plugins = join(dirname(require.resolve("h5wasm-plugins/package.json")), "plugins");
  M.insert_plugin_search_path(plugins, 0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const N = 1000;
const deform = Float32Array.from({ length: N }, (_, i) => Math.fround(Math.sin(i) * 0.1));
const frame = Float64Array.from({ length: N }, (_, i) => 1000 + 3 * i);
const image = Uint8Array.from({ length: N * 4 * 5 }, (_, i) => (i * 7) % 251);
const trace = Int16Array.from({ length: N * 6 }, (_, i) => (i % 300) - 150);
const index = BigUint64Array.from({ length: N }, (_, i) => BigInt(i + 1));

/** A plan with every kind of attribute and dataset the writer supports. */
function fullPlan(filters: WriteFilter[]): WritePlan {
  return {
    attrs: {
      "experiment:event count": { t: "int", v: N },
      "experiment:sample": { t: "string", v: "blöod ⅰ" },
      "experiment:empty": { t: "string", v: "" },
      "imaging:pixel size": { t: "float", v: 0.34 },
      "online_filter:deform min": { t: "float", v: -1.5e-3 },
      "setup:identifier": { t: "string", v: "ZMDD-xyz" },
      "fluorescence:trace median": { t: "bool", v: true },
      "online_filter:enable": { t: "bool", v: false },
      "online_filter:area_um,deform polygon points": {
        t: "floatArray",
        v: new Float64Array([1, 2, 3, 4, 5, 6]),
        shape: [3, 2],
      },
      "user:list": { t: "floatArray", v: new Float64Array([0.5, 1.5]), shape: [2] },
      "user:u32": { t: "u32Array", v: new Uint32Array([1, 4_000_000_000]) },
    },
    groups: ["events", "events/trace", "events/contour", "logs", "tables", "basins"],
    datasets: [
      {
        path: "events/deform",
        kind: "numeric",
        data: deform,
        shape: [N],
        chunks: [300],
        filters,
        attrs: { mean: { t: "float", v: 0.5 } },
      },
      { path: "events/frame", kind: "numeric", data: frame, shape: [N], chunks: [128], filters },
      { path: "events/index", kind: "numeric", data: index, shape: [N], chunks: [N], filters },
      {
        path: "events/image",
        kind: "numeric",
        data: image,
        shape: [N, 4, 5],
        chunks: [64, 4, 5],
        filters,
      },
      {
        path: "events/trace/fl1_raw",
        kind: "numeric",
        data: trace,
        shape: [N, 6],
        chunks: [100, 6],
        filters: [{ id: 2, opts: [] }, ...filters],
      },
      ...[0, 1, 2].map((i) => ({
        path: `events/contour/${i}`,
        kind: "numeric" as const,
        data: new Int32Array([i, 1, 2, 3, 4, 5]),
        shape: [3, 2],
        chunks: [3, 2],
        filters,
      })),
      { path: "logs/log", kind: "strings", data: ["line one", "zwei ü", ""], filters },
      { path: "logs/empty", kind: "strings", data: [], filters },
      {
        path: "tables/cytoshot",
        kind: "table",
        columns: { temp: new Float64Array([20.5, 21]), humidity: new Float64Array([40, 41]) },
        filters,
        attrs: { unit: { t: "string", v: "°C" } },
      },
      { path: "basins/abc123", kind: "strings", data: ["{", '"name": "x"', "}"], filters },
    ],
  };
}

async function expectFullPlanReadsBack(path: string): Promise<void> {
  const f = await Hdf5File.open({ kind: "file", path });
  try {
    const t = f.tree;
    expect(t.groups.sort()).toEqual(["basins", "events", "logs", "tables"]);
    expect(t.attrs["experiment:event count"]).toEqual({ t: "int", v: N });
    expect(t.attrs["experiment:sample"]).toEqual({ t: "string", v: "blöod ⅰ" });
    expect(t.attrs["experiment:empty"]).toEqual({ t: "string", v: "" });
    expect(t.attrs["imaging:pixel size"]).toEqual({ t: "float", v: 0.34 });
    expect(t.attrs["fluorescence:trace median"]).toEqual({ t: "bool", v: true });
    expect(t.attrs["online_filter:enable"]).toEqual({ t: "bool", v: false });
    expect(t.attrs["online_filter:area_um,deform polygon points"]).toEqual({
      t: "array",
      v: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    });
    expect(t.attrs["user:list"]).toEqual({ t: "array", v: [0.5, 1.5] });
    expect(t.attrs["user:u32"]).toEqual({ t: "array", v: [1, 4_000_000_000] });
    expect(Array.from((await f.read("events/deform")).data)).toEqual(Array.from(deform));
    expect((await f.read("events/deform")).data).toBeInstanceOf(Float32Array);
    expect((await f.read("events/frame")).data).toEqual(frame);
    expect(Array.from((await f.read("events/index")).data)).toEqual(Array.from(index, Number));
    const img = await f.read("events/image");
    expect(img.shape).toEqual([N, 4, 5]);
    expect(img.data).toEqual(image);
    const part = await f.read("events/image", { start: 500, count: 100 });
    expect(part.data).toEqual(image.subarray(500 * 20, 600 * 20));
    expect((await f.read("events/trace/fl1_raw")).data).toEqual(trace);
    expect(Array.from((await f.read("events/contour/2")).data)).toEqual([2, 1, 2, 3, 4, 5]);
    expect(await f.strings("logs/log")).toEqual(["line one", "zwei ü", ""]);
    expect(await f.strings("logs/empty")).toEqual([""]);
    expect(await f.table("tables/cytoshot")).toEqual({
      columns: ["temp", "humidity"],
      rows: [
        [20.5, 40],
        [21, 41],
      ],
    });
    expect(t.basins).toEqual([{ key: "abc123", lines: ["{", '"name": "x"', "}"] }]);
  } finally {
    await f.close();
  }
}

describe("classic HDF5 writer", () => {
  it("writes every attribute and dataset kind; our reader reads them back exactly (zstd)", async () => {
    const path = join(dir, "full-zstd.h5");
    await writeClassicHdf5(path, fullPlan(ZSTD));
    await expectFullPlanReadsBack(path);
  });

  it("… and with gzip (the native read path) and with no compression", async () => {
    const cases: [string, WriteFilter[]][] = [
      ["gzip", GZIP],
      ["fletcher32-only", [{ id: 3, opts: [] }]],
      ["plain", []],
    ];
    for (const [name, filters] of cases) {
      const path = join(dir, `full-${name}.h5`);
      await writeClassicHdf5(path, fullPlan(filters));
      await expectFullPlanReadsBack(path);
    }
  });

  it("h5wasm sees dclab's layout: [zstd, fletcher32] pipeline, chunks, unlimited axis 0, enum bools", async () => {
    const path = join(dir, "layout.h5");
    await writeClassicHdf5(path, fullPlan(ZSTD));
    const file = new h5wasm.File(path, "r");
    try {
      const ds = file.get("events/deform") as InstanceType<typeof h5wasm.Dataset>;
      expect(ds.filters.map((x) => x.id)).toEqual([32015, 3]);
      expect(ds.filters[0]?.cd_values).toEqual([5]);
      expect(ds.metadata.chunks).toEqual([300]);
      expect(ds.metadata.maxshape?.[0]).toBeGreaterThan(2 ** 63);
      expect(ds.dtype).toBe("<f");
      const trace = file.get("events/trace/fl1_raw") as InstanceType<typeof h5wasm.Dataset>;
      expect(trace.filters.map((x) => x.id)).toEqual([2, 32015, 3]);
      expect(trace.metadata.maxshape?.[1]).toBe(6);
      const bool = file.attrs["fluorescence:trace median"];
      expect(bool?.metadata.type).toBe(M.H5T_class_t.H5T_ENUM.value);
      expect(bool?.metadata.enum_type?.members).toEqual({ FALSE: 0, TRUE: 1 });
      expect(bool?.metadata.size).toBe(1);
      expect(bool?.json_value).toBe(true);
      const str = file.attrs["experiment:sample"];
      expect(str?.metadata.cset).toBe(1); // UTF-8
      expect(str?.metadata.vlen).toBe(false);
      expect((file.attrs["experiment:event count"]?.value as bigint) === BigInt(N)).toBe(true);
    } finally {
      file.close();
    }
  });

  it("a flipped byte in a chunk fails that feature's read with a typed error; others still read", async () => {
    for (const [name, filters] of [
      ["zstd", ZSTD],
      ["gzip", GZIP],
    ] as const) {
      const path = join(dir, `flip-${name}.h5`);
      await writeClassicHdf5(path, {
        attrs: {},
        groups: ["events"],
        datasets: [
          {
            path: "events/deform",
            kind: "numeric",
            data: deform,
            shape: [N],
            chunks: [N],
            filters: [...filters],
          },
          {
            path: "events/frame",
            kind: "numeric",
            data: frame,
            shape: [N],
            chunks: [N],
            filters: [...filters],
          },
        ],
      });
      // Chunks come first, in plan order, right after the 96-byte superblock.
      const bytes = await readFile(path);
      bytes[96 + 40] = (bytes[96 + 40] as number) ^ 0x10;
      await writeFile(path, bytes);
      const f = await Hdf5File.open({ kind: "file", path });
      try {
        const err = await f.read("events/deform").catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(RtdcError);
        expect((err as RtdcError).code).toBe("RTDC_FORMAT");
        expect((await f.read("events/frame")).data).toEqual(frame);
      } finally {
        await f.close();
      }
    }
  });

  it("indexes any number of chunks: multi-level chunk B-trees (> 64 and > 64·64 chunks)", async () => {
    const rows = 5000;
    const values = Float64Array.from({ length: rows }, (_, i) => i * 0.25 - 7);
    const stack = Uint16Array.from({ length: rows * 3 }, (_, i) => (i * 13) % 65521);
    for (const [name, filters] of [
      ["zstd", ZSTD],
      ["gzip", GZIP],
    ] as const) {
      const path = join(dir, `many-${name}.h5`);
      await writeClassicHdf5(path, {
        attrs: {},
        groups: ["events"],
        datasets: [
          // 5000 one-row chunks: three levels. 100 chunks: two.
          {
            path: "events/x",
            kind: "numeric",
            data: values,
            shape: [rows],
            chunks: [1],
            filters: [...filters],
          },
          {
            path: "events/y",
            kind: "numeric",
            data: stack,
            shape: [rows, 3],
            chunks: [50, 3],
            filters: [...filters],
          },
        ],
      });
      const f = await Hdf5File.open({ kind: "file", path });
      try {
        expect((await f.read("events/x")).data, name).toEqual(values);
        expect((await f.read("events/x", { start: 4095, count: 3 })).data).toEqual(
          values.subarray(4095, 4098),
        );
        expect((await f.read("events/y")).data).toEqual(stack);
      } finally {
        await f.close();
      }
    }
  }, 60_000);

  it("big zstd chunks (compressed on helper threads) read back exactly", async () => {
    let x = 7;
    const rows = 700_000; // 2.8 MB of noisy float32: three 1 MiB chunks
    const noisy = Float32Array.from({ length: rows }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32;
    });
    const path = join(dir, "big-zstd.h5");
    await writeClassicHdf5(path, {
      attrs: {},
      groups: ["events"],
      datasets: [
        {
          path: "events/x",
          kind: "numeric",
          data: noisy,
          shape: [rows],
          chunks: [262_144],
          filters: ZSTD,
        },
      ],
    });
    const file = new h5wasm.File(path, "r");
    try {
      const ds = file.get("events/x") as InstanceType<typeof h5wasm.Dataset>;
      expect(ds.filters.map((f) => f.id)).toEqual([32015, 3]);
      expect(ds.value).toEqual(noisy);
    } finally {
      file.close();
    }
  });

  it("writes groups with many members (multi-level group B-tree), e.g. one contour per event", async () => {
    const count = 700; // 88 symbol nodes of 8: more than 32 per B-tree node
    const path = join(dir, "contours.h5");
    await writeClassicHdf5(path, {
      attrs: {},
      groups: ["events", "events/contour"],
      datasets: Array.from({ length: count }, (_, i) => ({
        path: `events/contour/${i}`,
        kind: "numeric" as const,
        data: new Int32Array([i, 2 * i + 1]),
        shape: [1, 2],
        chunks: [1, 2],
        filters: GZIP,
      })),
    });
    const file = new h5wasm.File(path, "r");
    try {
      const g = file.get("events/contour") as InstanceType<typeof h5wasm.Group>;
      const keys = g.keys();
      expect(keys.length).toBe(count);
      expect(new Set(keys)).toEqual(new Set(Array.from({ length: count }, (_, i) => String(i))));
      for (const i of [0, 1, 99, 350, 699]) {
        const ds = file.get(`events/contour/${i}`) as InstanceType<typeof h5wasm.Dataset>;
        expect(Array.from(ds.value as Int32Array)).toEqual([i, 2 * i + 1]);
      }
    } finally {
      file.close();
    }
  });

  it("writes empty datasets (no chunks) that read back as empty", async () => {
    const path = join(dir, "empty.h5");
    await writeClassicHdf5(path, {
      attrs: { "experiment:event count": { t: "int", v: 0 } },
      groups: ["events", "logs"],
      datasets: [
        {
          path: "events/deform",
          kind: "numeric",
          data: new Float32Array(0),
          shape: [0],
          chunks: [1],
          filters: ZSTD,
        },
      ],
    });
    const f = await Hdf5File.open({ kind: "file", path });
    try {
      expect(f.tree.logs).toEqual([]);
      const ev = f.tree.events.deform;
      expect(ev?.kind === "dataset" && ev.shape).toEqual([0]);
      expect((await f.read("events/deform")).data.length).toBe(0);
    } finally {
      await f.close();
    }
  });

  it("rejects a bad plan with RtdcWriteError and leaves no file behind", async () => {
    const path = join(dir, "bad.h5");
    const bad: WritePlan[] = [
      {
        attrs: {},
        groups: ["events"],
        datasets: [
          {
            path: "events/x",
            kind: "numeric",
            data: new Float32Array(10),
            shape: [11],
            chunks: [5],
            filters: ZSTD,
          },
        ],
      },
      {
        attrs: {},
        groups: [],
        datasets: [
          {
            path: "events/x",
            kind: "numeric",
            data: new Float32Array(10),
            shape: [10],
            chunks: [5],
            filters: [{ id: 32000, opts: [] }],
          },
        ],
      },
      {
        attrs: { big: { t: "string", v: "x".repeat(70_000) } },
        groups: [],
        datasets: [],
      },
    ];
    for (const plan of bad) {
      await expect(writeClassicHdf5(path, plan)).rejects.toBeInstanceOf(RtdcWriteError);
      expect(existsSync(path)).toBe(false);
    }
  });
});

// Local cross-checks against the HDF5 library itself (not in CI): Debian's h5py and h5dump.
const PYTHON = "/usr/bin/python3";
const hasH5py =
  existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import h5py"], { stdio: "ignore" }).status === 0;
// Debian's python3-hdf5plugin has no zstd filter: check that 32015 really is available.
const ZSTD_AVAILABLE =
  "import sys, h5py, hdf5plugin; sys.exit(0 if h5py.h5z.filter_avail(32015) else 1)";
const hasHdf5Plugin =
  hasH5py && spawnSync(PYTHON, ["-c", ZSTD_AVAILABLE], { stdio: "ignore" }).status === 0;
const hasH5dump = spawnSync("h5dump", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasH5py) console.log("classic-writer: h5py checks skipped (no h5py for /usr/bin/python3)");
if (hasH5py && !hasHdf5Plugin)
  console.log("classic-writer: zstd files not checked with h5py (no hdf5plugin with zstd)");
if (!hasH5dump) console.log("classic-writer: h5dump check skipped (install hdf5-tools)");

const H5PY_READ = `
import json, sys
import numpy as np
import h5py
if len(sys.argv) > 2:
    import hdf5plugin
out = {}
with h5py.File(sys.argv[1], "r") as f:
    out["attrs"] = {k: (v.decode("utf-8") if isinstance(v, bytes) else v.tolist() if hasattr(v, "tolist") else v) for k, v in f.attrs.items()}
    bid = h5py.h5a.open(f.id, b"fluorescence:trace median")
    out["bool_dtype"] = [bid.get_type().get_class() == h5py.h5t.ENUM, str(np.asarray(f.attrs["fluorescence:trace median"]).dtype)]
    d = f["events/deform"]
    out["deform_filters"] = [d.compression, d.fletcher32, d.chunks, d.maxshape]
    out["deform"] = d[:].astype(float).tolist()
    out["frame"] = f["events/frame"][:].tolist()
    out["index"] = f["events/index"][:].tolist()
    out["image_sum"] = int(f["events/image"][:].astype(np.int64).sum())
    out["image_shape"] = list(f["events/image"].shape)
    out["trace_sum"] = int(f["events/trace/fl1_raw"][:].astype(np.int64).sum())
    out["contour2"] = f["events/contour/2"][:].tolist()
    out["log"] = [x.decode("utf-8") for x in f["logs/log"][:]]
    t = f["tables/cytoshot"]
    out["table"] = [t.dtype.names, t[:].tolist(), t.attrs["unit"].decode("utf-8")]
print(json.dumps(out))
`;

describe.skipIf(!hasH5py)("files read by h5py (HDF5 library, fletcher32 verified)", () => {
  const cases: [string, WriteFilter[], boolean][] = [
    ["gzip", GZIP, true],
    ["none", [{ id: 3, opts: [] }], true],
    ["zstd", ZSTD, hasHdf5Plugin],
  ];
  for (const [name, filters, enabled] of cases) {
    it.skipIf(!enabled)(`h5py reads every attribute and dataset (${name})`, async () => {
      const path = join(dir, `h5py-${name}.h5`);
      await writeClassicHdf5(path, fullPlan(filters));
      const args = ["-c", H5PY_READ, path, ...(name === "zstd" ? ["plugin"] : [])];
      const out = JSON.parse(execFileSync(PYTHON, args, { encoding: "utf8" }));
      expect(out.attrs).toEqual({
        "experiment:event count": N,
        "experiment:sample": "blöod ⅰ",
        "experiment:empty": "",
        "imaging:pixel size": 0.34,
        "online_filter:deform min": -1.5e-3,
        "setup:identifier": "ZMDD-xyz",
        "fluorescence:trace median": true,
        "online_filter:enable": false,
        "online_filter:area_um,deform polygon points": [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        "user:list": [0.5, 1.5],
        "user:u32": [1, 4_000_000_000],
      });
      expect(out.bool_dtype).toEqual([true, "bool"]);
      expect(out.deform_filters).toEqual([name === "gzip" ? "gzip" : null, true, [300], [null]]);
      expect(out.deform).toEqual(Array.from(deform));
      expect(out.frame).toEqual(Array.from(frame));
      expect(out.index).toEqual(Array.from(index, Number));
      expect(out.image_sum).toBe(image.reduce((a, b) => a + b, 0));
      expect(out.image_shape).toEqual([N, 4, 5]);
      expect(out.trace_sum).toBe(trace.reduce((a, b) => a + b, 0));
      expect(out.contour2).toEqual([
        [2, 1],
        [2, 3],
        [4, 5],
      ]);
      expect(out.log).toEqual(["line one", "zwei ü", ""]);
      expect(out.table).toEqual([
        ["temp", "humidity"],
        [
          [20.5, 40],
          [21, 41],
        ],
        "°C",
      ]);
    });
  }

  it("h5py detects a flipped byte through fletcher32 and still reads other features", async () => {
    const path = join(dir, "h5py-flip.h5");
    await writeClassicHdf5(path, fullPlan(GZIP));
    const bytes = await readFile(path);
    bytes[96 + 40] = (bytes[96 + 40] as number) ^ 0x01; // inside the first chunk of deform
    await writeFile(path, bytes);
    const script = `
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    try:
        f["events/deform"][:]
        print("read")
    except OSError as e:
        print("error:", e)
    print(len(f["events/frame"][:]))
`;
    const out = execFileSync(PYTHON, ["-c", script, path], { encoding: "utf8" });
    expect(out).toMatch(/Fletcher32/i);
    expect(out).toContain(String(N));
  });

  it("h5py reads multi-level chunk and group B-trees", async () => {
    const path = join(dir, "h5py-many.h5");
    const rows = 5000;
    await writeClassicHdf5(path, {
      attrs: {},
      groups: ["events", "events/contour"],
      datasets: [
        {
          path: "events/x",
          kind: "numeric",
          data: Float64Array.from({ length: rows }, (_, i) => i),
          shape: [rows],
          chunks: [1],
          filters: GZIP,
        },
        ...Array.from({ length: 400 }, (_, i) => ({
          path: `events/contour/${i}`,
          kind: "numeric" as const,
          data: new Int32Array([i, i]),
          shape: [1, 2],
          chunks: [1, 2],
          filters: GZIP,
        })),
      ],
    });
    const script = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    x = f["events/x"]
    ok = bool((x[:] == np.arange(${rows})).all()) and x.id.get_num_chunks() == ${rows}
    g = f["events/contour"]
    ok = ok and sorted(g.keys(), key=int) == [str(i) for i in range(400)]
    ok = ok and all(int(g[str(i)][0, 0]) == i for i in range(400))
    print(ok)
`;
    expect(execFileSync(PYTHON, ["-c", script, path], { encoding: "utf8" }).trim()).toBe("True");
  });
});

describe.skipIf(!hasH5py)(
  "files modified in place by the HDF5 library (dclab's append mode)",
  () => {
    it("h5py appends rows, adds datasets to a multi-level group and attributes; all reads back", async () => {
      const path = join(dir, "append.h5");
      await writeClassicHdf5(path, {
        attrs: { "experiment:event count": { t: "int", v: 3000 } },
        groups: ["events", "events/contour"],
        datasets: [
          {
            path: "events/deform",
            kind: "numeric",
            data: Float32Array.from({ length: 3000 }, (_, i) => i),
            shape: [3000],
            chunks: [10], // 300 chunks: a two-level chunk B-tree to insert into
            filters: GZIP,
          },
          ...Array.from({ length: 300 }, (_, i) => ({
            path: `events/contour/${i}`,
            kind: "numeric" as const,
            data: new Int32Array([i, 1]),
            shape: [1, 2],
            chunks: [1, 2],
            filters: GZIP,
          })),
        ],
      });
      const script = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    d = f["events/deform"]
    d.resize((5000,))
    d[3000:] = np.arange(3000, 5000)
    for i in range(300, 600):
        f["events/contour"].create_dataset(str(i), data=np.array([[i, 1]], dtype="i4"))
    f["events"].create_dataset("area_um", data=np.ones(5000))
    f.attrs["experiment:event count"] = 5000
    f.attrs["user:note"] = "appended"
with h5py.File(sys.argv[1], "r") as f:
    ok = bool((f["events/deform"][:] == np.arange(5000)).all())
    ok = ok and sorted(f["events/contour"].keys(), key=int) == [str(i) for i in range(600)]
    ok = ok and all(int(f["events/contour"][str(i)][0, 0]) == i for i in (0, 150, 299, 300, 599))
    ok = ok and f.attrs["experiment:event count"] == 5000 and f["events/area_um"].shape == (5000,)
    print(ok)
`;
      expect(execFileSync(PYTHON, ["-c", script, path], { encoding: "utf8" }).trim()).toBe("True");
      // And our reader reads the result.
      const f = await Hdf5File.open({ kind: "file", path });
      try {
        expect((await f.read("events/deform")).data).toEqual(
          Float32Array.from({ length: 5000 }, (_, i) => i),
        );
        expect(f.tree.attrs["user:note"]).toEqual({ t: "string", v: "appended" });
      } finally {
        await f.close();
      }
    });
  },
);

describe.skipIf(!hasH5dump)("h5dump", () => {
  it("dumps a whole written file (structure and data) without error", async () => {
    const path = join(dir, "dump.h5");
    await writeClassicHdf5(path, fullPlan(GZIP));
    const res = spawnSync("h5dump", [path], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(res.status).toBe(0);
    expect(res.stderr).toBe("");
    expect(res.stdout).toContain('DATASET "fl1_raw"');
    expect(res.stdout).toContain("H5T_ENUM");
  });
});
