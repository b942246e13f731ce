#!/usr/bin/env node
// Launcher for the `dcor` command. The app is not built: run src/cli.tsx through tsx, with the
// "@dcor/source" export condition so sibling packages resolve to their sources.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli.tsx", import.meta.url));
// An absolute URL, so tsx is found from wherever `dcor` is run.
const tsx = import.meta.resolve("tsx");

const child = spawn(
  process.execPath,
  ["--conditions=@dcor/source", "--import", tsx, cli, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
// The terminal sends Ctrl-C to the whole process group; the child handles it, we just wait.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (signal !== "SIGINT") child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 128 + 1 : 1);
});
child.on("error", (err) => {
  process.stderr.write(`dcor: cannot start: ${err.message}\n`);
  process.exitCode = 1;
});
