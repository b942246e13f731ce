/** Worker-thread KDE: same results as the calling-thread code, abort, and the task runner. */
import { describe, expect, it } from "vitest";
import { gaussExactPlan } from "./gauss.js";
import { kdeContour, kdeContourAsync, kdeScatter, kdeScatterAsync } from "./index.js";
import { KdeWorkerError, runTasks } from "./parallel.js";

function cloud(n: number): { x: Float64Array; y: Float64Array } {
  let s = 12345;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
    x[i] = 40 + 10 * a + 5 * r() ** 4;
    y[i] = 0.03 + 0.01 * r() - 0.002 * a;
  }
  return { x, y };
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i]! / b[i]! - 1));
  }
  return worst;
}

describe("worker threads", () => {
  const { x, y } = cloud(4000);

  it("runTasks on 2 workers returns what the calling thread computes", async () => {
    const plan = gaussExactPlan(x, y, undefined, undefined, {}, 6);
    const results = await runTasks(plan.tasks, { threads: 2 });
    expect(results).toHaveLength(6);
    const parallel = plan.combine(results);
    expect(maxRel(parallel, kdeScatter(x, y, { kdeType: "gauss" }))).toBeLessThan(1e-13);
  });

  it("kdeScatterAsync: gauss (self and positions) and multivariate match kdeScatter", async () => {
    const gauss = await kdeScatterAsync(x, y, { kdeType: "gauss", threads: 2 });
    expect(maxRel(gauss, kdeScatter(x, y, { kdeType: "gauss" }))).toBeLessThan(1e-13);
    const positions = { x: x.subarray(0, 1500), y: y.subarray(0, 1500) };
    const atPos = await kdeScatterAsync(x, y, { kdeType: "gauss", positions, threads: 2 });
    expect(maxRel(atPos, gauss.subarray(0, 1500))).toBeLessThan(1e-13);
    const mv = await kdeScatterAsync(Float32Array.from(x), Float32Array.from(y), {
      kdeType: "multivariate",
      threads: 2,
    });
    const mvSync = kdeScatter(Float32Array.from(x), Float32Array.from(y), {
      kdeType: "multivariate",
    });
    expect(maxRel(mv, mvSync)).toBeLessThan(1e-13);
    const emulate = { kdeType: "multivariate" as const, kdeKwargs: { emulateFloat32Kernel: true } };
    const mvE = await kdeScatterAsync(Float32Array.from(x), Float32Array.from(y), {
      ...emulate,
      threads: 2,
    });
    const mvESync = kdeScatter(Float32Array.from(x), Float32Array.from(y), emulate);
    expect(maxRel(mvE, mvESync)).toBe(0);
    const hist = await kdeScatterAsync(x, y, { threads: 2 });
    expect(Array.from(hist)).toEqual(Array.from(kdeScatter(x, y)));
  });

  it("kdeContourAsync matches kdeContour", async () => {
    const a = await kdeContourAsync(x, y, { kdeType: "gauss", threads: 2 });
    const b = kdeContour(x, y, { kdeType: "gauss" });
    expect([a.nx, a.ny]).toEqual([b.nx, b.ny]);
    expect(maxRel(a.density, b.density)).toBeLessThan(1e-13);
  });

  it("a failing task rejects with KdeWorkerError and leaves no worker behind", async () => {
    const bad = { op: "positions", u: null, v: null, pu: null, pv: null } as never;
    const err = await runTasks([bad, bad], { threads: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KdeWorkerError);
    expect((err as KdeWorkerError).code).toBe("RTDC_KDE_WORKER");
  });

  it("aborts with the signal's reason (before and during the computation)", async () => {
    const before = new AbortController();
    before.abort(new Error("stop early"));
    await expect(
      kdeScatterAsync(x, y, { kdeType: "gauss", signal: before.signal }),
    ).rejects.toThrow("stop early");
    const during = new AbortController();
    const p = kdeScatterAsync(x, y, { kdeType: "gauss", threads: 2, signal: during.signal });
    setTimeout(() => during.abort(new Error("stop now")), 5);
    await expect(p).rejects.toThrow("stop now");
  });
});
