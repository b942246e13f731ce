/**
 * Text helpers for fixed-width terminal cells. Widths are counted in code points, which is right
 * for the Latin/Greek text DCOR metadata uses; wide CJK glyphs may be off by one cell.
 */

/** Elide `text` in the middle so it fits `width` cells, keeping both ends (file names differ at the end). */
export function elideMiddle(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 0) return "";
  if (width === 1) return "…";
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return `${chars.slice(0, head).join("")}…${tail > 0 ? chars.slice(chars.length - tail).join("") : ""}`;
}

/** Pad (or elide in the middle) to exactly `width` cells. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const elided = elideMiddle(text, width);
  const pad = " ".repeat(Math.max(0, width - Array.from(elided).length));
  return align === "left" ? elided + pad : pad + elided;
}

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/** Human-readable byte size in SI units ("1.5 MB"); "–" when unknown. */
export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes) || bytes < 0) return "–";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0
    ? `${value} B`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** Duration in seconds as "1h02m", "3m05s" or "12s"; "–" when unknown. */
export function formatDuration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds) || seconds < 0)
    return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The date part of a CKAN timestamp ("2024-03-01T10:00:00.123" → "2024-03-01"). */
export function formatDate(iso: string | undefined | null): string {
  if (!iso) return "–";
  return iso.slice(0, 10);
}

/** A text progress bar of `width` cells using eighth blocks for sub-cell precision. */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest > 0 ? (["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][rest] ?? "") : "";
  return ("█".repeat(full) + partial).padEnd(width, "·");
}

/**
 * Show a secret without revealing it: the first 4 characters, an ellipsis, and the length.
 * Short secrets are fully masked.
 */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return "(none)";
  if (secret.length < 16) return "••••";
  return `${secret.slice(0, 4)}…(${secret.length} chars)`;
}
