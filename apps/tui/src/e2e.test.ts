/**
 * End-to-end: the real `dcor --demo` (bin/dcor.js → tsx → Ink) in a tmux pseudo-terminal, driven
 * by keys and checked on the screen text.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TMUX = "/usr/bin/tmux";
const hasTmux = existsSync(TMUX);
if (!hasTmux) console.warn("e2e: skipped, /usr/bin/tmux is not installed");

const socket = `dcor-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const bin = fileURLToPath(new URL("../bin/dcor.js", import.meta.url));
let dir: string;

function tmux(...args: string[]): string {
  return execFileSync(TMUX, ["-L", socket, ...args], { encoding: "utf8" });
}
function screen(): string {
  return tmux("capture-pane", "-p", "-t", "main");
}
function pause(ms = 300): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
// One key per send, with a pause like a person's: keys arriving in one chunk read as a paste.
async function keys(...k: string[]): Promise<void> {
  for (const key of k) {
    tmux("send-keys", "-t", "main", key);
    await pause();
  }
}
async function typeText(text: string): Promise<void> {
  tmux("send-keys", "-t", "main", "-l", text);
  await pause();
}
function alive(): boolean {
  return spawnSync(TMUX, ["-L", socket, "has-session", "-t", "main"]).status === 0;
}
async function waitScreen(
  test: (s: string) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<string> {
  const start = Date.now();
  let last = "";
  while (Date.now() - start < timeoutMs) {
    if (!alive()) throw new Error(`dcor exited while waiting for ${what}; last screen:\n${last}`);
    last = screen();
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
}

describe.skipIf(!hasTmux)("dcor --demo in tmux", () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dcor-e2e-"));
    const env = `DCOR_CONFIG_DIR=${dir}/config DCOR_STATE_DIR=${dir}/state`;
    tmux(
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      "100",
      "-y",
      "30",
      `env ${env} ${process.execPath} ${bin} --demo --dir ${dir}/downloads`,
    );
  });
  afterAll(async () => {
    spawnSync(TMUX, ["-L", socket, "kill-server"]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("searches, opens a dataset, downloads, previews and quits", { timeout: 240_000 }, async () => {
    await waitScreen(
      (s) => s.includes("Find Data") && s.includes("Alice Liddell"),
      "the first frame",
      90_000,
    );
    await waitScreen((s) => /\d+ datasets/.test(s), "the first results");
    await keys("/");
    await typeText("Whole blood");
    await waitScreen(
      (s) =>
        s.includes("Search: Whole blood") &&
        s.includes("Whole blood measured") &&
        /\b1 dataset\b/.test(s),
      "the search results",
    );
    await keys("Enter"); // leave the search field
    await keys("Enter"); // open the dataset
    await waitScreen(
      (s) => s.includes("blood_0.06.rtdc") && s.includes("figshare-11302595-v1"),
      "the dataset view",
    );
    await keys("d");
    await waitScreen((s) => s.includes("Queued"), "the queued notice");
    await keys("Tab");
    await keys("Tab");
    const done = await waitScreen((s) => /1 downloads, 1 done/.test(s), "the finished download");
    expect(done).toContain("blood_0.06.rtdc");
    const files = await readdir(path.join(dir, "downloads", "figshare-11302595-v1"));
    expect(files).toContain("blood_0.06.rtdc");
    await keys("BTab");
    await keys("BTab");
    await waitScreen(
      (s) => s.includes("blood_0.06.rtdc") && s.includes("d download"),
      "the dataset view again",
    );
    await keys("p");
    const plot = await waitScreen(
      (s) => /\d+ events/.test(s) && /[\u2801-\u28ff]/.test(s),
      "the preview plot",
    );
    expect(plot).toMatch(/Deformation/i);
    expect(plot).toMatch(/Area/i);
    await keys("q");
    const start = Date.now();
    while (alive() && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });
});
