import type { TopLevelSpec } from "vega-lite";

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
}

/** Options of {@link barChartSpec}. */
export interface BarChartOptions {
  /** The bars, drawn left to right in this order. */
  bars: readonly Bar[];
  /** x-axis title. */
  xLabel: string;
  /** y-axis title. */
  yLabel: string;
  /** Plot title. */
  title: string;
  /** Total picture width in SVG pixels. @default 640 */
  width?: number;
  /** Total picture height in SVG pixels. @default 480 */
  height?: number;
  /** Write each bar's value above it. @default true */
  showValues?: boolean;
}

/**
 * Vega-Lite spec of a bar chart with categories in the given order. The data is inlined, so
 * `spec.data.values` holds exactly the plotted bars.
 */
export function barChartSpec(options: BarChartOptions): TopLevelSpec & {
  data: { values: Bar[] };
} {
  const values = options.bars.map(({ label, value }) => ({ label, value }));
  const x = {
    field: "label",
    type: "nominal",
    title: options.xLabel,
    sort: null, // keep the caller's order
    axis: { labelAngle: 0 },
  } as const;
  // Head room above the tallest bar so its value label does not touch the title.
  const maxValue = Math.max(0, ...values.map((b) => b.value));
  const y = {
    field: "value",
    type: "quantitative",
    title: options.yLabel,
    axis: { tickMinStep: 1 },
    scale: { domainMin: 0, domainMax: maxValue + Math.max(1, Math.ceil(maxValue * 0.08)) },
  } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width: options.width ?? 640,
    height: options.height ?? 480,
    autosize: { type: "fit", contains: "padding" },
    background: "white",
    data: { values },
    layer: [
      { mark: { type: "bar", color: "#1f77b4" }, encoding: { x, y } },
      ...(options.showValues === false
        ? []
        : [
            {
              mark: { type: "text", baseline: "bottom", dy: -3 } as const,
              encoding: { x, y, text: { field: "value", type: "quantitative" } as const },
            },
          ]),
    ],
  };
}
