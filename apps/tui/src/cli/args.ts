import { parseArgs } from "node:util";
import { UsageError } from "./exit.js";

export const COMMANDS = ["search", "show", "info", "download", "circles", "collections"] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  /** Undefined: start the terminal UI. */
  command?: Command;
  positionals: string[];
  server?: string;
  apiKey?: string;
  demo: boolean;
  json: boolean;
  circles: string[];
  collections: string[];
  limit?: number;
  condensed: boolean;
  dir?: string;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage:
  dcor [--demo] [--server URL] [--api-key TOKEN] [--dir D]   start the terminal UI
  dcor search [QUERY] [--circle C]... [--collection C]... [--limit N] [--json]
  dcor show DATASET [--json]                  metadata and resources of a dataset (id or name)
  dcor info RESOURCE [--json]                 metadata and features of a resource (id)
  dcor download RESOURCE|DATASET [--condensed] [--dir D] [--json]
  dcor circles [--json]                       list circles (CKAN organizations)
  dcor collections [--json]                   list collections (CKAN groups)

Options:
  --server URL      DCOR server (default: from the settings, else dcor.mpl.mpg.de)
  --api-key TOKEN   API token (default: $DCOR_API_KEY, else from the settings)
  --demo            use an embedded emulator with sample data (no network, logged in as alice)
  --json            machine-readable output
  --dir D           download folder
  -h, --help        this help
  --version         print the version

Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 auth, 5 network.`;

/** Parse `dcor`'s command line (strict: unknown options are usage errors). */
export function parseCli(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      server: { type: "string" },
      "api-key": { type: "string" },
      demo: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      circle: { type: "string", multiple: true },
      collection: { type: "string", multiple: true },
      limit: { type: "string" },
      condensed: { type: "boolean", default: false },
      dir: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
  });
  const [first, ...rest] = positionals;
  let command: Command | undefined;
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first))
      throw new UsageError(`unknown command "${first}"`);
    command = first as Command;
  }
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new UsageError(`--limit must be a whole number >= 0, got "${values.limit}"`);
  }
  const args: CliArgs = {
    command,
    positionals: rest,
    server: values.server,
    apiKey: values["api-key"],
    demo: values.demo ?? false,
    json: values.json ?? false,
    circles: values.circle ?? [],
    collections: values.collection ?? [],
    limit,
    condensed: values.condensed ?? false,
    dir: values.dir,
    help: values.help ?? false,
    version: values.version ?? false,
  };
  if (args.help || args.version) return args;
  const needsOne: Command[] = ["show", "info", "download"];
  if (command && needsOne.includes(command) && rest.length !== 1) {
    throw new UsageError(
      `"dcor ${command}" needs exactly one ${command === "show" ? "dataset" : command === "info" ? "resource" : "resource or dataset"}`,
    );
  }
  if ((command === "circles" || command === "collections") && rest.length > 0) {
    throw new UsageError(`"dcor ${command}" takes no arguments`);
  }
  if (args.demo && args.server) throw new UsageError("--demo and --server cannot be combined");
  return args;
}
