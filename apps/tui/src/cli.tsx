/**
 * The `dcor` command: the terminal UI (no arguments), `--demo` on an embedded emulator, and
 * scriptable subcommands with `--json`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseCli, USAGE } from "./cli/args.js";
import { startDemo } from "./cli/demo.js";
import { EXIT, exitCodeOf } from "./cli/exit.js";
import type { Output } from "./cli/output.js";
import {
  defaultDownloadDir,
  PRODUCTION_SERVER,
  resolveSettings,
  type Settings,
  SettingsStore,
  stateDir,
} from "./config/settings.js";
import { describeError } from "./lib/errors.js";
import { Client } from "./services/client.js";

export const VERSION = "0.1.0";

export interface MainOptions {
  argv: readonly string[];
  env?: NodeJS.ProcessEnv;
  out?: Output;
}

/** Run `dcor` and return its exit code (never throws). */
export async function main(opts: MainOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const out: Output = opts.out ?? { stdout: process.stdout, stderr: process.stderr };
  let cleanup: (() => Promise<void>) | undefined;
  try {
    const args = parseCli(opts.argv);
    if (args.help) {
      out.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (args.version) {
      out.stdout.write(`${VERSION}\n`);
      return EXIT.ok;
    }
    let settings: Settings | undefined;
    let store: SettingsStore | undefined;
    let downloadDir = args.dir;
    let queueDir = path.join(stateDir(env), "downloads");
    if (args.demo) {
      const demo = await startDemo();
      settings = demo.settings;
      downloadDir ??= await mkdtemp(path.join(os.tmpdir(), "dcor-demo-downloads-"));
      const demoState = await mkdtemp(path.join(os.tmpdir(), "dcor-demo-state-"));
      queueDir = demoState;
      // The demo's queue is throw-away (its downloads stay in the printed folder).
      cleanup = async () => {
        await demo.close();
        await rm(demoState, { recursive: true, force: true });
      };
    } else {
      store = new SettingsStore({ dir: env.DCOR_CONFIG_DIR });
      const stored = await store.load();
      settings = resolveSettings(stored, { server: args.server, apiKey: args.apiKey, env });
    }
    downloadDir ??= settings?.downloadDir ?? defaultDownloadDir(env);
    if (!args.command) {
      // Each mode loads only what it needs (Ink for the UI, the download manager for commands).
      const { startTui } = await import("./cli/tui.js");
      await startTui({ settings, store, downloadDir, stateDir: queueDir, demo: args.demo });
      return EXIT.ok;
    }
    // Scripts never see the wizard: without settings they get anonymous access to DCOR.
    const effective = settings ?? { scenario: "anonymous" as const, server: PRODUCTION_SERVER };
    const client = new Client({ settings: effective, downloadDir, stateDir: queueDir });
    try {
      const { COMMAND_HANDLERS } = await import("./cli/commands.js");
      return await COMMAND_HANDLERS[args.command]({ args, client, out, downloadDir });
    } finally {
      await client.close();
    }
  } catch (err) {
    const code = exitCodeOf(err);
    out.stderr.write(`dcor: ${describeError(err)}\n`);
    if (code === EXIT.usage) out.stderr.write('Run "dcor --help" for usage.\n');
    return code;
  } finally {
    await cleanup?.().catch(() => {});
  }
}

/** Exit once stdout is flushed: idle keep-alive sockets must not hold the process open. */
export function exitWhenFlushed(code: number): void {
  process.stdout.write("", () => process.exit(code));
}

const isEntry = process.argv[1] && /cli\.(tsx|js)$/.test(process.argv[1]);
if (isEntry) {
  main({ argv: process.argv.slice(2) }).then(exitWhenFlushed, () => exitWhenFlushed(EXIT.failure));
}
