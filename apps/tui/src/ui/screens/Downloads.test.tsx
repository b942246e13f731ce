import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  KEYS,
  makeClient,
  press,
  renderApp,
  startTestEmulator,
  tick,
  waitFor,
} from "../../testing/harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
});

async function openFirstDataset(app: ReturnType<typeof renderApp>, title: string) {
  await waitFor(() => expect(app.lastFrame()).toContain(title));
  const rows = (app.lastFrame() ?? "")
    .split("\n")
    .filter((l) => /\d{4}-\d{2}-\d{2}/.test(l) && !/Created/.test(l));
  const index = rows.findIndex((l) => l.includes(title));
  for (let i = 0; i < index; i++) {
    await press(app, "j");
    await tick(5);
  }
  await press(app, KEYS.enter);
  await waitFor(() => expect(app.lastFrame()).toContain("Resource"));
}

describe("Downloads", () => {
  it("queues a resource from the dataset view and shows it finishing", async () => {
    const c = await makeClient(emu);
    const app = renderApp(c.client);
    try {
      await openFirstDataset(app, "Whole blood measured at three flow rates");
      await press(app, "d");
      await waitFor(() => expect(app.lastFrame()).toContain("Queued"));
      await press(app, KEYS.tab);
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toContain("1 downloads, 1 done");
        expect(frame).toMatch(/blood_0\.06\.rtdc\s+done/);
      }, 20_000);
      const dir = path.join(c.dir, "downloads", "figshare-11302595-v1");
      const files = await readdir(dir);
      expect(files).toContain("blood_0.06.rtdc");
      expect((await stat(path.join(dir, "blood_0.06.rtdc"))).size).toBeGreaterThan(0);
    } finally {
      app.unmount();
      await c.close();
    }
  });

  it("pauses, resumes and survives a restart of the app", async () => {
    const c = await makeClient(emu);
    // slow object store so the transfer is still running when we press keys
    const rule = emu.faults.add({ route: "object", bytesPerSecond: 20_000 });
    const app = renderApp(c.client);
    try {
      await openFirstDataset(app, "Whole blood measured at three flow rates");
      await press(app, "a");
      await waitFor(() => expect(app.lastFrame()).toContain("Queued 3 files"));
      await press(app, KEYS.tab);
      await waitFor(() => expect(app.lastFrame()).toMatch(/loading|queued/));
      await press(app, "p");
      await waitFor(() => expect(app.lastFrame()).toContain("paused"));
      app.unmount();
      await c.client.close();
      // a new client on the same state directory: the queue comes back
      const { Client } = await import("../../services/client.js");
      const again = new Client({
        settings: c.settings,
        downloadDir: path.join(c.dir, "downloads"),
        stateDir: path.join(c.dir, "state"),
      });
      emu.faults.remove(rule);
      const app2 = renderApp(again, { initialTab: "downloads" });
      try {
        await waitFor(() => expect(app2.lastFrame()).toContain("3 downloads"));
        await waitFor(() => expect(app2.lastFrame()).toContain("paused"));
        await press(app2, "p");
        await waitFor(() => expect(app2.lastFrame()).toContain("3 downloads, 3 done"), 90_000);
      } finally {
        app2.unmount();
        await again.close();
      }
    } finally {
      emu.faults.remove(rule);
      await c.close();
    }
  });

  it("cancels and retries a download", async () => {
    const c = await makeClient(emu);
    const rule = emu.faults.add({ route: "object", bytesPerSecond: 10_000 });
    const app = renderApp(c.client);
    try {
      await openFirstDataset(app, "Whole blood measured at three flow rates");
      await press(app, "d");
      await waitFor(() => expect(app.lastFrame()).toContain("Queued"));
      await press(app, KEYS.tab);
      await waitFor(() => expect(app.lastFrame()).toMatch(/blood_0\.06\.rtdc\s+(loading|queued)/));
      await press(app, "x");
      await waitFor(() => expect(app.lastFrame()).toMatch(/blood_0\.06\.rtdc\s+cancelled/));
      emu.faults.remove(rule);
      await press(app, "r");
      await waitFor(() => expect(app.lastFrame()).toContain("1 downloads, 1 done"), 60_000);
    } finally {
      emu.faults.remove(rule);
      app.unmount();
      await c.close();
    }
  });
});
