import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  makeClient,
  renderApp,
  startTestEmulator,
  waitFor,
} from "../../testing/harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
});

describe("status line", () => {
  it("shows the logged-in user", async () => {
    const c = await makeClient(emu, "alice");
    const app = renderApp(c.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("Alice Liddell (alice)"));
      expect(app.lastFrame()).toContain("● ok");
      expect(app.lastFrame()).not.toContain(c.settings.apiKey);
    } finally {
      app.unmount();
      await c.close();
    }
  });

  it("says when the token is wrong", async () => {
    const c = await makeClient(emu);
    const { Client } = await import("../../services/client.js");
    const bad = new Client({
      settings: { scenario: "custom", server: emu.url, apiKey: "not-a-valid-token-0123456789" },
      downloadDir: c.dir,
      stateDir: c.dir,
    });
    const app = renderApp(bad);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("API token incorrect"));
      expect(app.lastFrame()).not.toContain("not-a-valid-token");
    } finally {
      app.unmount();
      await bad.close();
      await c.close();
    }
  });

  it("shows maintenance, and recovers on the background refresh", async () => {
    const rule = emu.faults.add({ route: "all", maintenance: true });
    const c = await makeClient(emu);
    const app = renderApp(c.client, { connectionRefreshMs: 300 });
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("under maintenance"), 60_000);
      emu.faults.remove(rule);
      await waitFor(() => expect(app.lastFrame()).toContain("● ok"), 60_000);
    } finally {
      emu.faults.remove(rule);
      app.unmount();
      await c.close();
    }
  });

  it("shows no connection for a server that is down", async () => {
    const other = await startTestEmulator();
    const url = other.url;
    await other.close();
    const c = await makeClient(emu, undefined, url);
    const app = renderApp(c.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("no connection"), 60_000);
    } finally {
      app.unmount();
      await c.close();
    }
  });
});
