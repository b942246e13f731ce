// Ancillary features: computed from other features and the configuration when not stored,
// with numpy's precision rules (float32 inputs give float32 results).
import type { RtdcConfig } from "./config.js";
import {
  type ContourXY,
  inertRatioCvx,
  inertRatioPrnc,
  inertRatioRaw,
  tilt,
  volume,
} from "./contour-features.js";
import { maskedValues, mean, percentile, std } from "./image-features.js";

/** A whole scalar feature: the stored numeric type, or Float64Array. */
export type FeatureArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface AncillaryContext {
  config: RtdcConfig;
  length: number;
  get(name: string): Promise<FeatureArray>;
  /** Every event's contour. */
  contours(): Promise<ContourXY[]>;
  /** Pixels of event `i` of `image`, `image_bg` or `mask` (mask as 0/1). */
  pixels(name: "image" | "image_bg" | "mask", i: number): Promise<Uint8Array>;
  /** Whether a feature is available (for optional inputs such as `bg_off`). */
  has(name: string): boolean;
}

/** A per-event statistic of the masked (optionally background-corrected) image. */
function perImage(
  name: string,
  stat: (v: Float64Array) => number,
  bgCorrected: boolean,
  subtractOffset: boolean,
): AncillaryFeature {
  return {
    name,
    reqFeatures: bgCorrected ? ["image", "image_bg", "mask"] : ["image", "mask"],
    reqConfig: [],
    async compute(ctx) {
      const out = new Float64Array(ctx.length);
      const off = subtractOffset && ctx.has("bg_off") ? await ctx.get("bg_off") : undefined;
      for (let i = 0; i < ctx.length; i++) {
        const [img, mask, bg] = await Promise.all([
          ctx.pixels("image", i),
          ctx.pixels("mask", i),
          bgCorrected ? ctx.pixels("image_bg", i) : Promise.resolve(undefined),
        ]);
        out[i] = stat(maskedValues(img, mask, bg)) - (off ? (off[i] as number) : 0);
      }
      return out;
    },
  };
}

function perContour(name: string, fn: (c: ContourXY) => number, f32 = false): AncillaryFeature {
  return {
    name,
    reqFeatures: ["contour"],
    reqConfig: [],
    async compute(ctx) {
      const list = await ctx.contours();
      const out = f32 ? new Float32Array(list.length) : new Float64Array(list.length);
      for (let i = 0; i < list.length; i++) out[i] = fn(list[i] as ContourXY);
      return out;
    },
  };
}

export interface AncillaryFeature {
  name: string;
  reqFeatures: string[];
  reqConfig: [section: string, key: string][];
  compute(ctx: AncillaryContext): Promise<FeatureArray>;
}

function isF32(a: FeatureArray): a is Float32Array {
  return a instanceof Float32Array;
}

/** Element-wise a / b like np.divide(a, b, where=b != 0, out=nan-float64). */
function divide(a: FeatureArray, b: FeatureArray): Float64Array {
  const out = new Float64Array(a.length);
  const f32 = isF32(a) && isF32(b);
  for (let i = 0; i < a.length; i++) {
    const d = b[i] as number;
    if (d === 0) out[i] = Number.NaN;
    else out[i] = f32 ? Math.fround((a[i] as number) / d) : (a[i] as number) / d;
  }
  return out;
}

export const ANCILLARY_FEATURES: readonly AncillaryFeature[] = [
  {
    name: "area_um",
    reqFeatures: ["area_cvx"],
    reqConfig: [["imaging", "pixel size"]],
    async compute(ctx) {
      const a = await ctx.get("area_cvx");
      const ps = Number(ctx.config.imaging["pixel size"]);
      if (isF32(a)) {
        // numpy: float32 array * Python float -> the scalar is cast to float32 first.
        const f = Math.fround(ps * ps);
        const out = new Float32Array(a.length);
        for (let i = 0; i < a.length; i++) out[i] = Math.fround((a[i] as number) * f);
        return out;
      }
      const f = ps * ps;
      const out = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) * f;
      return out;
    },
  },
  {
    name: "deform",
    reqFeatures: ["circ"],
    reqConfig: [],
    async compute(ctx) {
      const c = await ctx.get("circ");
      const out = isF32(c) ? new Float32Array(c.length) : new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) out[i] = 1 - (c[i] as number);
      return out;
    },
  },
  {
    name: "area_ratio",
    reqFeatures: ["area_cvx", "area_msd"],
    reqConfig: [],
    async compute(ctx) {
      return divide(await ctx.get("area_cvx"), await ctx.get("area_msd"));
    },
  },
  {
    name: "aspect",
    reqFeatures: ["size_x", "size_y"],
    reqConfig: [],
    async compute(ctx) {
      return divide(await ctx.get("size_x"), await ctx.get("size_y"));
    },
  },
  {
    name: "index",
    reqFeatures: [],
    reqConfig: [],
    async compute(ctx) {
      const out = new Float64Array(ctx.length);
      for (let i = 0; i < out.length; i++) out[i] = i + 1;
      return out;
    },
  },
  {
    name: "time",
    reqFeatures: ["frame"],
    reqConfig: [["imaging", "frame rate"]],
    async compute(ctx) {
      const frame = await ctx.get("frame");
      const fr = Number(ctx.config.imaging["frame rate"]);
      const out = new Float64Array(frame.length);
      for (let i = 0; i < frame.length; i++) out[i] = (frame[i] as number) / fr;
      return out;
    },
  },
  perImage("bright_avg", mean, false, false),
  perImage("bright_sd", std, false, false),
  perImage("bright_bc_avg", mean, true, true),
  perImage("bright_bc_sd", std, true, false),
  perImage("bright_perc_10", (v) => percentile(v, 10), true, true),
  perImage("bright_perc_90", (v) => percentile(v, 90), true, true),
  perContour("inert_ratio_cvx", inertRatioCvx),
  perContour("inert_ratio_raw", inertRatioRaw),
  perContour("inert_ratio_prnc", inertRatioPrnc, true),
  perContour("tilt", tilt),
  {
    name: "volume",
    reqFeatures: ["contour", "pos_x", "pos_y"],
    reqConfig: [["imaging", "pixel size"]],
    async compute(ctx) {
      const [list, px, py] = await Promise.all([
        ctx.contours(),
        ctx.get("pos_x"),
        ctx.get("pos_y"),
      ]);
      const pix = Number(ctx.config.imaging["pixel size"]);
      const out = new Float64Array(px.length).fill(Number.NaN);
      for (let i = 0; i < Math.min(list.length, px.length); i++) {
        out[i] = volume(list[i] as ContourXY, px[i] as number, py[i] as number, pix);
      }
      return out;
    },
  },
];

/** Names of the ancillary features this package computes. */
export const ANCILLARY_FEATURE_NAMES: readonly string[] = ANCILLARY_FEATURES.map((a) => a.name);
