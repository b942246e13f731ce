import { existsSync } from "node:fs";
import { join } from "node:path";
import { CKANAPI } from "@dcor/api";
import { type Emulator, sharedDataDir, startEmulator } from "@dcor/emulator";
import type { CommonOptions } from "./util.js";

export type { Emulator };

/** An API client, and the emulator behind it when `--demo` was given. */
export interface Connection {
  api: CKANAPI;
  emulator?: Emulator;
  /** Stops the emulator (if any). */
  close(): Promise<void>;
}

/**
 * The `.rtdc` folder of the shared test data (`shared/data/rtdc`) when it is on this machine;
 * `--demo` serves those real measurements next to the emulator's sample catalog.
 */
export function sharedRtdcDir(): string | undefined {
  const dir = sharedDataDir();
  const rtdc = dir === undefined ? undefined : join(dir, "rtdc");
  return rtdc !== undefined && existsSync(rtdc) ? rtdc : undefined;
}

/**
 * Connects to `options.server`, or with `demo` starts an emulator on 127.0.0.1 (sample catalog,
 * plus the shared `.rtdc` files when present) and connects to that.
 */
export async function connect(options: Pick<CommonOptions, "server" | "apiKey" | "demo">) {
  if (!options.demo) {
    const api = new CKANAPI({ server: options.server, apiKey: options.apiKey });
    return { api, close: async () => {} } satisfies Connection;
  }
  const dataDir = sharedRtdcDir();
  const emulator = await startEmulator({ sample: true, ...(dataDir ? { dataDir } : {}) });
  const api = new CKANAPI({ server: emulator.url, apiKey: options.apiKey });
  return { api, emulator, close: () => emulator.close() } satisfies Connection;
}
