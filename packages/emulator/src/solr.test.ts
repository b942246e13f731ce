import { describe, expect, it } from "vitest";
import {
  matches,
  parseSolr,
  parseSolrDate,
  plainTextScore,
  type SolrDocument,
  SolrSyntaxError,
  tokens,
} from "./solr.js";

const doc: SolrDocument = {
  fields: {
    organization: ["alice-lab"],
    groups: ["shared-collection", "figshare-collection"],
    creator_user_id: ["u-alice"],
    state: ["active"],
    name: ["alice-rbc-flow-series"],
    title: ["Red blood cells: flow rate series"],
    metadata_modified: ["2023-05-01T10:00:00.000000"],
    res_extras_sha256: ["abc123"],
    num_resources: ["3"],
  },
  text: tokens("alice-rbc-flow-series Red blood cells: flow rate series HL60"),
};

const q = (text: string) => matches(parseSolr(text), doc, Date.parse("2025-01-01T00:00:00Z"));

describe("solr parser", () => {
  it("matches fielded terms exactly", () => {
    expect(q("organization:alice-lab")).toBe(true);
    expect(q("organization:alice")).toBe(false);
    expect(q("groups:shared-collection")).toBe(true);
    expect(q("res_extras_sha256:abc123")).toBe(true);
  });

  it("handles +/- and boolean operators with parentheses", () => {
    expect(q("+creator_user_id:u-alice")).toBe(true);
    expect(q("-creator_user_id:u-alice")).toBe(false);
    expect(q("(organization:bob-lab OR organization:alice-lab) AND groups:shared-collection")).toBe(
      true,
    );
    expect(q("(organization:bob-lab OR organization:x) AND groups:shared-collection")).toBe(false);
    expect(q("organization:alice-lab AND NOT state:draft")).toBe(true);
    expect(q("organization:alice-lab -state:active")).toBe(false);
    expect(q("organization:alice-lab && !state:draft")).toBe(true);
    expect(q("groups:(nope OR figshare-collection)")).toBe(true);
  });

  it("evaluates date ranges with escapes and NOW", () => {
    expect(q("metadata_modified:[2023-01-01T00\\:00\\:00Z TO NOW]")).toBe(true);
    expect(q("metadata_modified:[2024-01-01T00:00:00Z TO NOW]")).toBe(false);
    expect(q("metadata_modified:[* TO 2023-05-01T10:00:00Z]")).toBe(true);
    expect(q("metadata_modified:{* TO 2023-05-01T10:00:00Z}")).toBe(false);
    expect(q("metadata_modified:[NOW-5YEARS TO NOW]")).toBe(true);
    expect(q("num_resources:[2 TO 3]")).toBe(true);
  });

  it("supports phrases, wildcards, *:* and default-field text", () => {
    expect(q("*:*")).toBe(true);
    expect(q('title:"blood cells"')).toBe(true);
    expect(q('title:"cells blood"')).toBe(false);
    expect(q("name:alice-*")).toBe(true);
    expect(q("name:bob-*")).toBe(false);
    expect(q("hl60 AND organization:alice-lab")).toBe(true);
    expect(q("name:alice\\-rbc\\-flow\\-series")).toBe(true);
  });

  it("rejects malformed queries with SolrSyntaxError", () => {
    for (const bad of [
      "(organization:a",
      'title:"open',
      "metadata_modified:[a TO",
      "organization:",
      "AND",
    ]) {
      expect(() => parseSolr(bad), bad).toThrow(SolrSyntaxError);
    }
  });

  it("parses NOW date math", () => {
    const now = Date.parse("2025-03-10T12:34:56Z");
    expect(parseSolrDate("NOW", now)).toBe(now);
    expect(parseSolrDate("NOW-1DAY", now)).toBe(now - 864e5);
    expect(parseSolrDate("NOW/DAY", now)).toBe(Date.parse("2025-03-10T00:00:00Z"));
    expect(parseSolrDate("2024-01-01T00:00:00Z")).toBe(Date.parse("2024-01-01T00:00:00Z"));
  });

  it("scores plain text like dismax with mm", () => {
    expect(plainTextScore("blood", doc)).toBeGreaterThan(0);
    expect(plainTextScore("BLOOD Cells", doc)).toBe(2);
    expect(plainTextScore("blood platelets", doc)).toBe(0);
    expect(plainTextScore("red blood cells flow zebrafish", doc)).toBeGreaterThan(0);
  });
});
