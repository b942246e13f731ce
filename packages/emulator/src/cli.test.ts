import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "..");

function runCli(args: string[]): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@dcor/source", path.join(here, "cli.ts"), ...args],
      { cwd: pkg, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    let killed = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (!killed && out.includes("Press Ctrl-C")) {
        killed = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ lines: out.split("\n"), code, stderr: err }));
  });
}

describe("dcor-emulator CLI", () => {
  it("prints the base URL first, then users, and stops on SIGTERM", async () => {
    const { lines, code } = await runCli([
      "--user",
      "carol:carol-secret-token",
      "--synthetic",
      "3",
    ]);
    expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const text = lines.join("\n");
    expect(text).toContain("alice");
    expect(text).toContain("carol");
    expect(text).not.toContain("carol-secret-token");
    expect(code).toBe(0);
  });

  it("rejects bad flags with exit code 2", async () => {
    const { code, stderr } = await runCli(["--port", "abc"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--port");
    const user = await runCli(["--user", "nocolon"]);
    expect(user.code).toBe(2);
  });
});
