import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** The production DCOR server (public data for anonymous users). */
export const PRODUCTION_SERVER = "dcor.mpl.mpg.de";
/** The DCOR playground ("dcor-dev"), for trying things out; purged regularly. */
export const PLAYGROUND_SERVER = "dcor-dev.mpl.mpg.de";

/** How the user chose to connect, as in DCOR-Aid's setup wizard. */
export type Scenario = "anonymous" | "token" | "playground" | "custom";

/** What is stored in the settings file. */
export interface Settings {
  scenario: Scenario;
  /** Server host or URL, e.g. "dcor.mpl.mpg.de". */
  server: string;
  /** The API token, if any. Stored only in the 0600 settings file, never shown in full. */
  apiKey?: string;
  /** Default download folder. */
  downloadDir?: string;
}

/** Settings after applying command-line and environment overrides. */
export interface EffectiveSettings extends Settings {
  /** Where the server/token came from, for the status line and diagnostics. */
  source: "file" | "override" | "default";
}

export class SettingsError extends Error {
  readonly code = "DCOR_TUI_SETTINGS";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SettingsError";
  }
}

/**
 * The config directory: `$DCOR_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dcor`, else `~/.config/dcor`
 * (on Windows `%APPDATA%\dcor`).
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DCOR_CONFIG_DIR) return env.DCOR_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, "dcor");
  if (process.platform === "win32" && env.APPDATA) return path.join(env.APPDATA, "dcor");
  return path.join(os.homedir(), ".config", "dcor");
}

/** The state directory for the download queue: `$XDG_STATE_HOME/dcor` or `~/.local/state/dcor`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DCOR_STATE_DIR) return env.DCOR_STATE_DIR;
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, "dcor");
  if (process.platform === "win32" && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, "dcor");
  return path.join(os.homedir(), ".local", "state", "dcor");
}

/** Default download folder: `$XDG_DOWNLOAD_DIR/DCOR` or `~/Downloads/DCOR`. */
export function defaultDownloadDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_DOWNLOAD_DIR ?? path.join(os.homedir(), "Downloads"), "DCOR");
}

const SCENARIOS: readonly Scenario[] = ["anonymous", "token", "playground", "custom"];

function parseSettings(raw: unknown): Settings {
  if (typeof raw !== "object" || raw === null)
    throw new SettingsError("settings file is not a JSON object");
  const obj = raw as Record<string, unknown>;
  const scenario = SCENARIOS.includes(obj.scenario as Scenario)
    ? (obj.scenario as Scenario)
    : "custom";
  if (typeof obj.server !== "string" || obj.server.trim() === "") {
    throw new SettingsError("settings file has no server");
  }
  const out: Settings = { scenario, server: obj.server };
  if (typeof obj.apiKey === "string" && obj.apiKey !== "") out.apiKey = obj.apiKey;
  if (typeof obj.downloadDir === "string" && obj.downloadDir !== "")
    out.downloadDir = obj.downloadDir;
  return out;
}

/** Reads and writes `settings.json` in the config directory (mode 0600, directory 0700). */
export class SettingsStore {
  readonly file: string;

  constructor(opts: { dir?: string } = {}) {
    this.file = path.join(opts.dir ?? configDir(), "settings.json");
  }

  /** The stored settings, or `undefined` on first run. A corrupt file is a {@link SettingsError}. */
  async load(): Promise<Settings | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SettingsError(`cannot read ${this.file}`, { cause: err });
    }
    try {
      return parseSettings(JSON.parse(text));
    } catch (err) {
      if (err instanceof SettingsError) throw err;
      throw new SettingsError(`${this.file} is not valid JSON`, { cause: err });
    }
  }

  /** Write atomically (temp file + rename) with mode 0600 so the token is private to the user. */
  async save(settings: Settings): Promise<void> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(parseSettings(settings), null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}

/** Command-line and environment overrides. */
export interface SettingsOverrides {
  server?: string;
  apiKey?: string;
  /** Defaults to `process.env`; `DCOR_API_KEY` is read from it. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Combine stored settings with overrides: `--server`/`--api-key` beat `DCOR_API_KEY`, which beats
 * the file. Returns `undefined` when nothing is configured yet (→ the setup wizard).
 */
export function resolveSettings(
  stored: Settings | undefined,
  overrides: SettingsOverrides = {},
): EffectiveSettings | undefined {
  const env = overrides.env ?? process.env;
  const envKey = env.DCOR_API_KEY && env.DCOR_API_KEY !== "" ? env.DCOR_API_KEY : undefined;
  const apiKey = overrides.apiKey ?? envKey;
  if (!stored && overrides.server === undefined && apiKey === undefined) return undefined;
  const base: Settings = stored ?? { scenario: "anonymous", server: PRODUCTION_SERVER };
  const overridden = overrides.server !== undefined || apiKey !== undefined;
  const out: EffectiveSettings = {
    ...base,
    source: overridden ? "override" : stored ? "file" : "default",
  };
  if (overrides.server !== undefined) {
    out.server = overrides.server;
    out.scenario = "custom";
    // A token stored for another server must not be sent to the overriding one.
    if (stored?.apiKey && stored.server !== overrides.server) delete out.apiKey;
  }
  if (apiKey !== undefined) out.apiKey = apiKey;
  return out;
}
