/** Fault injection: rules matched per request, settable at start and at run time. */
import { Rng } from "./rng.js";
import type { RouteName } from "./stats.js";

/** One fault rule (see the package README for the semantics of each field). */
export interface FaultRule {
  /** Which server route the rule applies to. @default "all" */
  route?: RouteName | "all";
  /** API only: match this action name. */
  action?: string;
  /** Extra match on the URL path (prefix). */
  pathPrefix?: string;
  /** Apply to the next N matching requests only, then the rule is removed. */
  times?: number;
  /** Delay before the response starts. */
  latencyMs?: number;
  /** Throttle the body to this many bytes per second. */
  bytesPerSecond?: number;
  /** Answer this status (e.g. 500, 502, 504) with an empty or CKAN-like body. */
  status?: number;
  /** Share (0..1) of matching requests answered with `status ?? 500` (seeded RNG). */
  errorRate?: number;
  /** Answer 429 with this `Retry-After` (seconds). */
  retryAfter?: number;
  /** Destroy the socket after this many body bytes. */
  resetAfterBytes?: number;
  /** Answer 200 with the full body even if a Range was asked. */
  ignoreRange?: boolean;
  /** Flip body bytes at an absolute file offset (`true`: one byte in the middle). */
  corrupt?: { offset?: number; count?: number } | true;
  /** Answer 503 with a maintenance page. */
  maintenance?: boolean;
  /** API: answer 200 with a truncated, non-envelope JSON body. */
  malformedJson?: boolean;
  /** Answer 502 with an HTML error page, as a proxy would. */
  htmlError?: boolean;
}

/** What the matched rules ask of one request. */
export interface FaultPlan {
  latencyMs: number;
  bytesPerSecond?: number;
  status?: number;
  retryAfter?: number;
  resetAfterBytes?: number;
  ignoreRange: boolean;
  corrupt?: { offset?: number; count: number };
  maintenance: boolean;
  malformedJson: boolean;
  htmlError: boolean;
}

export interface FaultContext {
  route: RouteName;
  action?: string;
  path: string;
}

const NUMBER_FIELDS = [
  "times",
  "latencyMs",
  "bytesPerSecond",
  "status",
  "errorRate",
  "retryAfter",
  "resetAfterBytes",
] as const;

/** Thrown for an invalid fault rule. */
export class FaultRuleError extends TypeError {
  readonly code = "EMULATOR_BAD_FAULT_RULE";
}

function validate(rule: FaultRule): void {
  if (typeof rule !== "object" || rule === null)
    throw new FaultRuleError("a fault rule must be an object");
  if (rule.route !== undefined && !["api", "download", "object", "all"].includes(rule.route)) {
    throw new FaultRuleError(`unknown fault route ${JSON.stringify(rule.route)}`);
  }
  for (const f of NUMBER_FIELDS) {
    const v = rule[f];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) {
      throw new FaultRuleError(`fault rule field ${f} must be a non-negative number`);
    }
  }
  if (rule.errorRate !== undefined && rule.errorRate > 1)
    throw new FaultRuleError("errorRate must be within 0..1");
  if (rule.status !== undefined && (rule.status < 100 || rule.status > 599))
    throw new FaultRuleError("status must be an HTTP status code");
  if (rule.bytesPerSecond === 0) throw new FaultRuleError("bytesPerSecond must be positive");
}

/** The live set of fault rules of one emulator. */
export class FaultSet {
  private readonly rules = new Map<string, { rule: FaultRule; remaining: number }>();
  private nextId = 1;
  private readonly rng: Rng;

  constructor(seed: number, initial: FaultRule[] = []) {
    this.rng = new Rng(seed ^ 0x5eed);
    for (const r of initial) this.add(r);
  }

  /** Adds a rule; returns its id. Throws `FaultRuleError` for an invalid rule. */
  add(rule: FaultRule): string {
    validate(rule);
    const id = `fault-${this.nextId++}`;
    this.rules.set(id, { rule: { ...rule }, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    return id;
  }

  /** Removes a rule; returns whether it existed. */
  remove(id: string): boolean {
    return this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  /** The active rules with their ids (and, for `times` rules, how many uses are left). */
  list(): (FaultRule & { id: string })[] {
    return [...this.rules].map(([id, { rule, remaining }]) => ({
      ...rule,
      ...(Number.isFinite(remaining) ? { times: remaining } : {}),
      id,
    }));
  }

  /** Matches a request against the rules (consuming `times`) and merges what they ask for. */
  plan(ctx: FaultContext): FaultPlan {
    const plan: FaultPlan = {
      latencyMs: 0,
      ignoreRange: false,
      maintenance: false,
      malformedJson: false,
      htmlError: false,
    };
    for (const [id, entry] of this.rules) {
      const r = entry.rule;
      if (r.route && r.route !== "all" && r.route !== ctx.route) continue;
      if (r.action !== undefined && (ctx.route !== "api" || r.action !== ctx.action)) continue;
      if (r.pathPrefix !== undefined && !ctx.path.startsWith(r.pathPrefix)) continue;
      entry.remaining--;
      if (entry.remaining <= 0) this.rules.delete(id);
      plan.latencyMs += r.latencyMs ?? 0;
      if (r.bytesPerSecond)
        plan.bytesPerSecond = Math.min(
          plan.bytesPerSecond ?? Number.POSITIVE_INFINITY,
          r.bytesPerSecond,
        );
      if (r.errorRate !== undefined) {
        if (this.rng.next() < r.errorRate) plan.status ??= r.status ?? 500;
      } else if (r.status !== undefined) plan.status ??= r.status;
      if (r.retryAfter !== undefined) plan.retryAfter ??= r.retryAfter;
      if (r.resetAfterBytes !== undefined)
        plan.resetAfterBytes = Math.min(
          plan.resetAfterBytes ?? Number.POSITIVE_INFINITY,
          r.resetAfterBytes,
        );
      if (r.ignoreRange) plan.ignoreRange = true;
      if (r.corrupt)
        plan.corrupt =
          r.corrupt === true
            ? { count: 1 }
            : { offset: r.corrupt.offset, count: r.corrupt.count ?? 1 };
      if (r.maintenance) plan.maintenance = true;
      if (r.malformedJson) plan.malformedJson = true;
      if (r.htmlError) plan.htmlError = true;
    }
    return plan;
  }
}
