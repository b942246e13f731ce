import { InvalidOptionError } from "./errors.js";
import type { DatasetLike, ResourceLike } from "./types.js";

/**
 * Whether a resource is an RT-DC measurement: its mimetype is `RT-DC` (set by the server), or, for
 * resources not processed yet, its name ends in `.rtdc`.
 */
export function isDCResource(resource: Pick<ResourceLike, "name" | "mimetype">): boolean {
  if (resource.mimetype === "RT-DC") return true;
  return typeof resource.name === "string" && resource.name.toLowerCase().endsWith(".rtdc");
}

/** RT-DC metadata of one resource, `{ section: { key: value } }` (like dclab's `config`). */
export type ResourceConfig = Record<string, Record<string, unknown>>;

/**
 * Collects the `dc:<section>:<key>` fields of a resource into `{ section: { key: value } }`,
 * e.g. `resourceConfig(r).setup["flow rate"]`. A resource without such fields gives `{}`.
 */
export function resourceConfig(resource: ResourceLike): ResourceConfig {
  const config: ResourceConfig = {};
  for (const [field, value] of Object.entries(resource)) {
    if (!field.startsWith("dc:")) continue;
    const sep = field.indexOf(":", 3);
    if (sep < 0) continue;
    const section = field.slice(3, sep);
    const key = field.slice(sep + 1);
    if (section === "" || key === "") continue;
    config[section] ??= {};
    config[section][key] = value;
  }
  return config;
}

/**
 * All RT-DC resources of the given datasets, in order, each once (by id). Every returned resource
 * has `package_id` set (filled in from its dataset if the server left it out, on a copy).
 */
export function listDCResources<R extends ResourceLike>(
  datasets: Iterable<DatasetLike<R>>,
): (R & { package_id: string })[] {
  const seen = new Set<string>();
  const out: (R & { package_id: string })[] = [];
  for (const ds of datasets) {
    for (const res of ds.resources ?? []) {
      if (!isDCResource(res) || seen.has(res.id)) continue;
      seen.add(res.id);
      out.push(
        (res.package_id ? res : { ...res, package_id: ds.id }) as R & { package_id: string },
      );
    }
  }
  return out;
}

/** Tolerances of {@link groupByMetadata}, as in numpy's `isclose`. */
export interface GroupTolerance {
  /** Relative tolerance (times the absolute group value). @default 1e-5 */
  rtol?: number;
  /** Absolute tolerance. @default 1e-8 */
  atol?: number;
}

/** The result of {@link groupByMetadata}. */
export interface MetadataGroups<T> {
  /** One entry per requested value, in the order given (empty `resources` if none matched). */
  groups: { value: number; resources: T[] }[];
  /** Resources whose value matched none of the requested values, or that have no numeric value. */
  others: T[];
}

function numericValue(resource: ResourceLike, key: string): number | undefined {
  let raw = resource[key];
  if (raw === undefined && !key.startsWith("dc:") && !key.startsWith("sp:")) {
    raw = resource[`dc:${key}`];
  }
  const num = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : Number.NaN;
  return Number.isFinite(num) ? num : undefined;
}

/**
 * Sorts resources into groups by a numeric metadata key, e.g. flow rates
 * `groupByMetadata(resources, "dc:setup:flow rate", [0.04, 0.06, 0.12, 0.16, 0.32])`.
 * A resource belongs to a value `v` when `|x - v| <= atol + rtol * |v|` (numpy's `isclose`, so the
 * float32 rounding of stored values such as 0.05999999865889549 still matches 0.06); when several
 * values match, the nearest wins. Everything else goes to `others`. `key` may omit the `dc:` prefix.
 */
export function groupByMetadata<T extends ResourceLike>(
  resources: Iterable<T>,
  key: string,
  values: readonly number[],
  tolerance: GroupTolerance = {},
): MetadataGroups<T> {
  const rtol = tolerance.rtol ?? 1e-5;
  const atol = tolerance.atol ?? 1e-8;
  if (!(rtol >= 0)) throw new InvalidOptionError("rtol", `must be >= 0, got ${rtol}`);
  if (!(atol >= 0)) throw new InvalidOptionError("atol", `must be >= 0, got ${atol}`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new InvalidOptionError("values", `not a finite number: ${v}`);
  }
  const groups = values.map((value) => ({ value, resources: [] as T[] }));
  const others: T[] = [];
  for (const res of resources) {
    const x = numericValue(res, key);
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    if (x !== undefined) {
      values.forEach((v, i) => {
        const distance = Math.abs(x - v);
        if (distance <= atol + rtol * Math.abs(v) && distance < bestDistance) {
          best = i;
          bestDistance = distance;
        }
      });
    }
    if (best < 0) others.push(res);
    else groups[best]!.resources.push(res);
  }
  return { groups, others };
}
