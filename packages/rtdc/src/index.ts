/**
 * `@dcor/rtdc`: read and write RT-DC (HDF5) deformability-cytometry data from local files,
 * HTTP(S) URLs and DCOR resources, with dclab-exact KDE and filters.
 *
 * @packageDocumentation
 */
export { ANCILLARY_FEATURE_NAMES, type FeatureArray } from "./ancillary.js";
export { type BasinDefinition, basinLines, measurementIdentifier } from "./basins.js";
export {
  CONFIG_ANALYSIS,
  CONFIG_METADATA,
  type ConfigSection,
  type ConfigValue,
  type ConfigValueKind,
  type RtdcConfig,
} from "./config.js";
export {
  type BasinInfo,
  type DatasetKdeContourOptions,
  type DatasetKdeScatterOptions,
  type DcorApiLike,
  type ExportOptions,
  type OpenDatasetOptions,
  openDataset,
  type RtdcContour,
  RtdcDataset,
  type RtdcEventBlock,
  type RtdcImage,
} from "./dataset.js";
export { dcorResourceId } from "./dcor.js";
export {
  RtdcBasinError,
  RtdcClosedError,
  RtdcError,
  type RtdcErrorContext,
  RtdcFeatureUnavailableError,
  RtdcFilterUnavailableError,
  RtdcFormatError,
  RtdcRemoteChangedError,
  RtdcRemoteError,
  RtdcTimeoutError,
  RtdcWriteError,
} from "./errors.js";
export {
  type FeatureExistsOptions,
  type FeatureLabelOptions,
  featureExists,
  getFeatureLabel,
  isScalarFeature,
  listFeatures,
  MONOTONOUS_FEATURES,
  TRACE_NAMES,
  UnknownFeatureError,
} from "./features.js";
export * from "./filter/index.js";
export type { TableResult as RtdcTable } from "./hdf5/protocol.js";
export * from "./kde/index.js";
export {
  type WriteBasin,
  type WriteFeature,
  type WriteImageStack,
  type WriteOptions,
  type WriteRtdcData,
  writeRtdc,
} from "./writer.js";
