/**
 * Child process that writes generated sample files (see `file-cache.ts`): reads
 * `{ specs, seed, dir }` as JSON from stdin and prints the manifest entries as JSON.
 */
import { generateEntry, type ManifestEntry } from "./file-cache.js";
import type { SampleFileSpec } from "./synth-data.js";

let input = "";
for await (const chunk of process.stdin) input += String(chunk);
const { specs, seed, dir } = JSON.parse(input) as {
  specs: SampleFileSpec[];
  seed: number;
  dir: string;
};
const entries: Record<string, ManifestEntry> = {};
for (const spec of specs) entries[spec.key] = await generateEntry(spec, seed, dir);
process.stdout.write(JSON.stringify(entries));
