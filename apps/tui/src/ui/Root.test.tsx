import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { render } from "ink-testing-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Settings, SettingsStore } from "../config/settings.js";
import { Client, verifySettings } from "../services/client.js";
import { type Emulator, KEYS, press, startTestEmulator, waitFor } from "../testing/harness.js";
import { Root } from "./Root.js";
import { makeTheme } from "./theme.js";

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  dir = await mkdtemp(path.join(os.tmpdir(), "dcor-root-test-"));
});
afterAll(async () => {
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("Root", () => {
  it("runs the wizard on first start, saves the settings (0600) and starts the app; S reopens it", async () => {
    const store = new SettingsStore({ dir: path.join(dir, "config") });
    const createClient = (settings: Settings) =>
      new Client({
        settings,
        downloadDir: path.join(dir, "dl"),
        stateDir: path.join(dir, "state"),
      });
    const app = render(
      <Root
        store={store}
        createClient={createClient}
        verify={verifySettings}
        servers={{ production: emu.url, playground: emu.url }}
        theme={makeTheme({ NO_COLOR: "1" })}
      />,
    );
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("How do you want to use DCOR?"));
      await press(app, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Server reachable"));
      await press(app, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Find Data"));
      await waitFor(() => expect(app.lastFrame()).toContain("anonymous"));
      await waitFor(async () =>
        expect(await store.load()).toEqual({ scenario: "anonymous", server: emu.url }),
      );
      expect((await stat(store.file)).mode & 0o777).toBe(0o600);
      await press(app, "S");
      await waitFor(() => expect(app.lastFrame()).toContain("How do you want to use DCOR?"));
      await press(app, KEYS.escape); // back to the app, settings unchanged
      await waitFor(() => expect(app.lastFrame()).toContain("Find Data"));
    } finally {
      app.unmount();
    }
  });
});
