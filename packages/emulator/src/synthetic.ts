/** Deterministic large catalogs for scale tests: many datasets sharing a few files. */

import { hashString, Rng } from "./rng.js";
import type { DatasetSpec, GroupSpec } from "./sample-catalog.js";

export const SYNTHETIC_CIRCLES: GroupSpec[] = [
  {
    name: "synthetic-circle-1",
    title: "Synthetic circle 1",
    description: "Generated for scale tests.",
    created: "2019-01-02T08:00:00.000000",
    members: { alice: "admin" },
  },
  {
    name: "synthetic-circle-2",
    title: "Synthetic circle 2",
    description: "Generated for scale tests.",
    created: "2019-01-03T08:00:00.000000",
    members: { alice: "admin", bob: "member" },
  },
  {
    name: "synthetic-circle-3",
    title: "Synthetic circle 3",
    description: "Generated for scale tests.",
    created: "2019-01-04T08:00:00.000000",
    members: { bob: "editor" },
  },
  {
    name: "synthetic-circle-4",
    title: "Synthetic circle 4",
    description: "Generated for scale tests.",
    created: "2019-01-05T08:00:00.000000",
    members: { bob: "admin" },
  },
  {
    name: "synthetic-circle-5",
    title: "Synthetic circle 5",
    description: "Generated for scale tests.",
    created: "2019-01-06T08:00:00.000000",
    members: { bob: "admin", alice: "member" },
  },
];

export const SYNTHETIC_COLLECTIONS: GroupSpec[] = [
  {
    name: "synthetic-collection-1",
    title: "Synthetic collection 1",
    description: "Generated for scale tests.",
    created: "2019-02-01T08:00:00.000000",
    members: { alice: "admin", bob: "member" },
  },
  {
    name: "synthetic-collection-2",
    title: "Synthetic collection 2",
    description: "Generated for scale tests.",
    created: "2019-02-02T08:00:00.000000",
    members: { bob: "admin" },
  },
  {
    name: "synthetic-collection-3",
    title: "Synthetic collection 3",
    description: "Generated for scale tests.",
    created: "2019-02-03T08:00:00.000000",
    members: { alice: "admin" },
  },
];

const SAMPLES = [
  "HL60",
  "RBC",
  "whole blood",
  "Jurkat",
  "platelets",
  "beads",
  "neutrophils",
  "K562",
  "THP-1",
  "MCF-7",
];
const ADJ = [
  "treated",
  "control",
  "stored",
  "fresh",
  "fixed",
  "stimulated",
  "knock-down",
  "reference",
];

/** Spec of synthetic dataset `i` (0-based); `files` are the keys of the shared file pool. */
export function syntheticDataset(i: number, seed: number, files: string[]): DatasetSpec {
  const rng = new Rng(hashString(`${seed}:synthetic:${i}`));
  const circle = SYNTHETIC_CIRCLES[i % SYNTHETIC_CIRCLES.length] as GroupSpec;
  const admins = Object.entries(circle.members).filter(([, c]) => c !== "member");
  const creator = (admins[Math.floor(rng.next() * admins.length)] ?? admins[0] ?? ["alice"])[0];
  const sample = rng.pick(SAMPLES);
  const adj = rng.pick(ADJ);
  const nres = 1 + Math.floor(rng.next() * 3);
  const start = Date.UTC(2019, 0, 10);
  const span = Date.UTC(2025, 5, 1) - start;
  const created = new Date(start + Math.floor(rng.next() * span)).toISOString().slice(0, 23);
  const collections: string[] = [];
  if (rng.next() < 0.3)
    collections.push((SYNTHETIC_COLLECTIONS[i % SYNTHETIC_COLLECTIONS.length] as GroupSpec).name);
  const num = String(i + 1).padStart(5, "0");
  return {
    name: `synthetic-dataset-${num}`,
    title: `${sample} ${adj} #${i + 1}`,
    notes: `Synthetic dataset ${i + 1}: ${sample} (${adj}).`,
    authors: creator === "alice" ? "Alice Liddell" : "Bob Baumeister",
    license: rng.pick(["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"]),
    circle: circle.name,
    creator,
    private: rng.next() < 0.25,
    state: rng.next() < 0.03 ? "draft" : "active",
    tags: [sample.toLowerCase().replace(/\s+/g, "-"), adj],
    collections,
    created: `${created}000`,
    resources: Array.from({ length: nres }, (_x, k) => ({
      file: files[(i * 7 + k * 3) % files.length] as string,
      name: `M${k + 1}_data.rtdc`,
    })),
  };
}
