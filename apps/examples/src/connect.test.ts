import { describe, expect, it } from "vitest";
import { connect } from "./connect.js";
import { parseArgs } from "./util.js";

describe("connect", () => {
  it("defaults to the production server over HTTPS without contacting it", async () => {
    const args = parseArgs({ argv: [], env: {} });
    const { api, emulator, close } = await connect(args);
    expect(api.server).toBe("https://dcor.mpl.mpg.de");
    expect(api.hasApiKey).toBe(false);
    expect(emulator).toBeUndefined();
    await close();
  });

  it("with --demo starts an emulator on 127.0.0.1, talks to it and stops it on close", async () => {
    const args = parseArgs({ argv: ["--demo", "--api-key", "not-a-real-token"], env: {} });
    const { api, emulator, close } = await connect(args);
    try {
      expect(emulator).toBeDefined();
      expect(api.server).toBe(emulator!.url);
      expect(new URL(api.server).hostname).toBe("127.0.0.1");
      expect(await api.isAvailable()).toBe(true);
    } finally {
      await close();
    }
    expect(await api.isAvailable()).toBe(false);
  });
});
