import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  KEYS,
  makeClient,
  press,
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

describe("My Data", () => {
  it("lists what alice owns, what is shared with bob, and opens a dataset", async () => {
    const alice = await makeClient(emu, "alice");
    const app = renderApp(alice.client, { initialTab: "mydata" });
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("Red blood cells: flow rate series"));
      expect(app.lastFrame()).toContain("Uploaded by me");
      await press(app, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Resource"));
      await press(app, KEYS.escape);
      await waitFor(() => expect(app.lastFrame()).toContain("Uploaded by me"));
      await press(app, KEYS.right);
      await waitFor(() => expect(app.lastFrame()).toMatch(/\d+ datasets?|Nothing here/));
    } finally {
      app.unmount();
      await alice.close();
    }
    const bob = await makeClient(emu, "bob");
    const app2 = renderApp(bob.client, { initialTab: "mydata" });
    try {
      await waitFor(() => expect(app2.lastFrame()).toContain("Bob Baumeister"));
      await press(app2, KEYS.right);
      await waitFor(() => {
        const frame = app2.lastFrame() ?? "";
        expect(frame).toContain("Shared with me");
        expect(frame).toMatch(/\d+ datasets?|Nothing here/);
      });
    } finally {
      app2.unmount();
      await bob.close();
    }
  });

  it("is not available anonymously", async () => {
    const anon = await makeClient(emu);
    const app = renderApp(anon.client, { initialTab: "mydata" });
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("Search:"));
      await press(app, KEYS.tab);
      await waitFor(() => expect(app.lastFrame()).toContain("No downloads yet"));
    } finally {
      app.unmount();
      await anon.close();
    }
  });
});
