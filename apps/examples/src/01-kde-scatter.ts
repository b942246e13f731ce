/**
 * Example 1 of the DCOR documentation: a scatter plot of deformation vs area of one RT-DC
 * measurement in a circle, coloured by event density (histogram KDE).
 * Writes `<out>/kde-scatter.{png,svg}`.
 *
 *   tsx --conditions=@dcor/source src/01-kde-scatter.ts [--circle figshare-import] [--index 0] [--demo]
 */
import { join } from "node:path";
import type { CKANAPI } from "@dcor/api";
import { APIInterrogator, listDCResources } from "@dcor/interrogator";
import { getFeatureLabel, openDataset } from "@dcor/rtdc";
import { connect } from "./connect.js";
import { densityScatterSpec, type SavedPlot, savePlot } from "./plot/index.js";
import { isMain, parseArgs, parseIndex, parseRange, runCli, UsageError } from "./util.js";

export interface KdeScatterOptions {
  /** A client of the DCOR server. */
  api: CKANAPI;
  /** @default "figshare-import" */
  circle?: string;
  /** Which RT-DC resource of the circle (in search order) to plot. @default 0 */
  index?: number;
  /** Feature on the x axis. @default "area_um" */
  xax?: string;
  /** Feature on the y axis. @default "deform" */
  yax?: string;
  /** Fixed x-axis range, e.g. `[0, 150]`. @default the data range */
  xlim?: [number, number];
  /** Fixed y-axis range, e.g. `[0.01, 0.12]`. @default the data range */
  ylim?: [number, number];
  /** Most points to draw; dense regions of bigger measurements are thinned. @default 25000 */
  maxPoints?: number;
  /** Folder for the plot. @default "output" */
  out?: string;
  signal?: AbortSignal;
}

export interface KdeScatterResult {
  /** The plotted resource. */
  resource: { id: string; name: string; datasetId: string };
  /** All RT-DC resources of the circle, in the order `index` refers to. */
  resources: { id: string; name: string }[];
  /** Every event: x, y and the density that colours it. */
  points: { x: Float64Array; y: Float64Array; density: Float64Array };
  /** How many of them were drawn (all, unless more than `maxPoints`). */
  plotted: number;
  /** `experiment:sample` of the measurement. */
  title: string;
  plot: SavedPlot;
}

export async function main(options: KdeScatterOptions): Promise<KdeScatterResult> {
  const { api, circle = "figshare-import", index = 0, signal } = options;
  const { xax = "area_um", yax = "deform", out = "output" } = options;

  // All RT-DC resources of every dataset in the circle (limit 0 = all pages).
  const datasets = await new APIInterrogator(api).searchDatasets({
    circles: [circle],
    limit: 0,
    signal,
  });
  const resources = listDCResources(datasets);
  const resource = resources[index];
  if (!resource) {
    throw new UsageError(
      `circle ${circle} has ${resources.length} RT-DC resources; index ${index} is out of range`,
    );
  }

  // Open it remotely (only the features we read are transferred) and compute the density.
  const ds = await openDataset(resource.id, { api, signal });
  try {
    const x = Float64Array.from(await ds.get(xax, { signal }));
    const y = Float64Array.from(await ds.get(yax, { signal }));
    const density = await ds.getKdeScatter({ xax, yax, kdeType: "histogram" });
    const title = String(ds.config.experiment?.sample ?? resource.name);

    const spec = densityScatterSpec({
      x,
      y,
      density,
      xLabel: getFeatureLabel(xax),
      yLabel: getFeatureLabel(yax),
      title,
      ...(options.xlim ? { xDomain: options.xlim } : {}),
      ...(options.ylim ? { yDomain: options.ylim } : {}),
      ...(options.maxPoints !== undefined ? { maxPoints: options.maxPoints } : {}),
    });
    const plot = await savePlot(spec, join(out, "kde-scatter"));
    return {
      resource: { id: resource.id, name: resource.name, datasetId: String(resource.package_id) },
      resources: resources.map((r) => ({ id: r.id, name: r.name })),
      points: { x, y, density },
      plotted: spec.data.values.length,
      title,
      plot,
    };
  } finally {
    await ds.close();
  }
}

if (isMain(import.meta.url)) {
  await runCli(async () => {
    const args = parseArgs({
      extra: {
        circle: { type: "string", description: "circle name (default figshare-import)" },
        index: { type: "string", description: "which RT-DC resource of the circle (default 0)" },
        xax: { type: "string", description: "x-axis feature (default area_um)" },
        yax: { type: "string", description: "y-axis feature (default deform)" },
        xlim: { type: "string", description: "x range MIN,MAX (default: data range)" },
        ylim: { type: "string", description: "y range MIN,MAX (default: data range)" },
        "max-points": { type: "string", description: "most points to draw (default 25000)" },
      },
      synopsis: "usage: tsx src/01-kde-scatter.ts [--circle NAME] [--index N] [options]",
    });
    if (args.help) return console.log(args.usage);
    const index = parseIndex(args.extra.index, "--index", 0);
    const xlim = parseRange(args.extra.xlim, "--xlim");
    const ylim = parseRange(args.extra.ylim, "--ylim");
    const { api, close } = await connect(args);
    try {
      const result = await main({
        api,
        index,
        out: args.out,
        circle: args.extra.circle as string | undefined,
        xax: args.extra.xax as string | undefined,
        yax: args.extra.yax as string | undefined,
        ...(xlim ? { xlim } : {}),
        ...(ylim ? { ylim } : {}),
        maxPoints: parseIndex(args.extra["max-points"], "--max-points", 25_000),
      });
      result.resources.forEach((r, i) => {
        console.log(`${i === index ? "*" : " "} ${String(i).padStart(3)}  ${r.name}  ${r.id}`);
      });
      const { plotted, points } = result;
      const drawn = plotted < points.x.length ? ` (${plotted} drawn, dense regions thinned)` : "";
      console.log(`"${result.title}": ${points.x.length} events${drawn}`);
      console.log(`wrote ${result.plot.pngPath} and ${result.plot.svgPath}`);
    } finally {
      await close();
    }
  });
}
