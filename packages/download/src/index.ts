export { EtagHasher, etagFile, GIB, isS3Etag, normalizeEtag, sha256File } from "./checksum.js";
export type { DcorAddOptions, DcorApiLike } from "./dcor.js";
export {
  addCircle,
  addCollection,
  addDataset,
  addResource,
  condensedFileName,
  isDCResource,
} from "./dcor.js";
export type { DownloadErrorCode, ErrorReason } from "./errors.js";
export {
  CancelledError,
  ChecksumMismatchError,
  DestinationExistsError,
  DiskError,
  DownloadError,
  HTTPStatusError,
  InvalidDestinationError,
  InvalidInputError,
  NetworkError,
  NotDCResourceError,
  RedirectError,
  redactUrl,
  SizeMismatchError,
  StallError,
  StateFileError,
  TimeoutError,
} from "./errors.js";
export { DownloadJob } from "./job.js";
export type { AddOptions, DownloadManagerEvents, ManagerSummary } from "./manager.js";
export { DownloadManager } from "./manager.js";
export type { DownloadManagerOptions, RetryOptions } from "./options.js";
export { safeJoin, sanitizeFileName } from "./sanitize.js";
export type {
  DownloadJobEvents,
  DownloadProgress,
  DownloadResult,
  FreeSpaceProbe,
  HeadersFor,
  JobState,
  RestartInfo,
  RetryInfo,
  StateChange,
  VerifiedBy,
} from "./types.js";
export { statfsFreeSpace } from "./util.js";
