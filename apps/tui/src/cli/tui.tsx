import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { format } from "node:util";
import { render } from "ink";
import type { Settings, SettingsStore } from "../config/settings.js";
import { Client, verifySettings } from "../services/client.js";
import { ErrorBoundary } from "../ui/ErrorBoundary.js";
import { Root } from "../ui/Root.js";

export interface StartTuiOptions {
  settings?: Settings;
  store?: SettingsStore;
  downloadDir: string;
  stateDir: string;
  demo: boolean;
  servers?: { production: string; playground: string };
}

const ALT_SCREEN_ON = "\x1b[?1049h\x1b[H";
const ALT_SCREEN_OFF = "\x1b[?1049l";

/** Run the terminal UI until the user quits. */
export async function startTui(opts: StartTuiOptions): Promise<void> {
  const stdout = process.stdout;
  const alt = Boolean(stdout.isTTY);
  const restore = () => {
    if (alt) stdout.write(ALT_SCREEN_OFF);
  };
  if (alt) {
    stdout.write(ALT_SCREEN_ON);
    process.once("exit", restore);
  }
  // Console output (e.g. React's report of an error the ErrorBoundary caught) would scribble over
  // the screen: it goes to a log file in the state directory instead.
  const logFile = path.join(opts.stateDir, "..", "dcor-tui.log");
  const original = { error: console.error, warn: console.warn, log: console.log };
  const toLog = (...args: unknown[]) => {
    try {
      mkdirSync(path.dirname(logFile), { recursive: true });
      appendFileSync(logFile, `${new Date().toISOString()} ${format(...args)}\n`, { mode: 0o600 });
    } catch {
      // nowhere to log: drop it rather than break the screen
    }
  };
  console.error = toLog;
  console.warn = toLog;
  console.log = toLog;
  const stdin = process.stdin.isTTY ? process.stdin : pipedStdin(process.stdin);
  // Every client made during the session, to close (and save the download queue) before exit.
  const clients: Client[] = [];
  const createClient = (settings: Settings) => {
    const previous = clients.at(-1);
    const client = new Client({
      settings,
      downloadDir: settings.downloadDir ?? opts.downloadDir,
      stateDir: opts.stateDir,
      // The wizard replaced the settings: the old client hands the queue over once closed.
      after: previous?.close(),
    });
    clients.push(client);
    return client;
  };
  const instance = render(
    <ErrorBoundary>
      <Root
        settings={opts.settings}
        store={opts.store}
        createClient={createClient}
        verify={verifySettings}
        servers={opts.servers}
        demo={opts.demo}
      />
    </ErrorBoundary>,
    { exitOnCtrlC: false, stdin, patchConsole: false },
  );
  // A closed terminal or a kill: leave like a quit (queue saved, screen restored).
  const onSignal = () => instance.unmount();
  process.once("SIGTERM", onSignal);
  process.once("SIGHUP", onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    await Promise.allSettled(clients.map((c) => c.close()));
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    Object.assign(console, original);
    restore();
    process.off("exit", restore);
  }
}

/**
 * Keys from a pipe instead of a terminal (scripted sessions, the startup bench): Ink wants a
 * raw-mode TTY, so hand it a stream that says it is one and feeds it the piped bytes.
 */
function pipedStdin(source: NodeJS.ReadStream): NodeJS.ReadStream {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream & { isTTY: boolean };
  stream.isTTY = true;
  stream.setRawMode = () => stream;
  source.pipe(stream as unknown as NodeJS.WritableStream);
  return stream;
}
