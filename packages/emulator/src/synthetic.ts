/** Deterministic large catalogs for scale tests: many datasets sharing a few files. */

import { hashString, Rng } from "./rng.js";
import type { DatasetSpec, GroupSpec } from "./sample-catalog.js";

const CIRCLE_MEMBERS: GroupSpec["members"][] = [
  { alice: "admin" },
  { alice: "admin", bob: "member" },
  { bob: "editor" },
  { bob: "admin" },
  { bob: "admin", alice: "member" },
];
const COLLECTION_MEMBERS: GroupSpec["members"][] = [
  { alice: "admin", bob: "member" },
  { bob: "admin" },
  { alice: "admin" },
];

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Number of synthetic circles and collections for `n` datasets (more data, more groups). */
export function syntheticGroupCounts(n: number): { circles: number; collections: number } {
  return {
    circles: clamp(Math.ceil(n / 100), 5, 60),
    collections: clamp(Math.ceil(n / 300), 3, 40),
  };
}

/** The synthetic circles and collections for `n` datasets. */
export function syntheticGroups(n: number): { circles: GroupSpec[]; collections: GroupSpec[] } {
  const counts = syntheticGroupCounts(n);
  const day = (k: number) => new Date(Date.UTC(2019, 0, 2 + k)).toISOString().slice(0, 19);
  return {
    circles: Array.from({ length: counts.circles }, (_x, k) => ({
      name: `synthetic-circle-${k + 1}`,
      title: `Synthetic circle ${k + 1}`,
      description: "Generated for scale tests.",
      created: `${day(k)}.000000`,
      members: CIRCLE_MEMBERS[k % CIRCLE_MEMBERS.length] as GroupSpec["members"],
    })),
    collections: Array.from({ length: counts.collections }, (_x, k) => ({
      name: `synthetic-collection-${k + 1}`,
      title: `Synthetic collection ${k + 1}`,
      description: "Generated for scale tests.",
      created: `${day(30 + k)}.000000`,
      members: COLLECTION_MEMBERS[k % COLLECTION_MEMBERS.length] as GroupSpec["members"],
    })),
  };
}

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
export function syntheticDataset(
  i: number,
  seed: number,
  files: string[],
  groups: { circles: GroupSpec[]; collections: GroupSpec[] },
): DatasetSpec {
  const rng = new Rng(hashString(`${seed}:synthetic:${i}`));
  const circle = groups.circles[i % groups.circles.length] as GroupSpec;
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
    collections.push(
      (groups.collections[Math.floor(rng.next() * groups.collections.length)] as GroupSpec).name,
    );
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
