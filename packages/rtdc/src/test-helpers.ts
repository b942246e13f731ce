// Helpers for tests: deterministic synthetic RT-DC data written by our writer.
import { type WriteOptions, type WriteRtdcData, writeRtdc } from "./writer.js";

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A small but complete measurement: scalars, images, masks, contours, traces, logs, tables. */
export function syntheticData(n: number, seed = 1, withImages = true): WriteRtdcData {
  const rnd = lcg(seed);
  const f32 = (f: () => number) => Float32Array.from({ length: n }, f);
  const h = 12;
  const w = 20;
  const features: WriteRtdcData["features"] = {
    area_cvx: f32(() => 100 + 50 * rnd()),
    area_msd: f32(() => 95 + 50 * rnd()),
    circ: f32(() => 0.8 + 0.19 * rnd()),
    size_x: f32(() => 5 + 5 * rnd()),
    size_y: f32(() => 4 + 5 * rnd()),
    bright_avg: f32(() => 100 + 20 * rnd()),
    frame: Int32Array.from({ length: n }, (_, i) => 10 + 3 * i),
    pos_x: f32(() => 100 * rnd()),
  };
  if (withImages) {
    const image = new Uint8Array(n * h * w).map(() => Math.floor(256 * rnd()));
    const mask = new Uint8Array(n * h * w);
    for (let i = 0; i < n; i++)
      for (let y = 3; y < 8; y++)
        for (let x = 5; x < 12 + (i % 3); x++) mask[i * h * w + y * w + x] = 1;
    features.image = { data: image, shape: [n, h, w] };
    features.mask = { data: mask, shape: [n, h, w] };
    features.contour = Array.from({ length: n }, (_, i) => ({
      x: Int32Array.from([5, 11 + (i % 3), 11 + (i % 3), 5]),
      y: Int32Array.from([3, 3, 7, 7]),
    }));
    features.trace = {
      fl1_raw: { data: Int16Array.from({ length: n * 30 }, (_, k) => k % 97), shape: [n, 30] },
      fl1_median: {
        data: Int16Array.from({ length: n * 30 }, (_, k) => (k * 7) % 31),
        shape: [n, 30],
      },
    };
  }
  return {
    config: {
      experiment: {
        sample: "synthetic blood",
        date: "2024-01-02",
        time: "10:11:12",
        "run index": 1,
      },
      imaging: { "pixel size": 0.34, "frame rate": 2000, "roi size x": w, "roi size y": h },
      setup: {
        "channel width": 20,
        "chip region": "Channel",
        "flow rate": 0.06,
        identifier: "RC-test",
        medium: "CellCarrier",
      },
      online_contour: { "no absdiff": true, "bin threshold": 6 },
      online_filter: {
        "area_um,deform polygon points": [
          [1, 2],
          [3, 4],
          [5, 1],
        ],
        "deform min": 0,
      },
      user: { note: "hello", level: 3 },
    },
    features,
    logs: { "dcor-test": ["first line", "second line with ünïcode"] },
    tables: { monitor: { time: [0, 1, 2], temperature: [22.5, 22.6, Number.NaN] } },
  };
}

export async function writeSynthetic(
  path: string,
  n: number,
  options: WriteOptions & { seed?: number; images?: boolean } = {},
): Promise<WriteRtdcData> {
  const data = syntheticData(n, options.seed ?? 1, options.images ?? true);
  await writeRtdc(path, data, options);
  return data;
}
