import type BetterSqlite3 from "better-sqlite3";
import { SqliteUnavailableError } from "./errors.js";

/** The constructor exported by better-sqlite3. */
export type SqliteConstructor = typeof BetterSqlite3;
/** An open better-sqlite3 database. */
export type SqliteDatabase = BetterSqlite3.Database;

const cache = new Map<string, Promise<SqliteConstructor>>();

/**
 * Loads better-sqlite3 on first use, so that importing this package never needs the native module
 * unless the local index is actually opened. Rejects with {@link SqliteUnavailableError}.
 */
export function loadSqlite(moduleName = "better-sqlite3"): Promise<SqliteConstructor> {
  let loading = cache.get(moduleName);
  if (!loading) {
    loading = import(moduleName).then(
      (mod: { default?: SqliteConstructor } & SqliteConstructor) => {
        const ctor = mod.default ?? mod;
        if (typeof ctor !== "function")
          throw new SqliteUnavailableError(new Error("no constructor"));
        return ctor;
      },
      (error: unknown) => {
        cache.delete(moduleName);
        throw new SqliteUnavailableError(error);
      },
    );
    cache.set(moduleName, loading);
  }
  return loading;
}

/** A prepared statement taking positional parameters. */
export type SqliteStatement = BetterSqlite3.Statement<unknown[], unknown>;
