import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Options of {@link renderPlot} and {@link savePlot}. */
export interface RenderOptions {
  /**
   * Pixel ratio of the PNG relative to the SVG (2 gives a sharp picture on high-DPI screens).
   * @default 1
   */
  scale?: number;
  /**
   * Font used where the SVG asks for `sans-serif` (Vega's default). Falls back to the first
   * system font when it is not installed.
   * @default "DejaVu Sans"
   */
  sansSerifFamily?: string;
}

/** A rendered plot: the SVG text, the PNG bytes and the PNG size in pixels. */
export interface RenderedPlot {
  svg: string;
  png: Uint8Array;
  width: number;
  height: number;
}

/** Where {@link savePlot} wrote a plot, and the PNG size in pixels. */
export interface SavedPlot {
  svgPath: string;
  pngPath: string;
  width: number;
  height: number;
}

/** Typed error of the plotting helpers (bad spec, bad output path, render failure). */
export class PlotError extends Error {
  readonly code: "PLOT_RENDER" | "PLOT_WRITE";
  constructor(code: PlotError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PlotError";
    this.code = code;
  }
}

/** Compiles a Vega-Lite spec and renders it headless (no browser, no canvas) to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let view: vega.View | undefined;
  try {
    view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
    return await view.toSVG();
  } catch (cause) {
    throw new PlotError("PLOT_RENDER", `could not render the Vega-Lite spec: ${String(cause)}`, {
      cause,
    });
  } finally {
    view?.finalize();
  }
}

/** Rasterizes an SVG to PNG with resvg (system fonts are used for the text). */
export function svgToPng(svg: string, options: RenderOptions = {}): RenderedPlot {
  const { scale = 1, sansSerifFamily = "DejaVu Sans" } = options;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new PlotError("PLOT_RENDER", `scale must be a positive number, got ${scale}`);
  }
  try {
    const resvg = new Resvg(svg, {
      font: { loadSystemFonts: true, sansSerifFamily, defaultFontFamily: sansSerifFamily },
      fitTo: { mode: "zoom", value: scale },
    });
    const image = resvg.render();
    return { svg, png: new Uint8Array(image.asPng()), width: image.width, height: image.height };
  } catch (cause) {
    throw new PlotError("PLOT_RENDER", `could not rasterize the SVG: ${String(cause)}`, { cause });
  }
}

/** Renders a Vega-Lite spec to SVG and PNG in memory. */
export async function renderPlot(
  spec: TopLevelSpec,
  options: RenderOptions = {},
): Promise<RenderedPlot> {
  return svgToPng(await renderSvg(spec), options);
}

/**
 * Renders a Vega-Lite spec and writes `<basePath>.svg` and `<basePath>.png` (folders are created).
 * Each file is written to a temporary name first and renamed, so a crash never leaves a
 * half-written picture under the final name.
 */
export async function savePlot(
  spec: TopLevelSpec,
  basePath: string,
  options: RenderOptions = {},
): Promise<SavedPlot> {
  const plot = await renderPlot(spec, options);
  const svgPath = `${basePath}.svg`;
  const pngPath = `${basePath}.png`;
  try {
    await mkdir(dirname(basePath), { recursive: true });
    await writeAtomic(svgPath, plot.svg);
    await writeAtomic(pngPath, plot.png);
  } catch (cause) {
    throw new PlotError("PLOT_WRITE", `could not write the plot to ${basePath}.{svg,png}`, {
      cause,
    });
  }
  return { svgPath, pngPath, width: plot.width, height: plot.height };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
