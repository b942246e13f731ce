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
import { defaultAxes } from "./Preview.js";

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

const BRAILLE = /[\u2801-\u28ff]/;

describe("Preview", () => {
  it("defaults to area_um vs deform", () => {
    expect(defaultAxes(["bright_avg", "deform", "area_um"])).toEqual(["area_um", "deform"]);
    expect(defaultAxes(["a", "b"])).toEqual(["a", "b"]);
  });

  it("plots a remote resource as a braille density scatter and switches axes", async () => {
    const app = renderApp(anon.client);
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("Whole blood measured"));
      const rows = (app.lastFrame() ?? "")
        .split("\n")
        .filter((l) => /\d{4}-\d{2}-\d{2}/.test(l) && !/Created/.test(l));
      const index = rows.findIndex((l) => l.includes("Whole blood measured"));
      for (let i = 0; i < index; i++) await press(app, "j");
      await press(app, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("blood_0.06.rtdc"));
      await press(app, "p");
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toMatch(/\d+ events/);
        expect(frame).toMatch(BRAILLE);
        expect(frame).toMatch(/Deformation/);
        expect(frame).toMatch(/Area \[µm²\]/);
      }, 60_000);
      expect(app.lastFrame()).toContain("blood_0.06.rtdc");
      await press(app, "y");
      await waitFor(() => expect(app.lastFrame()).toContain("Feature for the y axis"));
      const features = (app.lastFrame() ?? "").split("\n").filter((l) => /\(\w+\)/.test(l));
      const target = features.findIndex((l) => l.includes("(bright_avg)"));
      const current = features.findIndex((l) => l.includes("(deform)"));
      expect(target).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < Math.abs(target - current); i++)
        await press(app, target > current ? "j" : "k");
      await press(app, KEYS.enter);
      await waitFor(() => {
        const frame = app.lastFrame() ?? "";
        expect(frame).toMatch(/Brightness/);
        expect(frame).toMatch(BRAILLE);
      }, 60_000);
      await press(app, KEYS.escape);
      await waitFor(() => expect(app.lastFrame()).toContain("d download"));
    } finally {
      app.unmount();
    }
  });
});
