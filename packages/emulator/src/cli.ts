#!/usr/bin/env node
/**
 * `dcor-emulator [--port N] [--host H] [--data DIR] [--user NAME:TOKEN]... [--synthetic N]`
 * Runs a local DCOR until Ctrl-C / SIGTERM. The first line of stdout is the base URL.
 */
import { parseArgs } from "node:util";
import { type EmulatorOptions, startEmulator } from "./emulator.js";
import { SAMPLE_USERS } from "./sample-catalog.js";

const HELP = `Usage: dcor-emulator [options]

  --port N            CKAN site port (default: random)
  --object-port N     object store port (default: random)
  --host H            interface to listen on (default: 127.0.0.1)
  --data DIR          also serve every .rtdc file below DIR
  --user NAME:TOKEN   add a user with this API token (repeatable)
  --sysadmin NAME     make this user a sysadmin (repeatable)
  --synthetic N       also generate N synthetic datasets
  --no-sample         do not serve the built-in sample catalog
  --seed N            seed of the generated catalog (default: 42)
  --help              show this help
`;

function fail(message: string): never {
  process.stderr.write(`dcor-emulator: ${message}\n\n${HELP}`);
  process.exit(2);
}

function toInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`--${name} needs a non-negative integer, got "${value}"`);
  return Number(value);
}

let parsed: ReturnType<typeof parseArgs>;
try {
  parsed = parseArgs({
    options: {
      port: { type: "string" },
      "object-port": { type: "string" },
      host: { type: "string" },
      data: { type: "string" },
      user: { type: "string", multiple: true },
      sysadmin: { type: "string", multiple: true },
      synthetic: { type: "string" },
      "no-sample": { type: "boolean" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (err) {
  fail((err as Error).message);
}
const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
if (v.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const sysadmins = new Set((v.sysadmin as string[] | undefined) ?? []);
const users = ((v.user as string[] | undefined) ?? []).map((spec) => {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1)
    fail(`--user needs NAME:TOKEN, got "${spec.slice(0, Math.max(0, i)) || spec.split(":")[0]}:…"`);
  return {
    name: spec.slice(0, i),
    token: spec.slice(i + 1),
    sysadmin: sysadmins.has(spec.slice(0, i)),
  };
});
const options: EmulatorOptions = {
  host: v.host as string | undefined,
  port: toInt("port", v.port as string | undefined),
  objectStorePort: toInt("object-port", v["object-port"] as string | undefined),
  dataDir: v.data as string | undefined,
  synthetic: toInt("synthetic", v.synthetic as string | undefined),
  seed: toInt("seed", v.seed as string | undefined),
  sample: !v["no-sample"],
  users,
};

const emu = await startEmulator(options).catch((err: unknown) => fail((err as Error).message));
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void emu.close().finally(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

process.stdout.write(`${emu.url}\n`);
const datasets = emu.catalog.datasets;
const lines = [
  `DCOR emulator running: API ${emu.apiUrl}  object store ${emu.objectStoreUrl}`,
  `${datasets.length} datasets (${datasets.filter((d) => d.private).length} private, ${datasets.filter((d) => d.state === "draft").length} drafts), circles: ${emu.catalog.circles.map((c) => c.name).join(", ")}`,
  `collections: ${emu.catalog.collections.map((c) => c.name).join(", ")}`,
  "users (name  token):",
  // Only the public sample tokens are printed; tokens given with --user never appear in output.
  ...emu.users.map((u) => {
    const isSample = SAMPLE_USERS.some((s) => s.name === u.name && s.token === u.token);
    return `  ${u.name.padEnd(8)} ${isSample ? u.token : "(token from --user)"}${u.sysadmin ? "  (sysadmin)" : ""}`;
  }),
  "Press Ctrl-C to stop.",
];
process.stdout.write(`${lines.join("\n")}\n`);
