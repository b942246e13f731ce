// How long a density scatter of a big measurement takes to render, with the default thinning
// (maxPoints 25,000) against drawing every event, measured in this run.
//   pnpm --filter @dcor/examples bench
import { densityScatterSpec, renderPlot } from "../src/plot/index.js";

function events(n: number) {
  let state = 7;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const density = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const phi = 2 * Math.PI * uniform();
    x[i] = 40 + 10 * r * Math.cos(phi);
    y[i] = 0.02 + 0.005 * r * Math.sin(phi);
    density[i] = Math.exp(-(r * r) / 2);
  }
  return { x, y, density };
}

async function time(n: number, maxPoints: number) {
  const data = events(n);
  const start = performance.now();
  const spec = densityScatterSpec({ ...data, xLabel: "x", yLabel: "y", title: "bench", maxPoints });
  const plot = await renderPlot(spec);
  const ms = performance.now() - start;
  return { ms, drawn: spec.data.values.length, svgMiB: plot.svg.length / 2 ** 20 };
}

const n = 300_000;
const baseline = 30_000; // every event drawn; 300k unthinned would need ~1 GiB and minutes
const all = await time(baseline, Number.POSITIVE_INFINITY);
const thinned = await time(n, 25_000);
const perEvent = all.ms / baseline;
console.log(
  `unthinned ${baseline} events: ${all.ms.toFixed(0)} ms, SVG ${all.svgMiB.toFixed(1)} MiB ` +
    `(${(perEvent * 1000).toFixed(1)} µs/event)`,
);
console.log(
  `thinned ${n} events: ${thinned.ms.toFixed(0)} ms, ${thinned.drawn} drawn, ` +
    `SVG ${thinned.svgMiB.toFixed(1)} MiB`,
);
console.log(
  `speed-up vs drawing all ${n} (extrapolated): ${((perEvent * n) / thinned.ms).toFixed(1)}x`,
);
