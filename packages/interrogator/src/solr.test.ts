import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "./errors.js";
import {
  buildFilterQuery,
  datasetComparator,
  escapeSolrTerm,
  escapeSolrText,
  parseSort,
  planFilterQueries,
  solrDate,
  solrFieldMatch,
} from "./solr.js";

describe("escapeSolrText", () => {
  it("gives *:* for empty or blank text", () => {
    expect(escapeSolrText("")).toBe("*:*");
    expect(escapeSolrText("  \t\n ")).toBe("*:*");
  });

  it("keeps plain words as they are", () => {
    expect(escapeSolrText("reference  data")).toBe("reference data");
  });

  it("escapes every special character so none is left unescaped", () => {
    const escaped = escapeSolrText("a+b c-d e&&f g||h !i (j) {k} [l] m^2 n~ o* p? q\\r s/t");
    expect(escaped).toBe(
      "a\\+b c\\-d e\\&\\&f g\\|\\|h \\!i \\(j\\) \\{k\\} \\[l\\] m\\^2 n\\~ o\\* p\\? q\\\\r s\\/t",
    );
    // Remove escape pairs; no special character may remain.
    expect(escaped.replace(/\\./g, "")).not.toMatch(/[+\-&|!(){}[\]^"~*?:\\/]/);
  });

  it("splits at colons and quotes and drops pieces without letters or digits", () => {
    expect(escapeSolrText('+ - && || ! ( ) { } [ ] ^ " ~ * ? : \\ /')).toBe("*:*");
    expect(escapeSolrText('beads:47 "calibration beads"')).toBe("beads 47 calibration beads");
    expect(escapeSolrText("-beads +cells")).toBe("\\-beads \\+cells");
  });

  it("makes operator words literal", () => {
    expect(escapeSolrText("cells AND NOT beads OR TO")).toBe("cells \\AND \\NOT beads \\OR \\TO");
    expect(escapeSolrText("and or")).toBe("and or");
  });

  it("cannot inject a field query", () => {
    expect(escapeSolrText("organization:secret*")).toBe("organization secret\\*");
    expect(escapeSolrText("x) OR organization:(y")).toBe("x\\) \\OR organization \\(y");
  });
});

describe("escapeSolrTerm", () => {
  it("escapes whitespace too", () => {
    expect(escapeSolrTerm("a b")).toBe("a\\ b");
  });
});

describe("solrFieldMatch", () => {
  it("writes CKAN names and ids raw, like DCOR-Aid", () => {
    expect(solrFieldMatch("organization", "alice-lab")).toBe("organization:alice-lab");
    expect(solrFieldMatch("creator_user_id", "0e1d2c3b-4a59")).toBe(
      "creator_user_id:0e1d2c3b-4a59",
    );
  });
  it("quotes anything else", () => {
    expect(solrFieldMatch("groups", 'x) OR (y"')).toBe('groups:"x) OR (y\\""');
    expect(solrFieldMatch("groups", "-neg")).toBe('groups:"-neg"');
  });
});

describe("buildFilterQuery", () => {
  it("is empty without parts", () => {
    expect(buildFilterQuery({})).toBe("");
    expect(buildFilterQuery({ circles: [], collections: [] })).toBe("");
  });
  it("builds DCOR-Aid's circle and collection clauses", () => {
    expect(buildFilterQuery({ circles: ["a"] })).toBe("organization:a");
    expect(buildFilterQuery({ circles: ["a", "b"] })).toBe("(organization:a OR organization:b)");
    expect(buildFilterQuery({ collections: ["x", "y"] })).toBe("(groups:x OR groups:y)");
    expect(buildFilterQuery({ circles: ["a"], collections: ["x"] })).toBe(
      "(organization:a AND groups:x)",
    );
    expect(
      buildFilterQuery({ circles: ["a"], collections: ["x"], circleCollectionUnion: true }),
    ).toBe("(organization:a OR groups:x)");
  });
  it("adds since and filter queries joined by AND", () => {
    const fq = buildFilterQuery({
      filterQueries: ["+creator_user_id:u1"],
      circles: ["a"],
      since: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    expect(fq).toBe(
      "(+creator_user_id:u1 AND organization:a AND metadata_modified:[2024-01-02T03\\:04\\:05Z TO NOW])",
    );
  });
  it("accepts ISO strings and epoch milliseconds for since, keeps milliseconds", () => {
    expect(buildFilterQuery({ since: "2024-01-02T03:04:05.678Z" })).toBe(
      "metadata_modified:[2024-01-02T03\\:04\\:05.678Z TO NOW]",
    );
    expect(buildFilterQuery({ since: 0 })).toBe(
      "metadata_modified:[1970-01-01T00\\:00\\:00Z TO NOW]",
    );
  });
  it("rejects an invalid since with a typed error", () => {
    expect(() => buildFilterQuery({ since: "yesterday-ish" })).toThrow(InvalidOptionError);
  });
});

describe("solrDate", () => {
  it("is UTC", () => {
    expect(solrDate(new Date("2024-06-01T12:00:00+02:00"))).toBe("2024-06-01T10\\:00\\:00Z");
  });
});

describe("planFilterQueries", () => {
  const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);

  it("does not split short lists", () => {
    expect(planFilterQueries({ circles: names("c", 20) })).toHaveLength(1);
  });
  it("splits circles into chunks of 20", () => {
    const plans = planFilterQueries({ circles: names("c", 45) });
    expect(plans).toHaveLength(3);
    for (const p of plans) expect(p.match(/organization:/g)!.length).toBeLessThanOrEqual(20);
    const all = plans.join(" ");
    for (const n of names("c", 45)) expect(all).toContain(`organization:${n})`.slice(0, -1));
  });
  it("crosses chunks for AND and keeps them apart for a union", () => {
    const parts = { circles: names("c", 25), collections: names("g", 41) };
    expect(planFilterQueries(parts)).toHaveLength(2 * 3);
    const union = planFilterQueries({ ...parts, circleCollectionUnion: true });
    expect(union).toHaveLength(2 + 3);
    expect(union[0]).not.toContain("groups:");
    expect(union[4]).not.toContain("organization:");
  });
  it("repeats since and filter queries in every part", () => {
    const plans = planFilterQueries(
      { circles: names("c", 3), since: 0, filterQueries: ["x:y"] },
      2,
    );
    expect(plans).toHaveLength(2);
    for (const p of plans) {
      expect(p).toContain("x:y");
      expect(p).toContain("metadata_modified:[");
    }
  });
  it("rejects a bad chunk size", () => {
    expect(() => planFilterQueries({}, 0)).toThrow(InvalidOptionError);
  });
});

describe("parseSort / datasetComparator", () => {
  it("parses and validates", () => {
    expect(parseSort("metadata_created desc")).toEqual([
      { field: "metadata_created", direction: "desc" },
    ]);
    expect(parseSort("score desc, name ASC")).toHaveLength(2);
    expect(() => parseSort("name desc&fq=x")).toThrow(InvalidOptionError);
    expect(() => parseSort("")).toThrow(InvalidOptionError);
  });
  it("orders like Solr for plain fields and gives up for score", () => {
    const cmp = datasetComparator(parseSort("metadata_created desc, name asc"))!;
    const rows = [
      { name: "b", metadata_created: "2024-01-01T00:00:00" },
      { name: "a", metadata_created: "2024-01-01T00:00:00" },
      { name: "c", metadata_created: "2025-01-01T00:00:00" },
    ];
    expect(rows.sort(cmp).map((r) => r.name)).toEqual(["c", "a", "b"]);
    expect(datasetComparator(parseSort("score desc"))).toBeUndefined();
  });
});
