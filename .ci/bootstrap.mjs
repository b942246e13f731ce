#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a fresh clone: needs only Node 20 and npm.
// Installs pnpm (pinned) when absent, installs the workspace, then runs the demo or the checks.
import { execSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PNPM_VERSION = "12.4.2";
const mode = process.argv[2] === "check" ? "check" : "demo";
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
// better-sqlite3 compiles from source where its prebuilt binary can't be fetched (offline
// machines); pnpm does not read npm's `nodedir` setting, so point node-gyp at Node's headers.
if (!env.npm_config_nodedir && existsSync("/usr/include/node/node.h"))
  env.npm_config_nodedir = "/usr";

const pnpmVersion = () => {
  try {
    return execSync("pnpm --version", {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
};
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { env, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (pnpmVersion() !== PNPM_VERSION) run("npm", ["install", "--global", `pnpm@${PNPM_VERSION}`]);
run("pnpm", ["install", ...(mode === "check" || env.CI ? ["--frozen-lockfile"] : [])]);
if (mode === "check") {
  const r = spawnSync("pnpm", ["check"], { env, stdio: "inherit" });
  spawnSync("node", [".ci/test-summary.mjs"], { env, stdio: "inherit" });
  process.exit(r.status ?? 1);
}
run("pnpm", ["demo", ...process.argv.slice(3)]);
