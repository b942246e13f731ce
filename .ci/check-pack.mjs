#!/usr/bin/env node
// Packs the package in the current directory the way it would be published and checks the
// tarball with publint (strict) and arethetypeswrong. Run from a package directory after build.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const out = mkdtempSync(join(tmpdir(), "dcor-pack-"));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
try {
  run("pnpm", ["pack", "--pack-destination", out]);
  const tarball = join(
    out,
    readdirSync(out).find((f) => f.endsWith(".tgz")),
  );
  run("publint", ["run", tarball, "--strict"]);
  const esmOnly = !pkg.publishConfig?.exports?.["."]?.require;
  run("attw", [tarball, "--format", "table-flipped", "--profile", esmOnly ? "esm-only" : "node16"]);
} finally {
  rmSync(out, { recursive: true, force: true });
}
