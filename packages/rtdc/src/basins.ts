import { createHash } from "node:crypto";

/** A basin definition as stored in `basins/<key>` (or returned by DCOR's dcserv). */
export interface BasinDefinition {
  /** Hash of the JSON lines (the dataset name in `basins/`). */
  key: string;
  /** Display name. */
  name?: string | undefined;
  /** Free-text description. */
  description?: string | undefined;
  /** Where the basin lives: `internal` (in this file), `file` or `remote`. */
  type: "internal" | "file" | "remote" | string;
  /** How to open it: `h5dataset` (internal), `hdf5` (file), `http`, `s3` or `dcor` (remote). */
  format: "h5dataset" | "hdf5" | "http" | "s3" | "dcor" | string;
  /** Features this basin provides; `null`: all of the basin's features. */
  features: string[] | null;
  /** `"same"` or the name of a `basinmapN` feature of the referrer. */
  mapping: string;
  /** Measurement identifier the basin must have (exact for `same`, prefix for mapped basins). */
  identifier?: string | null | undefined;
  /** The location expires (DCOR presigned URLs) and is refreshed before it does. */
  perishable?: boolean | undefined;
  /** `file` basins: candidate paths, absolute or relative to the referring file. */
  paths?: string[] | undefined;
  /** `remote` basins: candidate URLs (`dcor`: resource URLs or ids). */
  urls?: string[] | undefined;
  /** DCOR presigned URLs: epoch seconds of the request. */
  time_request?: number | undefined;
  /** DCOR presigned URLs: epoch seconds of the expiry. */
  time_expiration?: number | undefined;
  [extra: string]: unknown;
}

/** Python's `json.dumps(obj, indent=2, sort_keys=True)` (ensure_ascii), for dclab-compatible hashes. */
export function pythonJsonDumps(value: unknown, indent = 2, level = 0): string {
  const pad = " ".repeat(indent * (level + 1));
  const end = " ".repeat(indent * level);
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : pyFloat(value);
  }
  if (typeof value === "string") {
    return `"${value.replace(/[\\"\u0000-\u001f\u007f-\uffff]/g, (c) => {
      const map: Record<string, string> = {
        "\\": "\\\\",
        '"': '\\"',
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\b": "\\b",
        "\f": "\\f",
      };
      return map[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    })}"`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => pad + pythonJsonDumps(v, indent, level + 1)).join(",\n")}\n${end}]`;
  }
  if (typeof value === "object") {
    const keys = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    if (keys.length === 0) return "{}";
    return `{\n${keys
      .map(
        (k) =>
          `${pad}${pythonJsonDumps(k)}: ${pythonJsonDumps((value as Record<string, unknown>)[k], indent, level + 1)}`,
      )
      .join(",\n")}\n${end}}`;
  }
  return "null";
}

function pyFloat(v: number): string {
  const s = String(v);
  if (/e/.test(s)) {
    // Python writes 1e-05 and 1e+20 with a two-digit exponent.
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  }
  return s.includes(".") ? s : `${s}.0`;
}

/** The lines dclab stores for a basin and their key (md5 of the concatenated lines). */
export function basinLines(def: Omit<BasinDefinition, "key">): { key: string; lines: string[] } {
  const lines = pythonJsonDumps(def).split("\n");
  const key = createHash("md5").update(lines.join(""), "utf8").digest("hex");
  return { key, lines };
}

/** Parse stored basin lines; undefined if they are not a basin definition. */
export function parseBasinLines(key: string, lines: string[]): BasinDefinition | undefined {
  try {
    const obj = JSON.parse(lines.join(" ")) as Record<string, unknown>;
    if (
      !obj ||
      typeof obj !== "object" ||
      typeof obj.type !== "string" ||
      typeof obj.format !== "string"
    )
      return undefined;
    return normalizeBasin({ ...obj, key: (obj.key as string | undefined) ?? key });
  } catch {
    return undefined;
  }
}

export function normalizeBasin(obj: Record<string, unknown>): BasinDefinition {
  const features = Array.isArray(obj.features) ? obj.features.map(String) : null;
  return {
    ...obj,
    key: String(obj.key ?? ""),
    type: String(obj.type),
    format: String(obj.format),
    features,
    mapping: typeof obj.mapping === "string" ? obj.mapping : "same",
  } as BasinDefinition;
}

/** dclab's basin order: internal < file < remote; h5dataset < hdf5 < http < s3 < dcor; same first. */
export function basinSortKey(b: Pick<BasinDefinition, "type" | "format" | "mapping">): string {
  const t = ({ internal: "a", file: "b", remote: "c" } as Record<string, string>)[b.type] ?? "z";
  const f =
    ({ h5dataset: "a", hdf5: "b", http: "c", s3: "d", dcor: "e" } as Record<string, string>)[
      b.format
    ] ?? "z";
  const m = b.mapping === "same" ? "a" : b.mapping;
  return t + f + m;
}

export function sortBasins<T extends Pick<BasinDefinition, "type" | "format" | "mapping">>(
  basins: T[],
): T[] {
  return [...basins].sort((a, b) => {
    const ka = basinSortKey(a);
    const kb = basinSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** dclab's measurement identifier: the run identifier, else a UUID from md5(time_date_setup-id). */
export function measurementIdentifier(config: {
  experiment?: Record<string, unknown>;
  setup?: Record<string, unknown>;
}): string | undefined {
  const rid = config.experiment?.["run identifier"];
  if (typeof rid === "string" && rid) return rid;
  const time = config.experiment?.time;
  const date = config.experiment?.date;
  const sid = config.setup?.identifier;
  if (!time || !date || !sid) return undefined;
  const hex = createHash("md5").update(`${time}_${date}_${sid}`, "utf8").digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
