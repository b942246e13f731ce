/** Polygon filters and dclab's `.poly` text format (`polygon_filter.py`). */
import { RtdcError } from "../errors.js";

/** Malformed polygon filter or `.poly` text (code "RTDC_POLYGON_INVALID"). */
export class PolygonFilterError extends RtdcError {
  /** 1-based line of the `.poly` text, when parsing. */
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super("RTDC_POLYGON_INVALID", line === undefined ? message : `${message} (line ${line})`, {
      action: "polygon filter",
    });
    this.name = "PolygonFilterError";
    this.line = line;
  }
}

/** Options of the {@link PolygonFilter} constructor. */
export interface PolygonFilterOptions {
  /** Feature names of the x and y axis, e.g. ["area_um", "deform"]. */
  axes: [string, string];
  /** Vertices (x, y) in order; the first point may but need not be repeated at the end. */
  points: ArrayLike<readonly [number, number]> | readonly (readonly number[])[];
  /**
   * Keep the events outside instead of inside.
   * @default false
   */
  inverted?: boolean;
  /**
   * Display name.
   * @default `polygon filter ${id}`
   */
  name?: string;
  /**
   * The filter's number in a `.poly` file (`[Polygon 00000003]` → 3).
   * @default 0
   */
  id?: number;
}

/**
 * A polygon in the plane of two scalar features. Point-in-polygon follows dclab (ray casting from
 * scikit-image): a point on a left or bottom edge is inside, on a right or top edge outside.
 */
export class PolygonFilter {
  /** Feature names of the x and y axis (lower case). */
  axes: [string, string];
  /** Vertices (x, y) in order. */
  points: [number, number][];
  /** Keep the events outside instead of inside. */
  inverted: boolean;
  /** Display name. */
  name: string;
  /** The filter's number in a `.poly` file. */
  id: number;

  constructor(opts: PolygonFilterOptions) {
    if (!Array.isArray(opts.axes) || opts.axes.length !== 2) {
      throw new PolygonFilterError("axes must be two feature names");
    }
    const axes = opts.axes.map((a) => String(a).toLowerCase());
    this.axes = [axes[0]!, axes[1]!];
    const points: [number, number][] = [];
    for (let i = 0; i < opts.points.length; i++) {
      const p = opts.points[i] as readonly number[] | undefined;
      if (p?.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
        throw new PolygonFilterError(`point ${i} must be two finite numbers`);
      }
      points.push([p[0]!, p[1]!]);
    }
    this.points = points;
    this.inverted = opts.inverted ?? false;
    this.id = opts.id ?? 0;
    if (!Number.isInteger(this.id) || this.id < 0) {
      throw new PolygonFilterError(`id must be a non-negative integer, got ${opts.id}`);
    }
    this.name = opts.name ?? `polygon filter ${this.id}`;
  }

  /** Whether (x, y) lies inside the polygon (ignores `inverted`; NaN is never inside). */
  contains(x: number, y: number): boolean {
    const pts = this.points;
    const n = pts.length;
    let inside = false;
    let j = n - 1;
    for (let i = 0; i < n; i++) {
      const [xi, yi] = pts[i]!;
      const [xj, yj] = pts[j]!;
      if (
        ((yi <= y && y < yj) || (yj <= y && y < yi)) &&
        x < ((xj - xi) * (y - yi)) / (yj - yi) + xi
      ) {
        inside = !inside;
      }
      j = i;
    }
    return inside;
  }

  /** The filter mask for events (x, y): 1 = kept (inside, or outside when inverted). */
  filter(x: ArrayLike<number>, y: ArrayLike<number>): Uint8Array {
    if (x.length !== y.length) {
      throw new PolygonFilterError(`x and y differ in length (${x.length} vs ${y.length})`);
    }
    const out = new Uint8Array(x.length);
    const keepInside = !this.inverted;
    for (let i = 0; i < x.length; i++) out[i] = this.contains(x[i]!, y[i]!) === keepInside ? 1 : 0;
    return out;
  }

  /**
   * Read every polygon of a `.poly` text (sections `[Polygon N]` with `X Axis`, `Y Axis`, `Name`,
   * `Inverted`, `pointNNNNNNNN = x y`). Throws {@link PolygonFilterError} on unknown keys,
   * missing axes or bad numbers.
   */
  static parse(polyText: string): PolygonFilter[] {
    const lines = polyText.split(/\r?\n/);
    const out: PolygonFilter[] = [];
    const sections: { header: string; line: number; body: { text: string; line: number }[] }[] = [];
    for (let index = 0; index < lines.length; index++) {
      const text = lines[index]!.trim();
      const current = sections[sections.length - 1];
      if (text.startsWith("[")) sections.push({ header: text, line: index + 1, body: [] });
      else if (current && text !== "") current.body.push({ text, line: index + 1 });
    }
    for (const s of sections) {
      // dclab: int(header.strip().strip("Polygon []")).
      const idText = stripChars(s.header, "Polygon []");
      const id = Number(idText);
      if (!/^\d+$/.test(idText) || !Number.isSafeInteger(id)) {
        throw new PolygonFilterError(`bad section header "${s.header}"`, s.line);
      }
      let xaxis: string | undefined;
      let yaxis: string | undefined;
      let name: string | undefined;
      let inverted = false;
      const points: { index: number; x: number; y: number }[] = [];
      for (const { text, line } of s.body) {
        const eq = text.indexOf("=");
        if (eq < 0) throw new PolygonFilterError(`expected "key = value", got "${text}"`, line);
        if (text.indexOf("=", eq + 1) >= 0) {
          throw new PolygonFilterError(`more than one "=" in "${text}"`, line);
        }
        const key = text.slice(0, eq).trim();
        const value = text.slice(eq + 1).trim();
        const lower = key.toLowerCase();
        if (lower === "x axis") xaxis = value.toLowerCase();
        else if (lower === "y axis") yaxis = value.toLowerCase();
        else if (lower === "name") name = value;
        else if (lower === "inverted") inverted = value === "True";
        else if (lower.startsWith("point")) {
          const index = Number(key.slice(5));
          if (!Number.isInteger(index))
            throw new PolygonFilterError(`bad point key "${key}"`, line);
          const nums = value
            .replace(/^\[+|\]+$/g, "")
            .trim()
            .split(/\s+/)
            .map(parsePythonFloat);
          if (nums.length !== 2 || nums.some((v) => !Number.isFinite(v))) {
            throw new PolygonFilterError(
              `point "${key}" needs two finite numbers, got "${value}"`,
              line,
            );
          }
          points.push({ index, x: nums[0]!, y: nums[1]! });
        } else {
          throw new PolygonFilterError(`unknown variable "${key} = ${value}"`, line);
        }
      }
      if (xaxis === undefined || yaxis === undefined) {
        throw new PolygonFilterError(`polygon ${id} lacks "X Axis" or "Y Axis"`, s.line);
      }
      points.sort((a, b) => a.index - b.index);
      try {
        out.push(
          new PolygonFilter({
            axes: [xaxis, yaxis],
            points: points.map((p) => [p.x, p.y] as [number, number]),
            inverted,
            id,
            ...(name === undefined ? {} : { name }),
          }),
        );
      } catch (err) {
        if (err instanceof PolygonFilterError) throw new PolygonFilterError(err.message, s.line);
        throw err;
      }
    }
    return out;
  }

  /** Write polygons in dclab's `.poly` format (each point as `%.15e %.15e`). */
  static format(filters: readonly PolygonFilter[]): string {
    const lines: string[] = [];
    for (const f of filters) {
      lines.push(`[Polygon ${String(f.id).padStart(8, "0")}]`);
      lines.push(`X Axis = ${f.axes[0]}`);
      lines.push(`Y Axis = ${f.axes[1]}`);
      lines.push(`Name = ${f.name}`);
      lines.push(`Inverted = ${f.inverted ? "True" : "False"}`);
      f.points.forEach(([x, y], i) => {
        lines.push(`point${String(i).padStart(8, "0")} = ${formatExp15(x)} ${formatExp15(y)}`);
      });
    }
    return lines.map((l) => `${l}\n`).join("");
  }
}

/** Python's str.strip(chars). */
function stripChars(text: string, chars: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && chars.includes(text[a]!)) a++;
  while (b > a && chars.includes(text[b - 1]!)) b--;
  return text.slice(a, b);
}

/** Python's "{:.15e}" (two-digit exponent at least; "nan", "inf"). */
function formatExp15(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  const s = Math.abs(v).toExponential(15);
  const [mant, exp] = s.split("e") as [string, string];
  const sign = exp.startsWith("-") ? "-" : "+";
  const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
  return `${v < 0 || Object.is(v, -0) ? "-" : ""}${mant}e${sign}${digits}`;
}

/** float(text) as Python reads it (also "nan", "inf", "-inf"); NaN when malformed. */
function parsePythonFloat(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === "nan" || t === "+nan" || t === "-nan") return Number.NaN;
  if (t === "inf" || t === "+inf" || t === "infinity") return Number.POSITIVE_INFINITY;
  if (t === "-inf" || t === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number.NaN;
  return Number(t);
}
