import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs as parseNodeArgs } from "node:util";

/** The production DCOR server, used when neither `--server` nor `--demo` is given. */
export const DEFAULT_SERVER = "dcor.mpl.mpg.de";

/** Options every example understands. */
export interface CommonOptions {
  /** DCOR server (host name or URL). @default "dcor.mpl.mpg.de" */
  server: string;
  /** API token; `--api-key` or the environment variable `DCOR_API_KEY`. @default undefined */
  apiKey?: string;
  /** Run against an embedded emulator instead of `server`. @default false */
  demo: boolean;
  /** Folder for the plots and files an example writes. @default "output" */
  out: string;
}

/** Definition of one example-specific command-line option. */
export interface ExtraOption {
  type: "string" | "boolean";
  /** Shown by `--help`. */
  description: string;
}

/** Result of {@link parseArgs}. */
export interface ParsedArgs extends CommonOptions {
  /** `--help` was given; {@link ParsedArgs.usage} is the text to print. */
  help: boolean;
  /** Values of the example-specific options, by option name. */
  extra: Record<string, string | boolean | undefined>;
  /** Arguments that are not options, in order. */
  positionals: string[];
  /** The usage text (common and extra options). */
  usage: string;
}

/** Bad command-line input: unknown option, missing value, a number that is not one. */
export class UsageError extends Error {
  readonly code = "EXAMPLE_USAGE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Options of {@link parseArgs}. */
export interface ParseArgsOptions {
  /** The arguments after the script name. @default process.argv.slice(2) */
  argv?: string[];
  /** Example-specific options. @default {} */
  extra?: Record<string, ExtraOption>;
  /** Environment to read `DCOR_API_KEY` from. @default process.env */
  env?: Record<string, string | undefined>;
  /** First line of the usage text. @default "usage: tsx <example>.ts [options]" */
  synopsis?: string;
}

const COMMON: Record<string, ExtraOption> = {
  server: { type: "string", description: `DCOR server (default ${DEFAULT_SERVER})` },
  "api-key": { type: "string", description: "API token (default: env DCOR_API_KEY)" },
  demo: { type: "boolean", description: "run against an embedded DCOR emulator" },
  out: { type: "string", description: "output folder (default ./output)" },
  help: { type: "boolean", description: "show this help" },
};

/**
 * Parses the command line shared by all examples: `--server`, `--api-key` (or `DCOR_API_KEY`),
 * `--demo`, `--out DIR`, `--help`, plus the example's own options. Throws {@link UsageError}.
 */
export function parseArgs(options: ParseArgsOptions = {}): ParsedArgs {
  const { argv = process.argv.slice(2), extra = {}, env = process.env } = options;
  const all = { ...extra, ...COMMON };
  const usage = [
    options.synopsis ?? "usage: tsx <example>.ts [options]",
    ...Object.entries(all).map(
      ([name, o]) =>
        `  --${name}${o.type === "string" ? " <value>" : ""}`.padEnd(28) + o.description,
    ),
  ].join("\n");
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(all).map(([name, o]) => [name, { type: o.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message}\n${usage}`, { cause });
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (name: string) => (typeof v[name] === "string" ? (v[name] as string) : undefined);
  const apiKey = str("api-key") ?? (env.DCOR_API_KEY || undefined);
  return {
    server: str("server") ?? DEFAULT_SERVER,
    ...(apiKey ? { apiKey } : {}),
    demo: v.demo === true,
    out: resolve(str("out") ?? "output"),
    help: v.help === true,
    extra: Object.fromEntries(Object.keys(extra).map((name) => [name, v[name]])),
    positionals: parsed.positionals,
    usage,
  };
}

/** Parses a non-negative integer argument, or throws {@link UsageError} naming the argument. */
export function parseIndex(value: string | boolean | undefined, name: string, fallback: number) {
  if (value === undefined || value === false) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses a finite number argument, or throws {@link UsageError} naming the argument. */
export function parseNumber(value: string | boolean | undefined, name: string): number | undefined {
  if (value === undefined || value === false) return undefined;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) {
    throw new UsageError(`${name} must be a number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses `MIN,MAX` into a range, or throws {@link UsageError} naming the argument. */
export function parseRange(
  value: string | boolean | undefined,
  name: string,
): [number, number] | undefined {
  if (value === undefined || value === false) return undefined;
  const parts = typeof value === "string" ? value.split(",") : [];
  const [min, max] = parts.map((p) => parseNumber(p, name));
  if (parts.length !== 2 || min === undefined || max === undefined || !(min < max)) {
    throw new UsageError(`${name} must be MIN,MAX with MIN < MAX, got ${JSON.stringify(value)}`);
  }
  return [min, max];
}

/** True when the module with this `import.meta.url` is the script Node was started with. */
export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(importMetaUrl)) === realpathSync(script);
  } catch {
    return false;
  }
}

/**
 * Runs an example's command-line entry: prints the error message (never a stack with a token)
 * and sets the exit code to 2 for usage errors, 1 for everything else.
 */
export async function runCli(run: () => Promise<void>): Promise<void> {
  // `… | head` closes the pipe early: stop quietly instead of crashing with EPIPE.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  try {
    await run();
  } catch (error) {
    const e = error as { message?: string; code?: string };
    console.error(`error${e.code ? ` [${e.code}]` : ""}: ${e.message ?? String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
