/**
 * Event filters like dclab's `rtdc_dataset/filter.py`: box (min/max per scalar feature),
 * remove-invalid (NaN/inf in any scalar feature), polygon filters, a manual mask and
 * "limit events" (dclab's seeded random downsampling). `all` is their AND.
 */
import { RtdcError } from "../errors.js";
import type { PolygonFilter } from "./polygon.js";
import { downsampleRandomKeep } from "./random.js";

export { PolygonFilter, PolygonFilterError, type PolygonFilterOptions } from "./polygon.js";

/** Invalid filter settings (code "RTDC_FILTER_INVALID"). */
export class FilterError extends RtdcError {
  constructor(message: string, feature?: string) {
    super("RTDC_FILTER_INVALID", message, {
      action: "filter",
      ...(feature === undefined ? {} : { feature }),
    });
    this.name = "FilterError";
  }
}

/** A box filter range (inclusive). */
export interface BoxRange {
  /** Lower bound (inclusive; `-Infinity`: open). */
  min: number;
  /** Upper bound (inclusive; `Infinity`: open). */
  max: number;
}

/** Reads one scalar feature of the dataset (all events). */
export type FeatureGetter = (name: string) => Promise<ArrayLike<number>>;

/**
 * The filter state of one dataset. Set ranges, polygons, `manual`, `removeInvalid` and
 * `limitEvents`, then `await apply(getFeature, scalarFeatures)`; the combined mask is `all`
 * (1 = event kept). Like dclab, the masks are only recomputed by `apply`.
 *
 * @example
 * const f = new Filter(ds.length);
 * f.setBox("deform", 0, 0.05);
 * await f.apply((name) => ds.get(name), ds.featuresScalar);
 * f.all; // Uint8Array, 1 = kept
 */
export class Filter {
  /** Number of events. */
  readonly length: number;
  /** Box filters per feature name. A range with min == max filters nothing (as in dclab). */
  readonly box = new Map<string, BoxRange>();
  /**
   * Remove events with NaN or ±inf in any scalar feature.
   * @default false
   */
  removeInvalid = false;
  /**
   * dclab's "enable filters": when false, `apply` keeps every event.
   * @default true
   */
  enabled = true;
  /** Polygon filters (all must pass). Filters on features the dataset lacks are ignored. */
  polygons: PolygonFilter[] = [];
  /** Manual mask, 1 = keep (all ones initially). */
  manual: Uint8Array;
  /**
   * Keep at most this many of the filtered events, chosen like dclab (seeded random); 0 = all.
   * @default 0
   */
  limitEvents = 0;
  /** Combined mask of the last `apply` (all ones before). */
  all: Uint8Array;
  /** Box-filter mask of the last `apply`. */
  boxMask: Uint8Array;
  /** Remove-invalid mask of the last `apply` (1 = valid). */
  invalidMask: Uint8Array;
  /** Polygon mask of the last `apply`. */
  polygonMask: Uint8Array;
  /** Filters that the last `apply` ignored because the dataset lacks their features. */
  ignored: string[] = [];

  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new FilterError(`length must be a non-negative integer, got ${length}`);
    }
    this.length = length;
    this.manual = new Uint8Array(length).fill(1);
    this.all = new Uint8Array(length).fill(1);
    this.boxMask = new Uint8Array(length).fill(1);
    this.invalidMask = new Uint8Array(length).fill(1);
    this.polygonMask = new Uint8Array(length).fill(1);
  }

  /**
   * Keep events with min ≤ value ≤ max of `feature` (swapped if min > max; NaN values are
   * removed; ±Infinity bounds leave that side open).
   */
  setBox(feature: string, min: number, max: number): void {
    if (typeof feature !== "string" || feature === "") {
      throw new FilterError("feature must be a non-empty string");
    }
    if (
      Number.isNaN(min) ||
      Number.isNaN(max) ||
      typeof min !== "number" ||
      typeof max !== "number"
    ) {
      throw new FilterError(
        `box filter "${feature}": min and max must be numbers, not NaN`,
        feature,
      );
    }
    this.box.set(feature.toLowerCase(), { min, max });
  }

  /** Remove the box filter of `feature`. */
  clearBox(feature: string): void {
    this.box.delete(feature.toLowerCase());
  }

  /** Remove every filter (box, polygons, manual, invalid, limit). */
  reset(): void {
    this.box.clear();
    this.polygons = [];
    this.manual = new Uint8Array(this.length).fill(1);
    this.removeInvalid = false;
    this.limitEvents = 0;
    this.enabled = true;
  }

  /** Number of events kept by the last `apply`. */
  get count(): number {
    let c = 0;
    for (let i = 0; i < this.all.length; i++) c += this.all[i]!;
    return c;
  }

  /**
   * Compute the masks. `getFeature` returns a scalar feature for all events; `scalarFeatures`
   * lists the dataset's scalar features (the remove-invalid filter reads all of them; box and
   * polygon filters on other features are ignored and listed in `ignored`).
   */
  async apply(getFeature: FeatureGetter, scalarFeatures: readonly string[]): Promise<Uint8Array> {
    const n = this.length;
    if (this.manual.length !== n) {
      throw new FilterError(`manual has ${this.manual.length} entries, expected ${n}`);
    }
    if (!Number.isSafeInteger(this.limitEvents) || this.limitEvents < 0) {
      throw new FilterError(`limitEvents must be a non-negative integer, got ${this.limitEvents}`);
    }
    const available = new Set(scalarFeatures.map((f) => f.toLowerCase()));
    const cache = new Map<string, ArrayLike<number>>();
    const feature = async (name: string): Promise<ArrayLike<number>> => {
      let data = cache.get(name);
      if (!data) {
        data = await getFeature(name);
        if (data.length !== n) {
          throw new FilterError(`feature "${name}" has ${data.length} events, expected ${n}`, name);
        }
        cache.set(name, data);
      }
      return data;
    };
    const ignored: string[] = [];

    const invalid = new Uint8Array(n).fill(1);
    if (this.removeInvalid) {
      for (const name of scalarFeatures) {
        const data = await feature(name.toLowerCase());
        for (let i = 0; i < n; i++) if (!Number.isFinite(data[i]!)) invalid[i] = 0;
      }
    }

    const box = new Uint8Array(n).fill(1);
    for (const [name, range] of this.box) {
      if (!available.has(name)) {
        ignored.push(`box filter "${name}": the dataset has no such scalar feature`);
        continue;
      }
      if (range.min === range.max) continue;
      const lo = Math.min(range.min, range.max);
      const hi = Math.max(range.min, range.max);
      const data = await feature(name);
      // NaN fails both comparisons and is removed, as in dclab.
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (!(lo <= v && v <= hi)) box[i] = 0;
      }
    }

    const polygon = new Uint8Array(n).fill(1);
    for (const pf of this.polygons) {
      const [ax, ay] = pf.axes;
      if (!available.has(ax) || !available.has(ay)) {
        ignored.push(`polygon filter "${pf.name}": the dataset lacks "${ax}" or "${ay}"`);
        continue;
      }
      const mask = pf.filter(await feature(ax), await feature(ay));
      for (let i = 0; i < n; i++) polygon[i] = polygon[i]! & mask[i]!;
    }

    const all = new Uint8Array(n);
    if (this.enabled) {
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const v = box[i]! & invalid[i]! & polygon[i]! & (this.manual[i]! ? 1 : 0);
        all[i] = v;
        kept += v;
      }
      if (this.limitEvents > 0 && this.limitEvents < kept) {
        const keep = downsampleRandomKeep(kept, this.limitEvents);
        let k = 0;
        for (let i = 0; i < n; i++) if (all[i]) all[i] = keep[k++]!;
      }
    } else {
      all.fill(1);
    }
    this.invalidMask = invalid;
    this.boxMask = box;
    this.polygonMask = polygon;
    this.ignored = ignored;
    this.all = all;
    return all;
  }
}

/**
 * The entries of `data` where `mask` is 1 (e.g. a filtered feature for the KDE). A Float32Array
 * stays a Float32Array (the KDE then follows numpy's float32 arithmetic), anything else becomes
 * a Float64Array.
 */
export function applyMask(data: ArrayLike<number>, mask: Uint8Array): Float32Array | Float64Array {
  if (data.length !== mask.length) {
    throw new FilterError(`data has ${data.length} entries but the mask ${mask.length}`);
  }
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i] ? 1 : 0;
  const out = data instanceof Float32Array ? new Float32Array(count) : new Float64Array(count);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = data[i]!;
  return out;
}
