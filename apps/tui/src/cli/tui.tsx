import { PassThrough } from "node:stream";
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
    { exitOnCtrlC: false, stdin },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    await Promise.allSettled(clients.map((c) => c.close()));
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
