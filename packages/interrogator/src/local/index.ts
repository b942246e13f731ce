/**
 * `@dcor/interrogator/local`: an offline, full-text searchable index of DCOR datasets in SQLite.
 * Needs the optional peer dependency better-sqlite3, loaded only when an index is opened.
 *
 * @packageDocumentation
 */
export type {
  CachedInterrogatorOptions,
  UpdateOptions,
  UpdateProgress,
  UpdateResult,
} from "./cached.js";
export { CachedInterrogator, parseCkanTime } from "./cached.js";
export { LocalIndexError, SqliteUnavailableError } from "./errors.js";
export { ftsWords, type PrefixMode, toFtsQuery } from "./fts.js";
export { defaultCacheDir, indexPath } from "./paths.js";
export type { CircleState, LocalSearchOptions, LocalSearchResult, LocalSort } from "./store.js";
