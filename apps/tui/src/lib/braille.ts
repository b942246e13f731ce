/**
 * A density scatter plot drawn with braille characters: each terminal cell holds 2×4 dots, so an
 * 80-column terminal resolves 160 dots across. Pure functions, no terminal I/O.
 */

/** Bit of the braille dot at (column 0..1, row 0..3) within one cell (Unicode U+2800 block). */
const DOT_BITS: readonly (readonly number[])[] = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

export interface BrailleScatterOptions {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Per-point density (e.g. from `kdeScatter`); without it the number of points per cell is used. */
  density?: ArrayLike<number>;
  /** Plot width in terminal cells. */
  width: number;
  /** Plot height in terminal cells. */
  height: number;
  /** Fixed axis ranges; by default the `clip` percentiles of the finite data. */
  xRange?: [number, number];
  yRange?: [number, number];
  /**
   * Percentiles (0..100) that bound the automatic ranges, so a few outliers don't squash the
   * population into one corner.
   * @default [0.5, 99.5]
   */
  clip?: [number, number];
  /** Number of density colour levels. @default 5 */
  levels?: number;
}

export interface BrailleCell {
  /** A braille character (U+2800 is the empty cell). */
  char: string;
  /** Density level 0..levels-1, or -1 for an empty cell. */
  level: number;
}

export interface BrailleScatter {
  /** `height` rows of `width` cells; row 0 is the top (largest y). */
  rows: BrailleCell[][];
  xRange: [number, number];
  yRange: [number, number];
  /** Points that were finite and inside the ranges. */
  plotted: number;
  /** Points skipped because a coordinate was NaN/±Inf. */
  invalid: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** The range of the finite values between two percentiles, widened if it is degenerate. */
export function autoRange(
  values: ArrayLike<number>,
  clip: [number, number] = [0.5, 99.5],
): [number, number] {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return [0, 1];
  const sorted = Float64Array.from(finite).sort();
  let lo = percentile(sorted, clip[0]);
  let hi = percentile(sorted, clip[1]);
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.05 || 0.5;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Draw a braille density scatter plot; see {@link BrailleScatterOptions}. */
export function brailleScatter(opts: BrailleScatterOptions): BrailleScatter {
  const width = Math.max(1, Math.floor(opts.width));
  const height = Math.max(1, Math.floor(opts.height));
  const levels = Math.max(1, Math.floor(opts.levels ?? 5));
  const clip = opts.clip ?? [0.5, 99.5];
  const xRange = opts.xRange ?? autoRange(opts.x, clip);
  const yRange = opts.yRange ?? autoRange(opts.y, clip);
  const dotsX = width * 2;
  const dotsY = height * 4;
  const bits = new Uint8Array(width * height);
  // Per cell: the highest density of its points (or its point count without densities).
  const weight = new Float64Array(width * height);
  const n = Math.min(opts.x.length, opts.y.length);
  const density = opts.density;
  let plotted = 0;
  let invalid = 0;
  const [x0, x1] = xRange;
  const [y0, y1] = yRange;
  for (let i = 0; i < n; i++) {
    const xv = opts.x[i] as number;
    const yv = opts.y[i] as number;
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) {
      invalid++;
      continue;
    }
    if (xv < x0 || xv > x1 || yv < y0 || yv > y1) continue;
    const dx = Math.min(dotsX - 1, Math.floor(((xv - x0) / (x1 - x0)) * dotsX));
    // y grows upwards, rows grow downwards
    const dy = Math.min(dotsY - 1, Math.floor(((y1 - yv) / (y1 - y0)) * dotsY));
    const cell = Math.floor(dy / 4) * width + Math.floor(dx / 2);
    bits[cell] = (bits[cell] as number) | (DOT_BITS[dx % 2]?.[dy % 4] ?? 0);
    if (density) {
      const d = density[i] as number;
      if (Number.isFinite(d) && d > (weight[cell] as number)) weight[cell] = d;
    } else {
      weight[cell] = (weight[cell] as number) + 1;
    }
    plotted++;
  }
  let maxWeight = 0;
  for (let c = 0; c < weight.length; c++)
    if ((weight[c] as number) > maxWeight) maxWeight = weight[c] as number;
  const rows: BrailleCell[][] = [];
  for (let r = 0; r < height; r++) {
    const row: BrailleCell[] = [];
    for (let c = 0; c < width; c++) {
      const idx = r * width + c;
      const b = bits[idx] as number;
      if (b === 0) {
        row.push({ char: "\u2800", level: -1 });
        continue;
      }
      const w = weight[idx] as number;
      const level =
        maxWeight > 0
          ? Math.min(levels - 1, Math.max(0, Math.ceil((w / maxWeight) * levels) - 1))
          : 0;
      row.push({ char: String.fromCodePoint(0x2800 + b), level });
    }
    rows.push(row);
  }
  return { rows, xRange, yRange, plotted, invalid };
}

/** Group a row into runs of equal level, for rendering with one colour per run. */
export function runsOf(row: readonly BrailleCell[]): { text: string; level: number }[] {
  const runs: { text: string; level: number }[] = [];
  for (const cell of row) {
    const last = runs[runs.length - 1];
    if (last && last.level === cell.level) last.text += cell.char;
    else runs.push({ text: cell.char, level: cell.level });
  }
  return runs;
}

/** Format an axis value compactly (4 significant digits, exponent for very large/small). */
export function formatTick(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}
