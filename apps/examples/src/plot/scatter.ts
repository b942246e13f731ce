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
  const values: ScatterPoint[] = Array.from({ length: x.length }, (_, i) => ({
    x: x[i]!,
    y: y[i]!,
    density: density[i]!,
  }));
  const width = options.width ?? 640;
  const height = options.height ?? 480;
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
      size: options.pointSize ?? defaultPointSize(values.length),
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

// Few events: bigger dots; many: small ones, so dense regions stay readable.
function defaultPointSize(n: number): number {
  return n < 1000 ? 24 : n < 10_000 ? 12 : 6;
}
