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
