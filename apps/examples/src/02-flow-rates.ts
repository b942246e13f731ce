/**
 * Example 2 of the DCOR documentation: how many RT-DC measurements of a circle were recorded at
 * each flow rate. Writes `<out>/flow-rates.{png,svg}`.
 *
 *   tsx --conditions=@dcor/source src/02-flow-rates.ts [--circle figshare-import] [--demo]
 */
import { join } from "node:path";
import type { CKANAPI } from "@dcor/api";
import { APIInterrogator, groupByMetadata, listDCResources } from "@dcor/interrogator";
import { connect } from "./connect.js";
import { type Bar, barChartSpec, type SavedPlot, savePlot } from "./plot/index.js";
import { isMain, parseArgs, runCli } from "./util.js";

/** The flow rates [µL/s] of the documentation's example. */
export const FLOW_RATES = [0.04, 0.06, 0.12, 0.16, 0.32] as const;

export interface FlowRatesOptions {
  /** A client of the DCOR server. */
  api: CKANAPI;
  /** @default "figshare-import" */
  circle?: string;
  /** Folder for the plot. @default "output" */
  out?: string;
  signal?: AbortSignal;
}

export interface FlowRatesResult {
  /** One bar per flow rate, then "others"; `value` = number of RT-DC resources. */
  bars: Bar[];
  /** Number of RT-DC resources in the circle. */
  total: number;
  plot: SavedPlot;
}

export async function main(options: FlowRatesOptions): Promise<FlowRatesResult> {
  const { api, circle = "figshare-import", out = "output", signal } = options;

  // Every dataset of the circle (limit 0 = all pages), then every RT-DC resource in them.
  const datasets = await new APIInterrogator(api).searchDatasets({
    circles: [circle],
    limit: 0,
    signal,
  });
  const resources = listDCResources(datasets);

  // Sort them by flow rate, with a tolerance like numpy's allclose (stored values are float32).
  const { groups, others } = groupByMetadata(resources, "dc:setup:flow rate", FLOW_RATES);
  const bars: Bar[] = [
    ...groups.map((g) => ({ label: String(g.value), value: g.resources.length })),
    { label: "others", value: others.length },
  ];

  const spec = barChartSpec({
    bars,
    xLabel: "flow rates [µL/s]",
    yLabel: "number of datasets",
    title: `circle ${circle}`,
  });
  const plot = await savePlot(spec, join(out, "flow-rates"));
  return { bars, total: resources.length, plot };
}

if (isMain(import.meta.url)) {
  await runCli(async () => {
    const args = parseArgs({
      extra: { circle: { type: "string", description: "circle name (default figshare-import)" } },
      synopsis: "usage: tsx src/02-flow-rates.ts [--circle NAME] [options]",
    });
    if (args.help) return console.log(args.usage);
    const { api, close } = await connect(args);
    try {
      const circle = (args.extra.circle as string | undefined) ?? "figshare-import";
      const result = await main({ api, circle, out: args.out });
      console.log(`${result.total} RT-DC resources in circle ${circle}`);
      for (const bar of result.bars) {
        const label = bar.label === "others" ? "others" : `${bar.label} µL/s`;
        console.log(`${label.padStart(10)}: ${bar.value}`);
      }
      console.log(`wrote ${result.plot.pngPath} and ${result.plot.svgPath}`);
    } finally {
      await close();
    }
  });
}
