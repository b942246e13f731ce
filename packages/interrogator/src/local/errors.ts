import { InterrogatorError } from "../errors.js";

/**
 * The optional peer dependency `better-sqlite3` is not installed (or failed to load), so the local
 * index cannot be used. Online search (`@dcor/interrogator`) does not need it.
 */
export class SqliteUnavailableError extends InterrogatorError {
  constructor(cause: unknown) {
    super(
      "DCOR_SQLITE_UNAVAILABLE",
      "The local index needs the optional dependency better-sqlite3 (^12): " +
        "install it with `npm install better-sqlite3`" +
        (cause instanceof Error ? ` (loading it failed: ${cause.message})` : ""),
      { cause },
    );
  }
}

/** The local index database cannot be opened or used (unreadable file, wrong owner, …). */
export class LocalIndexError extends InterrogatorError {
  /** The database file concerned. */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super("DCOR_LOCAL_INDEX", `${message} (${path})`, options);
    this.path = path;
  }
}
