import { render } from "ink-testing-library";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Settings } from "../../config/settings.js";
import { verifySettings } from "../../services/client.js";
import {
  type Emulator,
  KEYS,
  startTestEmulator,
  tick,
  tokenOf,
  waitFor,
} from "../../testing/harness.js";
import { Wizard } from "./Wizard.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
});

function renderWizard(onDone: (s: Settings) => void) {
  return render(
    <Wizard
      verify={verifySettings}
      onDone={onDone}
      servers={{ production: emu.url, playground: emu.url }}
      width={100}
      height={20}
    />,
  );
}

// Ink draws a frame before its input hooks subscribe (passive effects), so give each key a moment.
async function type(stdin: { write(s: string): void }, text: string) {
  await tick(50);
  stdin.write(text);
  await tick(50);
}

describe("setup wizard", () => {
  it("checks a pasted token with user_show and shows who you are", async () => {
    const onDone = vi.fn();
    const app = renderWizard(onDone);
    try {
      expect(app.lastFrame()).toContain("Anonymous");
      expect(app.lastFrame()).toContain("Playground");
      await type(app.stdin, "j");
      await type(app.stdin, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Paste your API token"));
      const token = tokenOf(emu, "alice");
      await type(app.stdin, token);
      expect(app.lastFrame()).not.toContain(token);
      await type(app.stdin, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Logged in as Alice Liddell (alice)"));
      expect(app.lastFrame()).not.toContain(token);
      await type(app.stdin, KEYS.enter);
      await waitFor(() =>
        expect(onDone).toHaveBeenCalledWith({ scenario: "token", server: emu.url, apiKey: token }),
      );
    } finally {
      app.unmount();
    }
  });

  it("refuses a wrong token", async () => {
    const onDone = vi.fn();
    const app = renderWizard(onDone);
    try {
      await type(app.stdin, "j");
      await type(app.stdin, KEYS.enter);
      await type(app.stdin, "wrong-token-wrong-token-wrong");
      await type(app.stdin, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("API token incorrect"));
      await type(app.stdin, KEYS.enter);
      expect(onDone).not.toHaveBeenCalled();
      await type(app.stdin, KEYS.escape);
      await waitFor(() => expect(app.lastFrame()).toContain("Paste your API token"));
    } finally {
      app.unmount();
    }
  });

  it("sets up anonymous access and a custom server", async () => {
    const onDone = vi.fn();
    const app = renderWizard(onDone);
    try {
      await type(app.stdin, KEYS.enter);
      await waitFor(() => expect(app.lastFrame()).toContain("Server reachable; anonymous access"));
      await type(app.stdin, KEYS.enter);
      await waitFor(() =>
        expect(onDone).toHaveBeenLastCalledWith({ scenario: "anonymous", server: emu.url }),
      );
    } finally {
      app.unmount();
    }
    const app2 = renderWizard(onDone);
    try {
      for (let i = 0; i < 3; i++) await type(app2.stdin, KEYS.down);
      await type(app2.stdin, KEYS.enter);
      await waitFor(() => expect(app2.lastFrame()).toContain("Server address"));
      await type(app2.stdin, emu.url);
      await type(app2.stdin, KEYS.enter);
      await waitFor(() => expect(app2.lastFrame()).toContain("leave empty for anonymous"));
      await type(app2.stdin, KEYS.enter);
      await waitFor(() => expect(app2.lastFrame()).toContain("Server reachable"));
      await type(app2.stdin, KEYS.enter);
      await waitFor(() =>
        expect(onDone).toHaveBeenLastCalledWith({ scenario: "custom", server: emu.url }),
      );
    } finally {
      app2.unmount();
    }
  });
});
