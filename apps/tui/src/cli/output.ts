import { elideMiddle } from "../lib/text.js";

export interface Output {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Print rows as aligned columns; the last column takes what is left on a terminal. */
export function table(rows: string[][], opts: { width?: number } = {}): string {
  if (rows.length === 0) return "";
  const cols = Math.max(...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols; c++)
    widths.push(Math.max(...rows.map((r) => Array.from(r[c] ?? "").length)));
  if (opts.width) {
    // Shrink the widest columns first until the table fits (names are elided in the middle).
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (cols - 1);
    while (total() > opts.width) {
      const widest = widths.indexOf(Math.max(...widths));
      if ((widths[widest] ?? 0) <= 8) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
    }
  }
  return rows
    .map((r) =>
      r
        .map((cell, c) => {
          const w = widths[c] ?? 0;
          const text = elideMiddle(cell, w);
          return c === r.length - 1 ? text : text.padEnd(w);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function printJson(out: Output, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
