import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "./errors.js";
import { groupByMetadata, isDCResource, listDCResources, resourceConfig } from "./resources.js";
import type { DatasetLike, ResourceLike as Resource } from "./types.js";

const res = (id: string, extra: Partial<Resource> = {}): Resource => ({
  id,
  name: `${id}.rtdc`,
  mimetype: "RT-DC",
  ...extra,
});

describe("isDCResource", () => {
  it("accepts RT-DC mimetype or .rtdc name", () => {
    expect(isDCResource({ name: "x.rtdc", mimetype: null })).toBe(true);
    expect(isDCResource({ name: "X.RTDC" })).toBe(true);
    expect(isDCResource({ name: "data", mimetype: "RT-DC" })).toBe(true);
    expect(isDCResource({ name: "notes.txt", mimetype: "text/plain" })).toBe(false);
    expect(isDCResource({ name: "x.rtdc.json", mimetype: "application/json" })).toBe(false);
  });
});

describe("resourceConfig", () => {
  it("nests dc:section:key fields and ignores others", () => {
    const cfg = resourceConfig(
      res("r", {
        "dc:setup:flow rate": 0.06,
        "dc:setup:chip region": "channel",
        "dc:experiment:event count": 47,
        "dc:weird": 1,
        "sp:chip:comments": "x",
        size: 3,
      }),
    );
    expect(cfg).toEqual({
      setup: { "flow rate": 0.06, "chip region": "channel" },
      experiment: { "event count": 47 },
    });
  });
  it("is empty without dc fields", () => {
    expect(resourceConfig({ id: "a", name: "b" })).toEqual({});
  });
});

describe("listDCResources", () => {
  it("lists DC resources of all datasets once, with package_id", () => {
    const datasets: (DatasetLike & { name: string })[] = [
      {
        id: "d1",
        name: "one",
        resources: [res("a", { package_id: "d1" }), { id: "t", name: "t.txt" }],
      },
      { id: "d2", name: "two", resources: [res("b"), res("a", { package_id: "d1" })] },
      { id: "d3", name: "three" },
    ];
    const list = listDCResources(datasets);
    expect(list.map((r) => r.id)).toEqual(["a", "b"]);
    expect(list[1]!.package_id).toBe("d2");
    expect(datasets[1]!.resources![0]!.package_id).toBeUndefined(); // input unchanged
  });
});

describe("groupByMetadata", () => {
  const flowRates = [0.04, 0.06, 0.12, 0.16, 0.32];
  // float32-rounded values as DCOR stores them, plus misfits
  const stored: [string, unknown][] = [
    ["r1", 0.03999999910593033],
    ["r2", 0.05999999865889549],
    ["r3", 0.06],
    ["r4", 0.11999999731779099],
    ["r5", 0.1599999964237213],
    ["r6", 0.3199999928474426],
    ["r7", 0.08],
    ["r8", undefined],
    ["r9", "0.12"],
    ["r10", "fast"],
  ];
  const resources = stored.map(([id, v]) =>
    res(id, v === undefined ? {} : { "dc:setup:flow rate": v }),
  );

  it("groups the flow-rate example with an others bucket", () => {
    const { groups, others } = groupByMetadata(resources, "dc:setup:flow rate", flowRates);
    expect(groups.map((g) => [g.value, g.resources.map((r) => r.id)])).toEqual([
      [0.04, ["r1"]],
      [0.06, ["r2", "r3"]],
      [0.12, ["r4", "r9"]],
      [0.16, ["r5"]],
      [0.32, ["r6"]],
    ]);
    expect(others.map((r) => r.id)).toEqual(["r7", "r8", "r10"]);
  });

  it("accepts the key without dc: prefix", () => {
    const { groups } = groupByMetadata(resources, "setup:flow rate", [0.06]);
    expect(groups[0]!.resources).toHaveLength(2);
  });

  it("respects the tolerances", () => {
    const strict = groupByMetadata(resources, "setup:flow rate", [0.06], { rtol: 0, atol: 0 });
    expect(strict.groups[0]!.resources.map((r) => r.id)).toEqual(["r3"]);
    const loose = groupByMetadata(resources, "setup:flow rate", [0.06], {
      rtol: 0,
      atol: 0.0200000005,
    });
    expect(loose.groups[0]!.resources.map((r) => r.id)).toEqual(["r2", "r3", "r7"]);
  });

  it("puts a value into the nearest of several matching groups", () => {
    const { groups } = groupByMetadata([res("x", { "dc:a:b": 0.107 })], "a:b", [0.1, 0.11], {
      atol: 0.01,
    });
    expect(groups[1]!.resources).toHaveLength(1);
    expect(groups[0]!.resources).toHaveLength(0);
  });

  it("rejects bad tolerances and values", () => {
    expect(() => groupByMetadata([], "k", [1], { rtol: -1 })).toThrow(InvalidOptionError);
    expect(() => groupByMetadata([], "k", [Number.NaN])).toThrow(InvalidOptionError);
  });
});
