// Image-derived ancillary features: brightness inside the mask, raw and background-corrected,
// as dclab computes them (numpy mean/std/percentile semantics).

/** Pixel values of `image` (minus `bg` if given) where `mask` is set. */
export function maskedValues(image: Uint8Array, mask: Uint8Array, bg?: Uint8Array): Float64Array {
  let n = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) n++;
  const out = new Float64Array(n);
  for (let k = 0, j = 0; k < mask.length; k++) {
    if (mask[k]) out[j++] = (image[k] as number) - (bg ? (bg[k] as number) : 0);
  }
  return out;
}

export function mean(v: Float64Array): number {
  if (v.length === 0) return Number.NaN;
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Population standard deviation (numpy's default ddof=0). */
export function std(v: Float64Array): number {
  if (v.length === 0) return Number.NaN;
  const m = mean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / v.length);
}

/** numpy.percentile with linear interpolation. */
export function percentile(v: Float64Array, q: number): number {
  if (v.length === 0) return Number.NaN;
  const s = Float64Array.from(v).sort();
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  const t = pos - lo;
  const a = s[lo] as number;
  const b = s[hi] as number;
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}
