import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The user's cache directory for this package: `$XDG_CACHE_HOME/dcor` (default `~/.cache/dcor`)
 * on Linux and other Unixes, `~/Library/Caches/dcor` on macOS, `%LOCALAPPDATA%\dcor\cache` on
 * Windows. `DCOR_CACHE_DIR` overrides all of them.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DCOR_CACHE_DIR) return env.DCOR_CACHE_DIR;
  if (process.platform === "win32" && env.LOCALAPPDATA)
    return join(env.LOCALAPPDATA, "dcor", "cache");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "dcor");
  const xdg = env.XDG_CACHE_HOME;
  // XDG: a relative path is invalid and must be ignored.
  return join(xdg?.startsWith("/") ? xdg : join(homedir(), ".cache"), "dcor");
}

/** A file-name-safe form of a server origin or user name. */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return cleaned === "" ? "_" : cleaned;
}

/**
 * Where the index of `server` for `userName` (`null` = anonymous) lives:
 * `<cacheDir>/interrogator/<host>/<user>/index.sqlite`.
 */
export function indexPath(cacheDir: string, server: string, userName: string | null): string {
  let host = server;
  try {
    host = new URL(server).host;
  } catch {
    // not a URL: use it as it is
  }
  return join(
    cacheDir,
    "interrogator",
    safeSegment(host),
    safeSegment(userName ?? "anonymous"),
    "index.sqlite",
  );
}
