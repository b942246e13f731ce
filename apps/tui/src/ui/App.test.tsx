import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type Emulator,
  KEYS,
  makeClient,
  press,
  renderApp,
  startTestEmulator,
  waitFor,
} from "../testing/harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
});

describe("App", () => {
  it("switches tabs with Tab/Shift-Tab, shows the help overlay and quits with q", async () => {
    const c = await makeClient(emu);
    const onQuit = vi.fn();
    const app = renderApp(c.client, { onQuit });
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("● ok"));
      expect(app.lastFrame()).toContain("anonymous");
      await press(app, KEYS.tab);
      await waitFor(() => expect(app.lastFrame()).toContain("No downloads yet"));
      await press(app, KEYS.shiftTab);
      await waitFor(() => expect(app.lastFrame()).toContain("Search:"));
      await press(app, "?");
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toContain("Keys (Esc or ? to close)");
        expect(frame).toContain("Shift-Tab");
        expect(frame).toContain("Filter by circles");
      });
      await press(app, "q"); // q is global but the help overlay has the keys: nothing happens
      expect(onQuit).not.toHaveBeenCalled();
      await press(app, KEYS.escape);
      await waitFor(() => expect(app.lastFrame()).not.toContain("Keys (Esc"));
      await press(app, "q");
      await waitFor(() => expect(onQuit).toHaveBeenCalled());
    } finally {
      app.unmount();
      await c.close();
    }
  });

  it("does not quit on q while typing in the search box", async () => {
    const c = await makeClient(emu);
    const onQuit = vi.fn();
    const app = renderApp(c.client, { onQuit });
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("Search:"));
      await press(app, "/");
      await press(app, "q");
      await waitFor(() => expect(app.lastFrame()).toContain("Search: q"));
      expect(onQuit).not.toHaveBeenCalled();
      await press(app, KEYS.backspace);
      await waitFor(() => expect(app.lastFrame()).not.toContain("Search: q"));
    } finally {
      app.unmount();
      await c.close();
    }
  });

  it("adapts to the terminal width", async () => {
    const c = await makeClient(emu);
    const app = renderApp(c.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("datasets"));
      // ink-testing-library's stdout is 100 columns wide
      for (const line of (app.lastFrame() ?? "").split("\n"))
        expect(Array.from(line).length).toBeLessThanOrEqual(100);
    } finally {
      app.unmount();
      await c.close();
    }
  });
});
