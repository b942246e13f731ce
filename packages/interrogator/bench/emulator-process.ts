/**
 * Runs the emulator in a child process for the benchmark, so that the server's work (filtering,
 * sorting and serializing 10,000 datasets) does not share a thread with the client being measured.
 * Messages in: { type: "latency", ms, bytesPerSecond? } | { type: "close" }. Out: { type: "ready", url, visible },
 * { type: "latency-set" }.
 */
import { startEmulator } from "@dcor/emulator";

const [synthetic, name, token] = process.argv.slice(2);
const send = (msg: object) => process.send?.(msg);
const emu = await startEmulator({
  synthetic: Number(synthetic),
  users: [{ name: name!, token: token!, sysadmin: true }],
});
let rule: string | undefined;
process.on("message", async (msg: { type: string; ms?: number; bytesPerSecond?: number }) => {
  if (msg.type === "latency") {
    if (rule) emu.faults.remove(rule);
    // both are asynchronous in the emulator (timers), so concurrent requests overlap
    rule =
      msg.ms || msg.bytesPerSecond
        ? emu.faults.add({
            route: "api",
            ...(msg.ms ? { latencyMs: msg.ms } : {}),
            ...(msg.bytesPerSecond ? { bytesPerSecond: msg.bytesPerSecond } : {}),
          })
        : undefined;
    send({ type: "latency-set" });
  } else if (msg.type === "close") {
    await emu.close();
    process.disconnect?.();
  }
});
// Without the parent there is nothing to serve.
process.on("disconnect", () => {
  void emu.close().then(() => process.exit(0));
});
send({ type: "ready", url: emu.url, visible: emu.catalog.visibleDatasets(name!).length });
