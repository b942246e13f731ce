import { CONFIG_ANALYSIS, CONFIG_METADATA, type ConfigValueKind } from "./config-table.js";
import { isScalarFeature } from "./features.js";
import type { AttrValue } from "./hdf5/protocol.js";

export { CONFIG_ANALYSIS, CONFIG_METADATA, type ConfigValueKind };

/** One configuration value, typed as dclab types it. */
export type ConfigValue = string | number | boolean | number[] | number[][] | [number, number];

/** A configuration section: lower-case key → value. */
export type ConfigSection = Record<string, ConfigValue>;

/**
 * The configuration (metadata) of a dataset. Every metadata section of the format is present
 * (possibly empty), plus `user` and any other stored section.
 */
export interface RtdcConfig {
  /** `experiment`: sample, date, time, run index, event count, … */
  experiment: ConfigSection;
  /** `fluorescence`: channels, laser powers, sample rate, trace settings. */
  fluorescence: ConfigSection;
  /** `fmt_tdms`: legacy tdms-format settings. */
  fmt_tdms: ConfigSection;
  /** `imaging`: pixel size, frame rate, ROI size, flash settings. */
  imaging: ConfigSection;
  /** `online_contour`: the online segmentation settings. */
  online_contour: ConfigSection;
  /** `online_filter`: the online (acquisition-time) filters; limits and polygon points. */
  online_filter: ConfigSection;
  /** `pipeline`: the dcnum pipeline identifiers. */
  pipeline: ConfigSection;
  /** `qpi`: quantitative phase imaging settings. */
  qpi: ConfigSection;
  /** `setup`: channel width, chip region, flow rate, medium, software version, … */
  setup: ConfigSection;
  /** `user`: free user metadata (any key). */
  user: ConfigSection;
  /** Any other stored section. */
  [section: string]: ConfigSection;
}

export function emptyConfig(): RtdcConfig {
  const c = { user: {} } as RtdcConfig;
  for (const s of Object.keys(CONFIG_METADATA)) c[s] = {};
  return c;
}

function toBool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
    if (s === "") throw new Error("empty");
    const n = Number(s);
    if (Number.isNaN(n)) throw new Error("not a bool");
    return n !== 0;
  }
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error("not a bool");
  return n !== 0;
}

function toInt(v: unknown): number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    if (s === "true") return 1;
    if (s === "false") return 0;
    if (s === "") throw new Error("empty");
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error("not an int");
  return Math.trunc(n);
}

function toFloat(v: unknown): number {
  if (typeof v === "string" && v.trim() === "") throw new Error("empty");
  const n = typeof v === "boolean" ? Number(v) : Number(v);
  if (Number.isNaN(n) && String(v).toLowerCase() !== "nan") throw new Error("not a float");
  return n;
}

/** Convert a raw value to the kind a known key has; throws if it cannot. */
export function convertConfigValue(kind: ConfigValueKind, v: unknown): ConfigValue {
  switch (kind) {
    case "str":
      return String(v);
    case "lcstr":
      return String(v).toLowerCase();
    case "int":
      return toInt(v);
    case "float":
      return toFloat(v);
    case "bool":
      return toBool(v);
    case "intlist": {
      const items = Array.isArray(v)
        ? v
        : String(v)
            .trim()
            .replace(/^\[|\]$/g, "")
            .split(",");
      return items.filter((x) => String(x).trim() !== "").map(toInt);
    }
    case "floatpair": {
      const items = Array.isArray(v) ? v.flat() : [];
      if (items.length !== 2) throw new Error("not a pair");
      return [toFloat(items[0]), toFloat(items[1])];
    }
    case "boolorfloat":
      if (typeof v === "string" || typeof v === "boolean" || v === 0) return toBool(v);
      return toFloat(v);
  }
}

/** How dclab treats `section:key`: the value kind, "raw" (kept as is) or undefined (invalid key). */
export function configKeyKind(
  section: string,
  key: string,
): ConfigValueKind | "raw" | "points" | undefined {
  if (section === "user") return key.trim() ? "raw" : undefined;
  const known = CONFIG_METADATA[section]?.[key] ?? CONFIG_ANALYSIS[section]?.[key];
  if (known) return known;
  if (section === "online_filter") {
    const first = key.split(" ", 1)[0] ?? "";
    if (first.includes(",") && (key.endsWith("soft limit") || key.endsWith("polygon points"))) {
      const [f1 = "", f2 = ""] = first.split(",");
      if (!isScalarFeature(f1) || !isScalarFeature(f2)) return undefined;
      return key.endsWith("soft limit") ? "bool" : "points";
    }
    if (!isScalarFeature(first)) return undefined;
    if (key.endsWith("soft limit")) return "bool";
    return "raw";
  }
  return undefined;
}

/**
 * Build the configuration from root attributes `"section:key"`: keys lower-cased, values typed,
 * invalid keys, empty strings and unconvertible values dropped (dclab warns about those).
 */
export function parseConfig(attrs: Record<string, AttrValue>): RtdcConfig {
  const config = emptyConfig();
  for (const [name, attr] of Object.entries(attrs)) {
    const colon = name.indexOf(":");
    if (colon <= 0) continue;
    const section = name.slice(0, colon).toLowerCase();
    const key = name.slice(colon + 1).toLowerCase();
    if (attr.t === "other") continue;
    setConfigValue(config, section, key, attr.v);
  }
  return config;
}

/** Set one value like dclab's configuration dict does (typed, or ignored when invalid). */
export function setConfigValue(
  config: RtdcConfig,
  section: string,
  key: string,
  raw: unknown,
): boolean {
  const s = section.toLowerCase();
  const k = key.toLowerCase();
  const kind = configKeyKind(s, k);
  if (kind === undefined || raw === null || raw === undefined) return false;
  if (typeof raw === "string" && raw.length === 0 && s !== "user") return false;
  let value: ConfigValue;
  try {
    if (kind === "raw") value = raw as ConfigValue;
    else if (kind === "points") {
      if (!Array.isArray(raw)) return false;
      value = (raw as unknown[]).map((row) =>
        Array.isArray(row) ? row.map(Number) : [Number(row)],
      );
    } else value = convertConfigValue(kind, raw);
  } catch {
    return false;
  }
  config[s] ??= {};
  (config[s] as ConfigSection)[k] = value;
  return true;
}
