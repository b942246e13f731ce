/** Locating the team's shared test data (`shared/data`). */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Absolute path of the shared data folder (`shared/data` beside the project root), or
 * `undefined` when it is absent. The environment variable `DCOR_SHARED_DATA` wins if set
 * (an empty or missing folder there also gives `undefined`).
 */
export function sharedDataDir(): string | undefined {
  const env = process.env.DCOR_SHARED_DATA;
  if (env !== undefined && env !== "") return isDir(env) ? path.resolve(env) : undefined;
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const candidate = path.join(dir, "shared", "data");
      if (isDir(candidate) && existsSync(path.join(candidate, "rtdc"))) return candidate;
      const sibling = path.join(dir, "..", "shared", "data");
      if (isDir(sibling) && existsSync(path.join(sibling, "rtdc"))) return path.resolve(sibling);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}
