/**
 * Startup benchmark: time from launching `dcor` (bin/dcor.js → tsx → Ink, in a pseudo-terminal
 * made by util-linux `script`) to its first frame and to
 * the first search results, against the emulator. Baselines measured in the same run: a bare
 * `node -e` start, and a `node -e` process doing one plain package_search fetch.
 *
 *   pnpm --filter @dcor/tui run bench
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@dcor/emulator";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const bin = fileURLToPath(new URL("../bin/dcor.js", import.meta.url));

/** Spawn a process and resolve with the ms until each marker appeared in its stdout. */
function timeMarkers(
  cmd: string,
  args: string[],
  markers: string[],
  env: NodeJS.ProcessEnv,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const times: (number | undefined)[] = markers.map(() => undefined);
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timeout; output so far: ${out.slice(-500)}`));
    }, 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      markers.forEach((m, i) => {
        if (times[i] === undefined && out.includes(m)) times[i] = performance.now() - start;
      });
      if (times.every((t) => t !== undefined)) {
        clearTimeout(timer);
        child.kill("SIGTERM");
        resolve(times as number[]);
      }
    });
    child.on("exit", () => {
      if (times.some((t) => t === undefined)) {
        clearTimeout(timer);
        reject(new Error(`exited early; output: ${out.slice(-500)}`));
      }
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const emu = await startEmulator({});
const configDir = await mkdtemp(path.join(os.tmpdir(), "dcor-bench-"));
const env = {
  ...process.env,
  DCOR_CONFIG_DIR: configDir,
  DCOR_STATE_DIR: configDir,
  NO_COLOR: "1",
  CI: "",
};
const firstTitle = "Whole blood measured at three flow rates";
try {
  const bare: number[] = [];
  const fetchOnly: number[] = [];
  const firstFrame: number[] = [];
  const firstResults: number[] = [];
  const demoResults: number[] = [];
  const fetchScript = `fetch(${JSON.stringify(`${emu.apiUrl}package_search?q=&rows=100&sort=metadata_created+desc`)}).then(r=>r.json()).then(j=>{console.log(j.success?"RESULTS":"FAIL")})`;
  for (let i = 0; i < RUNS; i++) {
    bare.push(
      ...(await timeMarkers(process.execPath, ["-e", "console.log('READY')"], ["READY"], env)),
    );
    fetchOnly.push(...(await timeMarkers(process.execPath, ["-e", fetchScript], ["RESULTS"], env)));
    // Ink draws frames only on a terminal: run dcor in a pseudo-terminal via util-linux `script`.
    const command = `stty cols 100 rows 30; exec ${process.execPath} ${bin} --server ${emu.url}`;
    const [frame, results] = await timeMarkers(
      "script",
      ["-qfec", command, "/dev/null"],
      ["Find Data", firstTitle],
      env,
    );
    firstFrame.push(frame ?? Number.NaN);
    firstResults.push(results ?? Number.NaN);
    // --demo starts its own emulator (sample catalog, .rtdc files written on start) first.
    const demo = `stty cols 100 rows 30; exec ${process.execPath} ${bin} --demo`;
    const [, demoList] = await timeMarkers(
      "script",
      ["-qfec", demo, "/dev/null"],
      ["Find Data", firstTitle],
      env,
    );
    demoResults.push(demoList ?? Number.NaN);
  }
  const row = (label: string, ms: number, base: number) =>
    console.log(
      `${label.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms   ×${(ms / base).toFixed(2)} of baseline`,
    );
  console.log(`dcor startup, median of ${RUNS} runs (emulator on ${emu.url})`);
  row("baseline: node -e (bare start)", median(bare), median(bare));
  row("baseline: node -e + one package_search fetch", median(fetchOnly), median(fetchOnly));
  row("dcor: first frame", median(firstFrame), median(bare));
  row("dcor: first search results", median(firstResults), median(fetchOnly));
  row("dcor --demo: first results (emulator included)", median(demoResults), median(fetchOnly));
} finally {
  await emu.close();
  await rm(configDir, { recursive: true, force: true });
}
