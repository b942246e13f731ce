/** Generates realistic-looking RT-DC measurement data (cell populations, images, traces). */
import type { AttrValue, RtdcData } from "./hdf5.js";
import { hashString, Rng } from "./rng.js";

/** Cell population models (area in µm², deformation) loosely after published RT-DC data. */
export type Population = "hl60" | "rbc" | "blood" | "beads" | "platelets" | "jurkat";

/** What one generated `.rtdc` file contains. */
export interface SampleFileSpec {
  /** Unique key, also the file's stem in the cache. */
  key: string;
  sample: string;
  population: Population;
  events: number;
  flowRate: number;
  channelWidth: number;
  pixelSize: number;
  frameRate: number;
  date: string;
  time: string;
  software: string;
  medium: string;
  /** Store image, mask and contour for every event. */
  images?: boolean;
  /** Store fluorescence features and traces (makes the resource RT-FDC). */
  fluorescence?: boolean;
  /** Store a monitoring table. */
  tables?: boolean;
}

interface Pop {
  area: number;
  areaSigma: number;
  deform: number;
  deformSigma: number;
}

const POPULATIONS: Record<Exclude<Population, "blood">, Pop> = {
  hl60: { area: 105, areaSigma: 0.18, deform: 0.014, deformSigma: 0.45 },
  rbc: { area: 36, areaSigma: 0.13, deform: 0.055, deformSigma: 0.35 },
  beads: { area: 28, areaSigma: 0.04, deform: 0.0065, deformSigma: 0.25 },
  platelets: { area: 22, areaSigma: 0.2, deform: 0.035, deformSigma: 0.4 },
  jurkat: { area: 78, areaSigma: 0.16, deform: 0.018, deformSigma: 0.4 },
};

function popFor(kind: Population, rng: Rng): Pop {
  if (kind !== "blood") return POPULATIONS[kind];
  const u = rng.next();
  if (u < 0.85) return POPULATIONS.rbc;
  if (u < 0.95) return { area: 62, areaSigma: 0.15, deform: 0.02, deformSigma: 0.4 };
  return POPULATIONS.platelets;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** ROI height in pixels for a channel width (as ShapeIn crops around the channel). */
function roiHeight(channelWidth: number): number {
  return channelWidth <= 20 ? 80 : channelWidth <= 30 ? 96 : 128;
}

/** Builds all datasets and attributes of one file, deterministic in `spec` and `seed`. */
export function generateRtdcData(spec: SampleFileSpec, seed: number): RtdcData {
  const rng = new Rng(hashString(`${seed}:${spec.key}`));
  const n = spec.events;
  const ps = spec.pixelSize;
  const flowFactor = (spec.flowRate / 0.06) ** 0.45 * (20 / spec.channelWidth) ** 0.6;
  const f32 = () => new Float32Array(n);
  const s = {
    area_um: f32(),
    area_cvx: f32(),
    area_msd: f32(),
    area_ratio: f32(),
    aspect: f32(),
    bright_avg: f32(),
    bright_sd: f32(),
    circ: f32(),
    deform: f32(),
    inert_ratio_cvx: f32(),
    inert_ratio_raw: f32(),
    pos_x: f32(),
    pos_y: f32(),
    size_x: f32(),
    size_y: f32(),
    temp: f32(),
    tilt: f32(),
  };
  const frame = new Float64Array(n);
  const indexOnline = new Int32Array(n);
  const roiW = 250;
  const roiH = roiHeight(spec.channelWidth);
  let currentFrame = 1 + rng.int(0, 50);
  let online = 0;
  const axes: { a: number; b: number; cx: number; cy: number }[] = [];
  for (let i = 0; i < n; i++) {
    const pop = popFor(spec.population, rng);
    const area = clamp(pop.area * Math.exp(pop.areaSigma * rng.normal()), 15, 160);
    const deform = clamp(
      pop.deform * flowFactor * Math.exp(pop.deformSigma * rng.normal()),
      0.002,
      0.12,
    );
    const ratio = 1 + Math.abs(0.012 * rng.normal());
    const areaPx = area / (ps * ps);
    const aspect = 1 + 2.6 * deform + 0.01 * Math.abs(rng.normal());
    // ellipse semi-axes in pixels: a along the flow (x), b across
    const b = Math.sqrt(areaPx / (Math.PI * aspect));
    const a = aspect * b;
    s.area_um[i] = area;
    s.area_cvx[i] = areaPx;
    s.area_msd[i] = areaPx / ratio;
    s.area_ratio[i] = ratio;
    s.aspect[i] = aspect;
    s.circ[i] = 1 - deform;
    s.deform[i] = 1 - s.circ[i]!;
    s.bright_avg[i] = 108 + 6 * rng.normal() - 0.05 * (area - 40);
    s.bright_sd[i] = clamp(7 + 1.5 * rng.normal(), 2, 20);
    s.inert_ratio_cvx[i] = 1 + 2.2 * deform + 0.02 * Math.abs(rng.normal());
    s.inert_ratio_raw[i] = s.inert_ratio_cvx[i]! * (1 + 0.01 * Math.abs(rng.normal()));
    const cx = 40 + rng.next() * (roiW - 80);
    const cy = roiH / 2 + 2 * rng.normal();
    s.pos_x[i] = cx * ps;
    s.pos_y[i] = cy * ps;
    s.size_x[i] = 2 * a * ps;
    s.size_y[i] = 2 * b * ps;
    s.temp[i] = 23.1 + 0.15 * rng.normal();
    s.tilt[i] = Math.abs(0.02 * rng.normal());
    currentFrame += 1 + Math.floor(-Math.log(1 - rng.next()) * 8);
    frame[i] = currentFrame;
    online += 1 + (rng.next() < 0.1 ? 1 : 0);
    indexOnline[i] = online;
    axes.push({ a, b, cx, cy });
  }
  const scalars: RtdcData["scalars"] = { ...s, frame, index_online: indexOnline };
  const attrs: Record<string, AttrValue> = {
    "experiment:date": spec.date,
    "experiment:event count": n,
    "experiment:run index": 1,
    "experiment:sample": spec.sample,
    "experiment:time": spec.time,
    "imaging:flash device": "LED (ZMD L1)",
    "imaging:flash duration": 2.0,
    "imaging:frame rate": spec.frameRate,
    "imaging:pixel size": spec.pixelSize,
    "imaging:roi position x": 629,
    "imaging:roi position y": 512,
    "imaging:roi size x": roiW,
    "imaging:roi size y": roiH,
    "online_contour:bin area min": 10,
    "online_contour:bin kernel": 5,
    "online_contour:bin threshold": -6,
    "online_contour:image blur": 0,
    "online_contour:no absdiff": true,
    "online_filter:area_ratio max": 1.05,
    "online_filter:area_ratio min": 1.0,
    "online_filter:area_ratio soft limit": false,
    "online_filter:target event count": n,
    "setup:channel width": spec.channelWidth,
    "setup:chip region": "channel",
    "setup:flow rate": spec.flowRate,
    "setup:flow rate sample": spec.flowRate / 4,
    "setup:flow rate sheath": (spec.flowRate * 3) / 4,
    "setup:identifier": `ZMDD-AcC-${(hashString(spec.key) & 0xffffff).toString(16).padStart(6, "0")}-${spec.date.replace(/-/g, "").slice(2)}`,
    "setup:medium": spec.medium,
    "setup:module composition": spec.fluorescence
      ? "AcCellerator,FluorescenceModule"
      : "AcCellerator",
    "setup:software version": spec.software,
    "setup:temperature": 23.1,
  };
  const data: RtdcData = {
    attrs,
    scalars,
    logs: {
      "M1_para.ini": [
        "[General]",
        `Date = ${spec.date}`,
        `Sample = ${spec.sample}`,
        `Flow Rate = ${spec.flowRate}`,
        `Channel Width = ${spec.channelWidth}`,
        "[Image]",
        `Pix Size = ${spec.pixelSize}`,
        `Frame Rate = ${spec.frameRate}`,
      ],
      "M1_camera.ini": ["[Camera]", "Shutter Time = 20", "Exposure = 2"],
    },
  };
  if (spec.images) {
    const img = new Uint8Array(n * roiH * roiW);
    const mask = new Uint8Array(n * roiH * roiW);
    const contour: Int32Array[] = [];
    // one smooth background per file, small per-event noise: realistic and compressible
    const bg = new Uint8Array(roiH * roiW);
    for (let y = 0; y < roiH; y++) {
      const wall = y < 4 || y >= roiH - 4 ? 40 : 0;
      for (let x = 0; x < roiW; x++)
        bg[y * roiW + x] = 100 + Math.round(4 * Math.sin(x / 17) + 3 * Math.cos(y / 9)) - wall;
    }
    for (let i = 0; i < n; i++) {
      const { a, b, cx, cy } = axes[i]!;
      const off = i * roiH * roiW;
      for (let y = 0; y < roiH; y++) {
        for (let x = 0; x < roiW; x++) {
          const dx = (x - cx) / a;
          const dy = (y - cy) / b;
          const r2 = dx * dx + dy * dy;
          let v = bg[y * roiW + x]!;
          if (r2 <= 1) {
            mask[off + y * roiW + x] = 255;
            v = v - 25 + Math.round(10 * r2);
          } else if (r2 <= 1.25) v -= 35;
          // sparse sensor noise from a cheap hash (one RNG draw per pixel would dominate the cost)
          const h = Math.imul((x * 73856093) ^ (y * 19349663) ^ (i * 83492791), 0x9e3779b1) >>> 27;
          img[off + y * roiW + x] = clamp(v + (h === 0 ? 2 : h === 1 ? -2 : 0), 0, 255);
        }
      }
      const m = Math.max(8, Math.round(2 * Math.PI * Math.max(a, b)));
      const pts = new Int32Array(2 * m);
      for (let k = 0; k < m; k++) {
        const t = (2 * Math.PI * k) / m;
        pts[2 * k] = Math.round(cx + a * Math.cos(t));
        pts[2 * k + 1] = Math.round(cy + b * Math.sin(t));
      }
      contour.push(pts);
    }
    data.image = { data: img, height: roiH, width: roiW };
    data.mask = { data: mask, height: roiH, width: roiW };
    data.contour = contour;
  }
  if (spec.fluorescence) {
    const samples = 177;
    const traces: Record<string, { data: Int16Array; samples: number }> = {};
    for (const ch of [1, 2, 3]) {
      const raw = new Int16Array(n * samples);
      const med = new Int16Array(n * samples);
      const fmax = new Float32Array(n);
      const fpos = new Float32Array(n);
      const fwidth = new Float32Array(n);
      const farea = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const amp = Math.max(5, (ch === 2 ? 300 : 120) * Math.exp(0.5 * rng.normal()));
        const pos = 88 + 6 * rng.normal();
        const width = 12 + 2 * Math.abs(rng.normal());
        let area = 0;
        for (let k = 0; k < samples; k++) {
          const v = amp * Math.exp(-((k - pos) ** 2) / (2 * (width / 2.355) ** 2));
          raw[i * samples + k] = Math.round(v + 3 * rng.normal());
          med[i * samples + k] = Math.round(v);
          area += v;
        }
        fmax[i] = amp;
        fpos[i] = pos;
        fwidth[i] = width;
        farea[i] = area;
      }
      traces[`fl${ch}_raw`] = { data: raw, samples };
      traces[`fl${ch}_median`] = { data: med, samples };
      Object.assign(scalars, {
        [`fl${ch}_max`]: fmax,
        [`fl${ch}_pos`]: fpos,
        [`fl${ch}_width`]: fwidth,
        [`fl${ch}_area`]: farea,
      });
    }
    data.traces = traces;
    Object.assign(attrs, {
      "fluorescence:bit depth": 16,
      "fluorescence:channel 1 name": "525/50",
      "fluorescence:channel 2 name": "593/46",
      "fluorescence:channel 3 name": "700/75",
      "fluorescence:channel count": 3,
      "fluorescence:channels installed": 3,
      "fluorescence:laser 1 lambda": 488.0,
      "fluorescence:laser 1 power": 8.0,
      "fluorescence:laser 3 lambda": 640.0,
      "fluorescence:laser 3 power": 100.0,
      "fluorescence:laser count": 2,
      "fluorescence:lasers installed": 3,
      "fluorescence:sample rate": 312500,
      "fluorescence:samples per event": samples,
      "fluorescence:signal max": 1.0,
      "fluorescence:signal min": -1.0,
      "fluorescence:trace median": 7,
    });
  }
  if (spec.tables) {
    const columns = [
      "time",
      "temperature",
      "flow_rate_sample",
      "flow_rate_sheath",
      "pressure_sample",
      "pressure_sheath",
    ];
    const rows: number[][] = [];
    for (let r = 0; r < 12; r++) {
      rows.push([
        r * 5,
        23 + 0.1 * rng.normal(),
        spec.flowRate / 4,
        (spec.flowRate * 3) / 4,
        120 + rng.normal(),
        360 + rng.normal(),
      ]);
    }
    data.tables = { cytoshot_monitor: { columns, rows } };
  }
  return data;
}
