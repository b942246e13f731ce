import type { Settings } from "../config/settings.js";

/** The sample user the demo logs in as (so My Data has content). */
export const DEMO_USER = "alice";

export interface Demo {
  settings: Settings;
  /** The emulator's CKAN site URL. */
  url: string;
  close(): Promise<void>;
}

/** Start the embedded emulator with its sample catalog, on loopback, logged in as alice. */
export async function startDemo(): Promise<Demo> {
  // Loaded on demand: only --demo needs the emulator (and its HDF5 writer).
  const { startEmulator } = await import("@dcor/emulator");
  const emu = await startEmulator({ host: "127.0.0.1" });
  const user = emu.users.find((u) => u.name === DEMO_USER);
  const settings: Settings = {
    scenario: "custom",
    server: emu.url,
    ...(user ? { apiKey: user.token } : {}),
  };
  return { settings, url: emu.url, close: () => emu.close() };
}
