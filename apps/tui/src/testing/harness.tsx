/** Test helpers: a real emulator, a real client on it, and polling assertions. Not shipped. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "@dcor/emulator";
import { render } from "ink-testing-library";
import type { Settings } from "../config/settings.js";
import { Client } from "../services/client.js";
import { App, type AppProps } from "../ui/App.js";
import { makeTheme } from "../ui/theme.js";

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export const KEYS = {
  tab: "\t",
  shiftTab: "\x1b[Z",
  enter: "\r",
  escape: "\x1b",
  up: "\x1b[A",
  down: "\x1b[B",
  left: "\x1b[D",
  right: "\x1b[C",
  backspace: "\x7f",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
} as const;

export async function startTestEmulator(
  opts: Parameters<typeof startEmulator>[0] = {},
): Promise<Emulator> {
  return startEmulator(opts);
}

export function tokenOf(emu: Emulator, name: string): string {
  const user = emu.users.find((u) => u.name === name);
  if (!user) throw new Error(`no user ${name} in the emulator`);
  return user.token;
}

export interface TestClient {
  client: Client;
  dir: string;
  settings: Settings;
  close(): Promise<void>;
}

/** A real client on the emulator, as `user` (or anonymous), with temp download/state folders. */
export async function makeClient(
  emu: Emulator,
  user?: string,
  server?: string,
): Promise<TestClient> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dcor-tui-test-"));
  const settings: Settings = user
    ? { scenario: "custom", server: server ?? emu.url, apiKey: tokenOf(emu, user) }
    : { scenario: "custom", server: server ?? emu.url };
  const client = new Client({
    settings,
    downloadDir: path.join(dir, "downloads"),
    stateDir: path.join(dir, "state"),
    timeout: 20_000,
  });
  return {
    client,
    dir,
    settings,
    async close() {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RenderedApp {
  lastFrame(): string | undefined;
  stdin: { write(data: string): void };
  unmount(): void;
}

/** Render the whole app without colours (frames are plain text). */
export function renderApp(client: Client, props: Partial<AppProps> = {}): RenderedApp {
  return render(<App client={client} theme={makeTheme({ NO_COLOR: "1" })} {...props} />);
}

/** Retry `assertion` until it passes or `timeoutMs` elapses (then rethrow its last error). */
export async function waitFor(
  assertion: () => void | Promise<void>,
  timeoutMs = 15_000,
): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * Send keys the way a person does: after the frame's input hooks have subscribed (Ink draws a
 * frame before React runs its effects) and with time to react.
 */
export async function press(
  app: { stdin: { write(data: string): void } },
  ...keys: string[]
): Promise<void> {
  for (const key of keys) {
    await tick(80);
    app.stdin.write(key);
  }
  await tick(80);
}

/** Let Ink process pending input and effects. */
export function tick(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
