import { RtdcError } from "./errors.js";
import {
  MONOTONOUS_FEATURES,
  NON_SCALAR_FEATURE_LABELS,
  SCALAR_FEATURE_LABELS,
  TRACE_NAMES,
} from "./feature-table.js";

export { MONOTONOUS_FEATURES, TRACE_NAMES };

const ML_SCORE = /^ml_score_[a-z0-9]{3}$/;
const USERDEF = /^userdef[0-9]$/;
const BASINMAP = /^basinmap[0-9]$/;

/** Options of {@link getFeatureLabel}. */
export interface FeatureLabelOptions {
  /**
   * Keep a trailing unit in square brackets (`"Area [µm²]"`); `false` strips it (`"Area"`).
   * @default true
   */
  withUnit?: boolean;
}

/** Options of {@link featureExists}. */
export interface FeatureExistsOptions {
  /**
   * Only accept scalar features (one number per event).
   * @default false
   */
  scalarOnly?: boolean;
}

/** Thrown by {@link getFeatureLabel} for a name that is not an RT-DC feature (code `RTDC_UNKNOWN_FEATURE`). */
export class UnknownFeatureError extends RtdcError {
  /** The name that was asked for. */
  readonly feature: string;
  constructor(feature: string) {
    super("RTDC_UNKNOWN_FEATURE", `"${feature}" is not an RT-DC feature`, {
      feature,
      action: "label",
    });
    this.name = "UnknownFeatureError";
    this.feature = feature;
  }
}

/** True for the scalar feature names: the table, `ml_score_xxx`, `userdef0-9` and `basinmap0-9`. */
export function isScalarFeature(name: string): boolean {
  return (
    Object.hasOwn(SCALAR_FEATURE_LABELS, name) ||
    ML_SCORE.test(name) ||
    USERDEF.test(name) ||
    BASINMAP.test(name)
  );
}

/**
 * True if `name` is a valid RT-DC feature name (scalar or not), including the patterns
 * `ml_score_[a-z0-9]{3}`, `userdef[0-9]` and `basinmap[0-9]`.
 */
export function featureExists(name: string, options: FeatureExistsOptions = {}): boolean {
  if (isScalarFeature(name)) return true;
  return !options.scalarOnly && Object.hasOwn(NON_SCALAR_FEATURE_LABELS, name);
}

/**
 * The human-readable label of a feature, e.g. `"Area [µm²]"` for `area_um` or `"ML score ABC"`
 * for `ml_score_abc`.
 * @throws {@link UnknownFeatureError} if the name is not a feature.
 */
export function getFeatureLabel(name: string, options: FeatureLabelOptions = {}): string {
  let label: string | undefined;
  if (Object.hasOwn(SCALAR_FEATURE_LABELS, name)) label = SCALAR_FEATURE_LABELS[name];
  else if (Object.hasOwn(NON_SCALAR_FEATURE_LABELS, name)) label = NON_SCALAR_FEATURE_LABELS[name];
  else if (ML_SCORE.test(name)) label = `ML score ${name.slice(-3).toUpperCase()}`;
  else if (USERDEF.test(name)) label = `User-defined ${name.slice(-1)}`;
  else if (BASINMAP.test(name)) label = `Basin mapping ${name.slice(-1)}`;
  if (label === undefined) throw new UnknownFeatureError(name);
  if (options.withUnit === false && label.endsWith("]") && label.includes("[")) {
    label = label.slice(0, label.lastIndexOf("[")).trim();
  }
  return label;
}

/** All feature names of the table (without the pattern families), scalar ones first. */
export function listFeatures(options: FeatureExistsOptions = {}): string[] {
  const names = Object.keys(SCALAR_FEATURE_LABELS);
  for (let i = 0; i < 10; i++) names.push(`userdef${i}`);
  for (let i = 0; i < 10; i++) names.push(`basinmap${i}`);
  if (!options.scalarOnly) names.push(...Object.keys(NON_SCALAR_FEATURE_LABELS));
  return names;
}
