import type { Settings } from "../config/settings.js";

// TEMPORARY until @dcor/emulator's startEmulator lands.
export async function startDemo(): Promise<{ settings: Settings; close(): Promise<void> }> {
  throw new Error("--demo needs @dcor/emulator");
}
