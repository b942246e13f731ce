import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  KEYS,
  makeClient,
  press,
  renderApp,
  startTestEmulator,
  type TestClient,
  waitFor,
} from "../../testing/harness.js";

let emu: Emulator;
let anon: TestClient;
beforeAll(async () => {
  emu = await startTestEmulator();
  anon = await makeClient(emu);
});
afterAll(async () => {
  await anon?.close();
  await emu?.close();
});

describe("Find Data", () => {
  it("lists the latest datasets, searches as you type and opens a dataset", async () => {
    const clipboard = { text: "" };
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    terminal.on("data", (c: Buffer) => {
      clipboard.text += c.toString("utf8");
    });
    const app = renderApp(anon.client, { clipboardOut: terminal as unknown as NodeJS.WriteStream });
    try {
      await waitFor(() =>
        expect(app.lastFrame()).toContain("Whole blood measured at three flow rates"),
      );
      expect(app.lastFrame()).toContain("Find Data");
      expect(app.lastFrame()).toMatch(/\d+ datasets/);
      await press(app, "/");
      for (const ch of "HL60") {
        await press(app, ch);
      }
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toContain("Search: HL60");
        expect(frame).toContain("Reference data set: HL60 cells");
        expect(frame).not.toContain("Whole blood measured");
      });
      await press(app, KEYS.enter); // leave the text field
      // find the reference data set row and open it
      const lines = (app.lastFrame() ?? "").split("\n");
      const rows = lines.filter((l) => /HL60/.test(l) && !/Search:/.test(l));
      const index = rows.findIndex((l) => l.includes("Reference data set"));
      for (let i = 0; i < index; i++) {
        await press(app, "j");
      }
      await press(app, KEYS.enter);
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toContain("figshare-7771184-v2");
        expect(frame).toContain("M001_data.rtdc");
        expect(frame).toContain("Events");
      });
      // copy the resource id and the dcserv URL via OSC 52 (to a stand-in terminal)
      await press(app, "y");
      await waitFor(() => expect(app.lastFrame()).toContain("Copied resource id to the clipboard"));
      const ds = await anon.client.dataset("figshare-7771184-v2");
      const rid = ds.resources?.[0]?.id ?? "";
      expect(clipboard.text).toContain(`]52;c;${Buffer.from(rid).toString("base64")}`);
      await press(app, "u");
      await waitFor(() =>
        expect(clipboard.text).toContain(
          Buffer.from(anon.client.dcservUrl(rid)).toString("base64"),
        ),
      );
      await press(app, "w");
      await waitFor(() =>
        expect(app.lastFrame()).toContain(`Web page: ${emu.url}/dataset/figshare-7771184-v2`),
      );
      await press(app, KEYS.escape);
      await waitFor(() => expect(app.lastFrame()).toContain("Search: HL60"));
    } finally {
      app.unmount();
    }
  });

  it("filters by circle with the picker", async () => {
    const app = renderApp(anon.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("datasets"));
      await press(app, "c");
      await waitFor(() => expect(app.lastFrame()).toContain("Figshare import"));
      const items = (app.lastFrame() ?? "").split("\n").filter((l) => l.includes("[ ]"));
      const index = items.findIndex((l) => l.includes("Figshare import"));
      for (let i = 0; i < index; i++) {
        await press(app, "j");
      }
      await press(app, " ");
      await waitFor(() => expect(app.lastFrame()).toContain("[x] Figshare import"));
      await press(app, KEYS.enter);
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toContain("circles: figshare-import");
        expect(frame).toContain("Calibration beads with fluorescence");
        expect(frame).not.toContain("Red blood cells: flow rate series");
      });
      await press(app, "x");
      await waitFor(() => expect(app.lastFrame()).toContain("Red blood cells: flow rate series"));
    } finally {
      app.unmount();
    }
  });

  it("shows search errors in place", async () => {
    const rule = emu.faults.add({ route: "api", action: "package_search", status: 500 });
    const app = renderApp(anon.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toMatch(/Error: /), 60_000);
      expect(app.lastFrame()).not.toMatch(/\n\s+at /);
    } finally {
      emu.faults.remove(rule);
      app.unmount();
    }
  });
});

describe("Find Data with a large catalog", () => {
  it("fetches the next page when scrolling past the end", { timeout: 180_000 }, async () => {
    const big = await startTestEmulator({ synthetic: 150 });
    const c = await makeClient(big);
    const app = renderApp(c.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toMatch(/\d+ datasets \(showing 100\)/), 60_000);
      for (let i = 0; i < 10; i++) await press(app, KEYS.pageDown);
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).not.toContain("(showing 100)");
        expect(frame).toMatch(/\d+ datasets/);
      }, 60_000);
    } finally {
      app.unmount();
      await c.close();
      await big.close();
    }
  });
});
