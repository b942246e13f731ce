export { type Bar, type BarChartOptions, barChartSpec } from "./bar.js";
export { countSvgMarks, pngSize } from "./png.js";
export {
  PlotError,
  type RenderedPlot,
  type RenderOptions,
  renderPlot,
  renderSvg,
  type SavedPlot,
  savePlot,
  svgToPng,
} from "./render.js";
export {
  type DensityScatterOptions,
  densityScatterSpec,
  KDE_COLORBAR_TITLE,
  type ScatterPoint,
  type ThinnedScatter,
  type ThinScatterOptions,
  thinScatter,
} from "./scatter.js";
