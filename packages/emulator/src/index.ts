/**
 * `@dcor/emulator`: a local DCOR-compatible server (CKAN 2.11 + DCOR extensions + an S3-like
 * object store) for tests, demos and offline work.
 */
export {
  type CkanDict,
  type DatasetDict,
  type Emulator,
  type EmulatorCatalog,
  EmulatorError,
  type EmulatorFaults,
  type EmulatorOptions,
  type EmulatorUser,
  startEmulator,
} from "./emulator.js";
export { type FaultRule, FaultRuleError } from "./faults.js";
export { type EmulatorUserSpec, SAMPLE_USERS } from "./sample-catalog.js";
export { sharedDataDir } from "./shared-data.js";
export type { RequestLogEntry, RouteName, StatsSnapshot } from "./stats.js";
