/**
 * `@dcor/examples`: the runnable examples (each also a script) and the small helpers they share.
 * Nothing here is published; import the examples' `main` functions to reuse them in code.
 */
export {
  type KdeScatterOptions,
  type KdeScatterResult,
  main as kdeScatterExample,
} from "./01-kde-scatter.js";
export {
  FLOW_RATES,
  type FlowRatesOptions,
  type FlowRatesResult,
  main as flowRatesExample,
} from "./02-flow-rates.js";
export {
  type DownloadDatasetOptions,
  type DownloadDatasetResult,
  type DownloadProgressLine,
  main as downloadDatasetExample,
} from "./03-download-dataset.js";
export {
  main as searchAndExportExample,
  type SearchAndExportOptions,
  type SearchAndExportResult,
} from "./04-search-and-export.js";
export { type Connection, connect, type Emulator, sharedRtdcDir } from "./connect.js";
export * from "./plot/index.js";
export {
  type CommonOptions,
  DEFAULT_SERVER,
  type ExtraOption,
  isMain,
  type ParseArgsOptions,
  type ParsedArgs,
  parseArgs,
  parseIndex,
  parseNumber,
  parseRange,
  runCli,
  UsageError,
} from "./util.js";
