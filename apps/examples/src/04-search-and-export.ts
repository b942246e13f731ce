/**
 * Example 4: search DCOR across circles, open one RT-DC resource of the hits remotely, keep
 * the events inside a box on one feature (by default the middle half of `area_um`) and export
 * them to a new `.rtdc` file, then read that file back.
 *
 *   tsx --conditions=@dcor/source src/04-search-and-export.ts [--query blood] [--circles a,b]
 *       [--index 0] [--feature area_um] [--min X] [--max Y] [--demo]
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CKANAPI } from "@dcor/api";
import { APIInterrogator, listDCResources } from "@dcor/interrogator";
import { openDataset } from "@dcor/rtdc";
import { connect } from "./connect.js";
import { isMain, parseArgs, parseIndex, parseNumber, runCli, UsageError } from "./util.js";

export interface SearchAndExportOptions {
  /** A client of the DCOR server. */
  api: CKANAPI;
  /** Free-text search. @default "blood" */
  query?: string;
  /** Only these circles. @default [] (every circle you can see) */
  circles?: string[];
  /** Which RT-DC resource of the hits (in search order) to export from. @default 0 */
  index?: number;
  /** Feature of the box filter. @default "area_um" */
  feature?: string;
  /** Lower edge of the box. @default the 25th percentile of `feature` */
  min?: number;
  /** Upper edge of the box. @default the 75th percentile of `feature` */
  max?: number;
  /** Folder for the exported file. @default "output" */
  out?: string;
  signal?: AbortSignal;
}

export interface SearchAndExportResult {
  /** Datasets found, with their circle. */
  hits: { name: string; circle: string | undefined }[];
  /** The RT-DC resource exported from. */
  resource: { id: string; name: string; events: number };
  box: { feature: string; min: number; max: number };
  /** The new file and its event count, as read back from it. */
  exported: { path: string; events: number };
}

export async function main(options: SearchAndExportOptions): Promise<SearchAndExportResult> {
  const { api, query = "blood", circles = [], index = 0, signal } = options;
  const { feature = "area_um", out = "output" } = options;

  // One search over all the circles (limit 0 = every page).
  const datasets = await new APIInterrogator(api).searchDatasets({
    query,
    circles,
    limit: 0,
    signal,
  });
  const resource = listDCResources(datasets)[index];
  if (!resource) {
    throw new UsageError(`no RT-DC resource number ${index} among the hits for "${query}"`);
  }

  const ds = await openDataset(resource.id, { api, signal });
  let box: SearchAndExportResult["box"];
  const path = join(out, `${resource.name.replace(/\.rtdc$/i, "")}_${feature}-box.rtdc`);
  try {
    const values = await ds.get(feature, { signal });
    box = {
      feature,
      min: options.min ?? quantile(values, 0.25),
      max: options.max ?? quantile(values, 0.75),
    };
    // Keep min ≤ value ≤ max, then write only the kept events (scalar features).
    ds.filter.setBox(feature, box.min, box.max);
    await ds.applyFilter();
    await mkdir(out, { recursive: true });
    // Export next to the target, then rename: a second run replaces the old file in one step.
    const tmp = `${path}.${process.pid}.part`;
    try {
      await ds.export(tmp, { filtered: true, features: ds.featuresScalar });
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  } finally {
    await ds.close();
  }

  const subset = await openDataset(path);
  try {
    return {
      hits: datasets.map((d) => ({ name: d.name, circle: d.organization?.name })),
      resource: { id: resource.id, name: resource.name, events: ds.length },
      box,
      exported: { path, events: subset.length },
    };
  } finally {
    await subset.close();
  }
}

/** Linear-interpolated quantile (numpy's default) of the finite values. */
function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values)
    .filter((v) => Number.isFinite(v))
    .sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

if (isMain(import.meta.url)) {
  await runCli(async () => {
    const args = parseArgs({
      extra: {
        query: { type: "string", description: 'search text (default "blood")' },
        circles: { type: "string", description: "comma-separated circles (default: all)" },
        index: { type: "string", description: "which RT-DC resource of the hits (default 0)" },
        feature: { type: "string", description: "box-filter feature (default area_um)" },
        min: { type: "string", description: "box minimum (default: 25th percentile)" },
        max: { type: "string", description: "box maximum (default: 75th percentile)" },
      },
      synopsis: "usage: tsx src/04-search-and-export.ts [--query TEXT] [--circles A,B] [options]",
    });
    if (args.help) return console.log(args.usage);
    const { extra } = args;
    const circles = typeof extra.circles === "string" ? extra.circles.split(",") : [];
    const { api, close } = await connect(args);
    try {
      const result = await main({
        api,
        circles: circles.map((c) => c.trim()).filter(Boolean),
        index: parseIndex(extra.index, "--index", 0),
        min: parseNumber(extra.min, "--min"),
        max: parseNumber(extra.max, "--max"),
        out: args.out,
        ...(typeof extra.query === "string" ? { query: extra.query } : {}),
        ...(typeof extra.feature === "string" ? { feature: extra.feature } : {}),
      });
      console.log(`${result.hits.length} datasets found:`);
      for (const hit of result.hits) console.log(`  ${hit.name}  (circle ${hit.circle})`);
      const { resource, box, exported } = result;
      console.log(`${resource.name}: ${resource.events} events`);
      console.log(`box ${box.min.toPrecision(4)} ≤ ${box.feature} ≤ ${box.max.toPrecision(4)}`);
      console.log(`wrote ${exported.path}: ${exported.events} events (read back)`);
    } finally {
      await close();
    }
  });
}
