/** The deterministic built-in sample catalog: users, circles, collections, datasets, files. */
import { createHmac } from "node:crypto";
import type { SampleFileSpec } from "./synth-data.js";

/** A user of the emulator. */
export interface EmulatorUserSpec {
  name: string;
  token: string;
  fullname?: string;
  sysadmin?: boolean;
}

function fixedToken(name: string): string {
  // Shaped like CKAN's JWT API tokens, but fixed so tests and docs can rely on them.
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  const head = b64(JSON.stringify({ typ: "JWT", alg: "HS256" }));
  const body = b64(JSON.stringify({ jti: `dcor-emulator-${name}`, iat: 1700000000 }));
  const sig = createHmac("sha256", "dcor-emulator-sample")
    .update(`${head}.${body}`)
    .digest("base64url");
  return `${head}.${body}.${sig}`;
}

/**
 * The built-in users: `alice` (admin of circle `alice-lab`, member of `figshare-import`, owns
 * datasets), `bob` (editor of circle `bob-lab`, member of collection `shared-collection`), `eve`
 * (no memberships). Tokens are fixed strings.
 */
export const SAMPLE_USERS: readonly Required<EmulatorUserSpec>[] = Object.freeze([
  { name: "alice", token: fixedToken("alice"), fullname: "Alice Liddell", sysadmin: false },
  { name: "bob", token: fixedToken("bob"), fullname: "Bob Baumeister", sysadmin: false },
  { name: "eve", token: fixedToken("eve"), fullname: "Eve Moneypenny", sysadmin: false },
]);

export type Capacity = "admin" | "editor" | "member";

export interface GroupSpec {
  name: string;
  title: string;
  description: string;
  created: string;
  members: Record<string, Capacity>;
}

export interface ResourceSpec {
  file: string;
  name: string;
  description?: string;
}

export interface DatasetSpec {
  name: string;
  title: string;
  notes: string;
  authors: string;
  doi?: string;
  references?: string;
  license: string;
  circle: string;
  creator: string;
  private: boolean;
  state: "active" | "draft";
  tags: string[];
  collections: string[];
  created: string;
  resources: ResourceSpec[];
}

export const SAMPLE_CIRCLES: GroupSpec[] = [
  {
    name: "figshare-import",
    title: "Figshare import",
    description: "Reference data sets imported from figshare.",
    created: "2019-02-28T14:01:12.000000",
    members: { alice: "member" },
  },
  {
    name: "alice-lab",
    title: "Alice's Lab",
    description: "Mechanical phenotyping of blood cells.",
    created: "2020-05-04T09:12:44.000000",
    members: { alice: "admin" },
  },
  {
    name: "bob-lab",
    title: "Bob's Lab",
    description: "Cell lines and calibration measurements.",
    created: "2021-01-19T16:40:03.000000",
    members: { bob: "editor" },
  },
];

export const SAMPLE_COLLECTIONS: GroupSpec[] = [
  {
    name: "shared-collection",
    title: "Shared collection",
    description: "Alice's private blood measurements shared with collaborators.",
    created: "2022-03-08T11:00:00.000000",
    members: { alice: "admin", bob: "member" },
  },
  {
    name: "figshare-collection",
    title: "Figshare reference data",
    description: "Public reference data sets.",
    created: "2019-03-01T08:00:00.000000",
    members: { alice: "admin" },
  },
  {
    name: "calibration-beads",
    title: "Calibration beads",
    description: "Bead measurements for setup calibration.",
    created: "2021-06-02T10:30:00.000000",
    members: { bob: "admin", alice: "member" },
  },
];

const SW = {
  old: "ShapeIn 2.0.5 | dclab 0.18.0.post6",
  mid: "ShapeIn 2.2.2.4 | dclab 0.35.3",
  new: "2.3.3.54 | dclab 0.48.1",
  latest: "2.4.0.1 | dclab 0.62.6",
};

function file(
  key: string,
  o: Partial<SampleFileSpec> &
    Pick<SampleFileSpec, "sample" | "population" | "events" | "flowRate" | "date">,
): SampleFileSpec {
  return {
    key,
    channelWidth: 20,
    pixelSize: 0.34,
    frameRate: 2000,
    time: "10:04:03",
    software: SW.new,
    medium: "CellCarrierB",
    ...o,
  };
}

/** Every file of the sample catalog (also the shared pool of synthetic datasets). */
export const SAMPLE_FILES: SampleFileSpec[] = [
  file("hl60-004", {
    sample: "HL60",
    population: "hl60",
    events: 180,
    flowRate: 0.04,
    date: "2018-11-02",
    images: true,
    software: SW.old,
    frameRate: 1600,
  }),
  file("hl60-008", {
    sample: "HL60",
    population: "hl60",
    events: 2400,
    flowRate: 0.08,
    date: "2018-11-02",
    software: SW.old,
    frameRate: 1600,
  }),
  file("hl60-012", {
    sample: "HL60",
    population: "hl60",
    events: 3000,
    flowRate: 0.12,
    date: "2018-11-02",
    software: SW.old,
    frameRate: 1600,
    channelWidth: 30,
    pixelSize: 0.34,
  }),
  file("hl60-016", {
    sample: "HL60",
    population: "hl60",
    events: 2800,
    flowRate: 0.16,
    date: "2018-11-02",
    software: SW.old,
    frameRate: 1600,
    channelWidth: 30,
  }),
  file("blood-006", {
    sample: "whole blood",
    population: "blood",
    events: 2000,
    flowRate: 0.06,
    date: "2019-10-21",
    time: "14:12:51",
    software: SW.mid,
  }),
  file("blood-012", {
    sample: "whole blood",
    population: "blood",
    events: 1800,
    flowRate: 0.12,
    date: "2019-10-21",
    time: "14:30:02",
    software: SW.mid,
    images: false,
  }),
  file("blood-032", {
    sample: "whole blood",
    population: "blood",
    events: 1500,
    flowRate: 0.32,
    date: "2019-10-21",
    time: "14:51:40",
    channelWidth: 30,
    software: SW.mid,
  }),
  file("beads-fl-1", {
    sample: "calibration_beads",
    population: "beads",
    events: 120,
    flowRate: 0.06,
    date: "2018-12-11",
    images: true,
    fluorescence: true,
    software: SW.old,
    frameRate: 1600,
    pixelSize: 0.34,
    medium: "CellCarrier",
  }),
  file("beads-fl-2", {
    sample: "calibration_beads",
    population: "beads",
    events: 600,
    flowRate: 0.06,
    date: "2018-12-11",
    time: "10:21:09",
    fluorescence: true,
    software: SW.old,
    frameRate: 1600,
    medium: "CellCarrier",
  }),
  file("rbc-004", {
    sample: "RBC donor 1",
    population: "rbc",
    events: 1200,
    flowRate: 0.04,
    date: "2021-03-15",
    software: SW.new,
    frameRate: 4000,
  }),
  file("rbc-006", {
    sample: "RBC donor 1",
    population: "rbc",
    events: 1600,
    flowRate: 0.06,
    date: "2021-03-15",
    time: "11:02:33",
    software: SW.new,
    frameRate: 4000,
  }),
  file("rbc-012", {
    sample: "RBC donor 1",
    population: "rbc",
    events: 1400,
    flowRate: 0.12,
    date: "2021-03-15",
    time: "11:20:41",
    software: SW.new,
    frameRate: 4000,
  }),
  file("hl60-drug-a", {
    sample: "HL60 + cytochalasin D",
    population: "hl60",
    events: 900,
    flowRate: 0.16,
    date: "2022-07-07",
    channelWidth: 30,
    pixelSize: 0.339,
    frameRate: 4000,
  }),
  file("hl60-drug-b", {
    sample: "HL60 control",
    population: "hl60",
    events: 1100,
    flowRate: 0.16,
    date: "2022-07-07",
    time: "15:44:10",
    channelWidth: 30,
    pixelSize: 0.339,
    frameRate: 4000,
  }),
  file("donor-a-006", {
    sample: "donor A blood",
    population: "blood",
    events: 2500,
    flowRate: 0.06,
    date: "2023-02-01",
    software: SW.latest,
    frameRate: 4000,
  }),
  file("donor-a-012", {
    sample: "donor A blood",
    population: "blood",
    events: 2200,
    flowRate: 0.12,
    date: "2023-02-01",
    time: "09:55:20",
    software: SW.latest,
    frameRate: 4000,
  }),
  file("cohort-006", {
    sample: "patient cohort P1",
    population: "blood",
    events: 1900,
    flowRate: 0.06,
    date: "2023-09-12",
    software: SW.latest,
  }),
  file("cohort-012", {
    sample: "patient cohort P1",
    population: "blood",
    events: 1700,
    flowRate: 0.12,
    date: "2023-09-12",
    time: "12:12:12",
    software: SW.latest,
  }),
  file("cohort-032", {
    sample: "patient cohort P1",
    population: "blood",
    events: 1300,
    flowRate: 0.32,
    date: "2023-09-12",
    time: "12:40:00",
    channelWidth: 30,
    software: SW.latest,
  }),
  file("unshared", {
    sample: "preliminary RBC",
    population: "rbc",
    events: 400,
    flowRate: 0.04,
    date: "2024-01-10",
    software: SW.latest,
  }),
  file("draft-a", {
    sample: "RBC storage day 3",
    population: "rbc",
    events: 700,
    flowRate: 0.06,
    date: "2025-01-20",
    software: SW.latest,
  }),
  file("platelets", {
    sample: "platelet-rich plasma",
    population: "platelets",
    events: 150,
    flowRate: 0.32,
    date: "2024-11-05",
    images: true,
    software: SW.latest,
    frameRate: 4000,
    pixelSize: 0.339,
  }),
  file("beads-bob-1", {
    sample: "polystyrene beads 5um",
    population: "beads",
    events: 800,
    flowRate: 0.04,
    date: "2021-06-01",
    fluorescence: true,
    medium: "water",
  }),
  file("beads-bob-2", {
    sample: "polystyrene beads 5um",
    population: "beads",
    events: 800,
    flowRate: 0.08,
    date: "2021-06-01",
    time: "10:40:00",
    fluorescence: true,
    medium: "water",
  }),
  file("jurkat-002", {
    sample: "Jurkat",
    population: "jurkat",
    events: 1000,
    flowRate: 0.02,
    date: "2022-02-14",
    channelWidth: 20,
  }),
  file("jurkat-020", {
    sample: "Jurkat",
    population: "jurkat",
    events: 1000,
    flowRate: 0.2,
    date: "2022-02-14",
    time: "13:30:00",
    channelWidth: 30,
  }),
  file("bob-private", {
    sample: "Jurkat knock-down",
    population: "jurkat",
    events: 600,
    flowRate: 0.12,
    date: "2024-05-30",
    channelWidth: 30,
  }),
  file("bob-draft", {
    sample: "Jurkat knock-down 2",
    population: "jurkat",
    events: 300,
    flowRate: 0.16,
    date: "2025-02-02",
    channelWidth: 30,
  }),
  file("wide-channel", {
    sample: "HL60 wide channel",
    population: "hl60",
    events: 100,
    flowRate: 0.2,
    date: "2023-05-02",
    channelWidth: 40,
    pixelSize: 0.339,
    frameRate: 4000,
    images: true,
    tables: true,
    software: SW.latest,
  }),
];

const CC0 = "CC0-1.0";
const BY = "CC-BY-4.0";

/** The datasets of the sample catalog. */
export const SAMPLE_DATASETS: DatasetSpec[] = [
  {
    name: "figshare-7771184-v2",
    title: "Reference data set: HL60 cells at different flow rates",
    notes: "HL60 cells measured with real-time deformability cytometry at four flow rates.",
    authors: "Paul Müller, Maik Herbig, Jochen Guck",
    doi: "10.6084/m9.figshare.7771184.v2",
    references: "doi:10.1038/nmeth.3281",
    license: CC0,
    circle: "figshare-import",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["HL60", "flow rate", "reference"],
    collections: ["figshare-collection"],
    created: "2019-03-01T10:04:00.000000",
    resources: [
      { file: "hl60-004", name: "M001_data.rtdc" },
      { file: "hl60-008", name: "M002_data.rtdc" },
      { file: "hl60-012", name: "M003_data.rtdc" },
      { file: "hl60-016", name: "M004_data.rtdc" },
    ],
  },
  {
    name: "figshare-11302595-v1",
    title: "Whole blood measured at three flow rates",
    notes: "Human whole blood diluted in CellCarrierB.",
    authors: "Maik Herbig, Martin Kräter",
    doi: "10.6084/m9.figshare.11302595.v1",
    references: "doi:10.1016/j.bpj.2020.03.004",
    license: BY,
    circle: "figshare-import",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["blood", "reference"],
    collections: ["figshare-collection"],
    created: "2019-11-20T08:30:00.000000",
    resources: [
      { file: "blood-006", name: "blood_0.06.rtdc" },
      { file: "blood-012", name: "blood_0.12.rtdc" },
      { file: "blood-032", name: "blood_0.32.rtdc" },
    ],
  },
  {
    name: "figshare-12497081-v1",
    title: "Calibration beads with fluorescence",
    notes: "Fluorescent beads in a 20 µm channel (RT-FDC).",
    authors: "Philipp Rosendahl",
    doi: "10.6084/m9.figshare.12497081.v1",
    license: CC0,
    circle: "figshare-import",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["calibration", "fluorescence", "beads"],
    collections: ["figshare-collection", "calibration-beads"],
    created: "2020-06-15T12:00:00.000000",
    resources: [
      { file: "beads-fl-1", name: "calibration_beads.rtdc" },
      { file: "beads-fl-2", name: "calibration_beads_2.rtdc" },
    ],
  },
  {
    name: "alice-rbc-flow-series",
    title: "Red blood cells: flow rate series",
    notes: "RBC deformation grows with the flow rate.",
    authors: "Alice Liddell, Charles Dodgson",
    license: BY,
    circle: "alice-lab",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["RBC", "blood", "flow rate"],
    collections: [],
    created: "2021-03-20T09:00:00.000000",
    resources: [
      { file: "rbc-004", name: "rbc_0.04.rtdc" },
      { file: "rbc-006", name: "rbc_0.06.rtdc" },
      { file: "rbc-012", name: "rbc_0.12.rtdc" },
    ],
  },
  {
    name: "alice-hl60-drug-treatment",
    title: "HL60 cells treated with cytochalasin D",
    notes: "Actin disruption softens HL60 cells.",
    authors: "Alice Liddell",
    references: "doi:10.1186/s12859-020-03553-y, arXiv:1507.00466",
    license: BY,
    circle: "alice-lab",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["HL60", "drug"],
    collections: ["shared-collection"],
    created: "2022-07-10T15:00:00.000000",
    resources: [
      { file: "hl60-drug-a", name: "treated.rtdc" },
      { file: "hl60-drug-b", name: "control.rtdc" },
    ],
  },
  {
    name: "alice-private-donor-a",
    title: "Donor A blood (private)",
    notes: "Not yet published: donor A.",
    authors: "Alice Liddell",
    license: BY,
    circle: "alice-lab",
    creator: "alice",
    private: true,
    state: "active",
    tags: ["blood", "donor"],
    collections: ["shared-collection"],
    created: "2023-02-02T10:00:00.000000",
    resources: [
      { file: "donor-a-006", name: "donor_a_0.06.rtdc" },
      { file: "donor-a-012", name: "donor_a_0.12.rtdc" },
    ],
  },
  {
    name: "alice-private-patient-cohort",
    title: "Patient cohort P1 (private)",
    notes: "Blood of cohort P1 at three flow rates.",
    authors: "Alice Liddell, Bob Baumeister",
    license: BY,
    circle: "alice-lab",
    creator: "alice",
    private: true,
    state: "active",
    tags: ["blood", "cohort"],
    collections: ["shared-collection"],
    created: "2023-09-14T08:00:00.000000",
    resources: [
      { file: "cohort-006", name: "p1_0.06.rtdc" },
      { file: "cohort-012", name: "p1_0.12.rtdc" },
      { file: "cohort-032", name: "p1_0.32.rtdc" },
    ],
  },
  {
    name: "alice-private-unshared",
    title: "Preliminary RBC measurement (private, unshared)",
    notes: "Only Alice's circle sees this.",
    authors: "Alice Liddell",
    license: CC0,
    circle: "alice-lab",
    creator: "alice",
    private: true,
    state: "active",
    tags: ["RBC"],
    collections: [],
    created: "2024-01-11T10:00:00.000000",
    resources: [{ file: "unshared", name: "preliminary.rtdc" }],
  },
  {
    name: "alice-draft-storage",
    title: "RBC storage (draft)",
    notes: "An upload in progress.",
    authors: "Alice Liddell",
    license: CC0,
    circle: "alice-lab",
    creator: "alice",
    private: true,
    state: "draft",
    tags: [],
    collections: [],
    created: "2025-01-21T10:00:00.000000",
    resources: [{ file: "draft-a", name: "storage_day3.rtdc" }],
  },
  {
    name: "alice-platelets-2024",
    title: "Platelets in plasma",
    notes: "Platelet-rich plasma with images.",
    authors: "Alice Liddell",
    license: BY,
    circle: "alice-lab",
    creator: "alice",
    private: false,
    state: "active",
    tags: ["platelets", "images"],
    collections: [],
    created: "2024-11-06T10:00:00.000000",
    resources: [{ file: "platelets", name: "platelets.rtdc" }],
  },
  {
    name: "bob-beads-calibration",
    title: "Polystyrene beads for calibration",
    notes: "Fluorescent 5 µm beads at two flow rates.",
    authors: "Bob Baumeister",
    license: CC0,
    circle: "bob-lab",
    creator: "bob",
    private: false,
    state: "active",
    tags: ["calibration", "beads", "fluorescence"],
    collections: ["calibration-beads"],
    created: "2021-06-02T11:00:00.000000",
    resources: [
      { file: "beads-bob-1", name: "beads_0.04.rtdc" },
      { file: "beads-bob-2", name: "beads_0.08.rtdc" },
    ],
  },
  {
    name: "bob-jurkat-cells",
    title: "Jurkat cells at low and high flow",
    notes: "Jurkat T cells.",
    authors: "Bob Baumeister",
    license: BY,
    circle: "bob-lab",
    creator: "bob",
    private: false,
    state: "active",
    tags: ["Jurkat"],
    collections: [],
    created: "2022-02-15T10:00:00.000000",
    resources: [
      { file: "jurkat-002", name: "jurkat_0.02.rtdc" },
      { file: "jurkat-020", name: "jurkat_0.20.rtdc" },
    ],
  },
  {
    name: "bob-private-knockdown",
    title: "Jurkat knock-down (private)",
    notes: "Private to Bob's circle.",
    authors: "Bob Baumeister",
    license: BY,
    circle: "bob-lab",
    creator: "bob",
    private: true,
    state: "active",
    tags: ["Jurkat"],
    collections: [],
    created: "2024-06-01T10:00:00.000000",
    resources: [{ file: "bob-private", name: "knockdown.rtdc" }],
  },
  {
    name: "bob-draft-knockdown-2",
    title: "Jurkat knock-down 2 (draft)",
    notes: "An upload in progress.",
    authors: "Bob Baumeister",
    license: BY,
    circle: "bob-lab",
    creator: "bob",
    private: false,
    state: "draft",
    tags: [],
    collections: [],
    created: "2025-02-03T10:00:00.000000",
    resources: [{ file: "bob-draft", name: "knockdown2.rtdc" }],
  },
  {
    name: "bob-wide-channel-hl60",
    title: "HL60 in a 40 µm channel",
    notes: "Images, contours and a monitoring table.",
    authors: "Bob Baumeister, Alice Liddell",
    license: BY,
    circle: "bob-lab",
    creator: "bob",
    private: false,
    state: "active",
    tags: ["HL60", "images", "wide channel"],
    collections: [],
    created: "2023-05-03T10:00:00.000000",
    resources: [{ file: "wide-channel", name: "wide_channel.rtdc" }],
  },
];
