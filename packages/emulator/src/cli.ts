#!/usr/bin/env node
/** `dcor-emulator`: runs a local DCOR and prints its base URL as the first line. */
import { startEmulator } from "./emulator.js";

const emu = await startEmulator({});
process.stdout.write(`${emu.url}\n`);
for (const u of emu.users) process.stdout.write(`user ${u.name} token ${u.token}\n`);
const stop = () => {
  void emu.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
