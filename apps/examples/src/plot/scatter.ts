import type { TopLevelSpec } from "vega-lite";

/** The colour-bar title of the DCOR documentation's KDE scatter plot. */
export const KDE_COLORBAR_TITLE = "kernel density estimate [a.u]";

/** One point of a density scatter plot. */
export interface ScatterPoint {
  x: number;
  y: number;
  density: number;
}

/** Options of {@link densityScatterSpec}. */
export interface DensityScatterOptions {
  /** x values, one per event. */
  x: ArrayLike<number>;
  /** y values, one per event (same length as `x`). */
  y: ArrayLike<number>;
  /** Density at each event, e.g. from `ds.getKdeScatter()`; it colours the points. */
  density: ArrayLike<number>;
  /** x-axis title, e.g. `getFeatureLabel("area_um")`. */
  xLabel: string;
  /** y-axis title. */
  yLabel: string;
  /** Plot title. */
  title: string;
  /** @default "kernel density estimate [a.u]" */
  colorbarTitle?: string;
  /** Total picture width in SVG pixels (axes, title and colour bar included). @default 640 */
  width?: number;
  /** Total picture height in SVG pixels. @default 480 */
  height?: number;
  /** Fixed x range `[min, max]`; points outside are clipped. @default the data range */
  xDomain?: [number, number];
  /** Fixed y range `[min, max]`. @default the data range */
  yDomain?: [number, number];
  /**
   * Most points to draw. Above it, dense regions are thinned: the picture is divided into
   * 2 × 2 px cells and only the densest event of each cell is drawn (the others would be hidden
   * under it), with bigger cells if still too many. Rendering time and SVG size
   * grow with the points drawn (about 8 s and 8 MB per 25,000 here).
   * @default 25000
   */
  maxPoints?: number;
  /** Area of each point in square pixels. @default 24 below 1000 points, 12 below 10000, else 6 */
  pointSize?: number;
}

/**
 * Vega-Lite spec of a scatter plot coloured by density (viridis, densest points drawn last),
 * with a vertical colour bar along the plot, like dclab's matplotlib example. The data is inlined,
 * so `spec.data.values` holds exactly the plotted points.
 */
export function densityScatterSpec(options: DensityScatterOptions): TopLevelSpec & {
  data: { values: ScatterPoint[] };
} {
  const { x, y, density } = options;
  if (x.length !== y.length || x.length !== density.length) {
    throw new RangeError(
      `x, y and density must have the same length (got ${x.length}, ${y.length}, ${density.length})`,
    );
  }
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const thinned = thinScatter({
    x,
    y,
    density,
    maxPoints: options.maxPoints ?? 25_000,
    cellsX: Math.ceil(width / 2),
    cellsY: Math.ceil(height / 2),
    xDomain: options.xDomain,
    yDomain: options.yDomain,
  });
  const values: ScatterPoint[] = Array.from(thinned.indices, (i) => ({
    x: x[i]!,
    y: y[i]!,
    density: density[i]!,
  }));
  const clip = options.xDomain !== undefined || options.yDomain !== undefined;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width,
    height,
    // "fit" makes the whole picture (not just the plot area) exactly width × height.
    autosize: { type: "fit", contains: "padding" },
    background: "white",
    data: { values },
    mark: {
      type: "circle",
      size: options.pointSize ?? defaultPointSize(values.length, thinned.cellsX, width),
      opacity: 1,
      clip,
    },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: options.xLabel,
        scale: { zero: false, ...(options.xDomain ? { domain: options.xDomain } : {}) },
      },
      y: {
        field: "y",
        type: "quantitative",
        title: options.yLabel,
        scale: { zero: false, ...(options.yDomain ? { domain: options.yDomain } : {}) },
      },
      color: {
        field: "density",
        type: "quantitative",
        scale: { scheme: "viridis", zero: false },
        legend: {
          title: options.colorbarTitle ?? KDE_COLORBAR_TITLE,
          // Without a limit Vega cuts the title at 180 px.
          titleLimit: height,
          titleOrient: "right",
          direction: "vertical",
          gradientLength: { expr: "height" },
          gradientThickness: 16,
        },
      },
      order: { field: "density", type: "quantitative", sort: "ascending" },
    },
  };
}

// Few events: bigger dots; many: small ones, so dense regions stay readable. After thinning,
// dots a bit wider than a grid cell, so thinned regions stay filled.
function defaultPointSize(n: number, cellsX: number, width: number): number {
  const base = n < 1000 ? 24 : n < 10_000 ? 12 : 6;
  if (cellsX === 0) return base;
  const diameter = (1.4 * (0.85 * width)) / cellsX; // the plot area is ~85 % of the width
  return Math.max(base, Math.round((Math.PI / 4) * diameter * diameter));
}

/** Options of {@link thinScatter}. */
export interface ThinScatterOptions {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  density: ArrayLike<number>;
  /** Keep at most this many events. */
  maxPoints: number;
  /** Grid cells across and up the plot. */
  cellsX: number;
  cellsY: number;
  /** Plot ranges; events outside are not drawn anyway. @default the finite data range */
  xDomain?: [number, number] | undefined;
  yDomain?: [number, number] | undefined;
}

/** Result of {@link thinScatter}. */
export interface ThinnedScatter {
  /** Events to draw, ascending. */
  indices: Uint32Array;
  /** Grid used for thinning (0 × 0 when nothing was thinned). */
  cellsX: number;
  cellsY: number;
}

/**
 * Indices (ascending) of the events to draw so that at most `maxPoints` are drawn and the
 * picture looks the same: all events when they fit; else the densest event per grid cell,
 * with cells twice as big until few enough remain. Events with a non-finite coordinate are dropped
 * (they cannot be drawn).
 */
export function thinScatter(options: ThinScatterOptions): ThinnedScatter {
  const { x, y, density, cellsX, cellsY } = options;
  const maxPoints = Math.max(0, Math.floor(options.maxPoints));
  const n = x.length;
  const finite: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) finite.push(i);
  if (finite.length === n && n <= maxPoints) {
    return { indices: Uint32Array.from({ length: n }, (_, i) => i), cellsX: 0, cellsY: 0 };
  }
  if (finite.length <= maxPoints)
    return { indices: Uint32Array.from(finite), cellsX: 0, cellsY: 0 };

  const range = (v: ArrayLike<number>, domain?: [number, number]): [number, number] => {
    if (domain) return domain;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of finite) {
      lo = Math.min(lo, v[i]!);
      hi = Math.max(hi, v[i]!);
    }
    return [lo, hi];
  };
  const [x0, x1] = range(x, options.xDomain);
  const [y0, y1] = range(y, options.yDomain);
  const cell = (v: number, lo: number, hi: number, cells: number) =>
    hi > lo ? Math.min(cells - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * cells))) : 0;
  // One event (the densest) per cell; coarser cells until few enough. Isolated events are
  // alone in their cell, so they survive; only crowded regions lose events.
  for (let scale = 1; ; scale *= 2) {
    const cx = Math.max(1, Math.ceil(cellsX / scale));
    const cy = Math.max(1, Math.ceil(cellsY / scale));
    const best = new Map<number, number>(); // cell → event index
    for (const i of finite) {
      const key = cell(x[i]!, x0, x1, cx) * cy + cell(y[i]!, y0, y1, cy);
      const current = best.get(key);
      if (current === undefined || density[i]! > density[current]!) best.set(key, i);
    }
    if (best.size <= maxPoints || (cx === 1 && cy === 1)) {
      const indices = Uint32Array.from(best.values()).sort().subarray(0, maxPoints);
      return { indices, cellsX: cx, cellsY: cy };
    }
  }
}
