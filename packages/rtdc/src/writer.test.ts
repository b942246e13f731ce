// writeRtdc's HDF5 layout as other readers see it: the filter pipeline, enum booleans, no CRC
// attribute, and no file left behind by a failed write.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import h5wasm from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "./dataset.js";
import { RtdcWriteError } from "./errors.js";
import { CHUNK_CRC_ATTR } from "./hdf5/protocol.js";
import { writeRtdc } from "./writer.js";

let dir: string;
let M: Awaited<typeof h5wasm.ready>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-writer-"));
  M = await h5wasm.ready;
  M.activate_throwing_error_handler();
  const require = createRequire(import.meta.url);
  M.insert_plugin_search_path(
    join(dirname(require.resolve("h5wasm-plugins/package.json")), "plugins"),
    0,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const N = 300;
const data = {
  config: {
    experiment: { sample: "writer test", "run index": 2 },
    imaging: { "pixel size": 0.34 },
    online_contour: { "bg empty": true, "no absdiff": false },
  },
  features: {
    deform: Float32Array.from({ length: N }, (_, i) => i / N),
    image: { data: new Uint8Array(N * 6).fill(7), shape: [N, 2, 3] },
  },
  logs: { acquisition: ["a", "b"] },
};

describe("writeRtdc", () => {
  it("writes zstd + fletcher32 by default, gzip/none on request, without the CRC attribute", async () => {
    for (const [compression, ids] of [
      [undefined, [32015, 3]],
      ["gzip", [1, 3]],
      ["none", [3]],
    ] as const) {
      const path = join(dir, `w-${compression ?? "default"}.rtdc`);
      await writeRtdc(path, data, compression ? { compression } : {});
      const file = new h5wasm.File(path, "r");
      try {
        for (const name of ["events/deform", "events/image", "logs/acquisition"]) {
          const ds = file.get(name) as InstanceType<typeof h5wasm.Dataset>;
          expect(
            ds.filters.map((f) => f.id),
            `${name} ${compression}`,
          ).toEqual(ids);
          expect(Object.keys(ds.attrs)).not.toContain(CHUNK_CRC_ATTR);
        }
        const bool = file.attrs["online_contour:bg empty"];
        expect(bool?.metadata.type).toBe(M.H5T_class_t.H5T_ENUM.value);
        expect(bool?.json_value).toBe(true);
        expect(file.attrs["online_contour:no absdiff"]?.json_value).toBe(false);
      } finally {
        file.close();
      }
      const ds = await openDataset(path);
      try {
        expect(ds.config.online_contour?.["bg empty"]).toBe(true);
        expect(ds.config.online_contour?.["no absdiff"]).toBe(false);
        expect(ds.config.experiment?.["run index"]).toBe(2);
        expect(Array.from(await ds.get("deform"))).toEqual(Array.from(data.features.deform));
        expect(Array.from((await ds.image(N - 1)).data)).toEqual([7, 7, 7, 7, 7, 7]);
        expect((await ds.logs()).acquisition).toEqual(["a", "b"]);
      } finally {
        await ds.close();
      }
    }
  });

  it("big arrays (sent to the worker through shared memory) read back exactly", async () => {
    let x = 3;
    const big = Float32Array.from({ length: 600_000 }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32;
    });
    const stack = {
      data: new Uint8Array(600_000 * 4).map((_, i) => i % 253),
      shape: [600_000, 2, 2],
    };
    for (const compression of ["zstd", "gzip", "none"] as const) {
      const path = join(dir, `big-${compression}.rtdc`);
      await writeRtdc(path, { features: { deform: big, image: stack } }, { compression });
      const ds = await openDataset(path);
      try {
        expect(await ds.get("deform")).toEqual(big);
        expect(Array.from((await ds.image(599_999)).data)).toEqual(
          Array.from(stack.data.subarray(599_999 * 4)),
        );
      } finally {
        await ds.close();
      }
    }
    // The caller's arrays are untouched (not detached, not replaced).
    expect(big.length).toBe(600_000);
    expect(big.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("stores masks as 0/255 (mapped in the worker for byte arrays), leaving the caller's data", async () => {
    const bytes = new Uint8Array(N * 6).map((_, i) => (i % 3 === 0 ? 1 : 0));
    const plain = Array.from(bytes, (v) => v === 1);
    for (const [label, mask] of [
      ["bytes", bytes],
      ["booleans", plain],
    ] as const) {
      const path = join(dir, `mask-${label}.rtdc`);
      await writeRtdc(path, { features: { mask: { data: mask as never, shape: [N, 2, 3] } } });
      const file = new h5wasm.File(path, "r");
      try {
        const v = (file.get("events/mask") as InstanceType<typeof h5wasm.Dataset>).value;
        expect(Array.from(v as Uint8Array)).toEqual(Array.from(bytes, (b) => (b ? 255 : 0)));
      } finally {
        file.close();
      }
    }
    expect(bytes[0]).toBe(1);
  });

  it("a failed write leaves neither the file nor a temporary file", async () => {
    const sub = join(dir, "fail");
    await mkdir(sub);
    const path = join(sub, "x.rtdc");
    // Fails inside the HDF5 worker, after the temporary file was created: attribute too large.
    await expect(
      writeRtdc(path, {
        config: { experiment: { sample: "x".repeat(70_000) } },
        features: { deform: new Float32Array(3) },
      }),
    ).rejects.toBeInstanceOf(RtdcWriteError);
    expect(await readdir(sub)).toEqual([]);
    await expect(
      writeRtdc(path, { features: {}, config: {} }, { compression: "lz" as never }),
    ).rejects.toBeInstanceOf(RtdcWriteError);
    expect(await readdir(sub)).toEqual([]);
  });
});
