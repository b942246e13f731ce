import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, SAMPLE_USERS, startEmulator } from "./index.js";

let emu: Emulator;
const token = (name: string) => SAMPLE_USERS.find((u) => u.name === name)?.token as string;
// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;

async function search(
  params: Record<string, string>,
  user?: string,
): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${emu.apiUrl}package_search?${new URLSearchParams(params)}`, {
    headers: user ? { Authorization: token(user) } : {},
  });
  return { status: r.status, body: await r.json() };
}
const names = (body: Json): string[] => body.result.results.map((d: Json) => d.name).sort();

beforeAll(async () => {
  emu = await startEmulator({ synthetic: 1600 });
});
afterAll(async () => {
  await emu?.close();
});

describe("package_search", () => {
  it("filters by circle and collection like DCOR-Aid", async () => {
    const { body } = await search({ q: "*:*", fq: "organization:bob-lab", rows: "100" });
    expect(names(body)).toEqual([
      "bob-beads-calibration",
      "bob-jurkat-cells",
      "bob-wide-channel-hl60",
    ]);
    const both = await search(
      {
        q: "(organization:alice-lab OR organization:bob-lab) AND groups:shared-collection",
        include_private: "true",
        rows: "50",
      },
      "bob",
    );
    expect(names(both.body)).toEqual([
      "alice-hl60-drug-treatment",
      "alice-private-donor-a",
      "alice-private-patient-cohort",
    ]);
  });

  it("applies permissions: anonymous and eve see public data only, collection members private ones", async () => {
    const anon = await search({ q: "groups:shared-collection", include_private: "true" });
    expect(names(anon.body)).toEqual(["alice-hl60-drug-treatment"]);
    const eve = await search({ q: "groups:shared-collection", include_private: "true" }, "eve");
    expect(names(eve.body)).toEqual(["alice-hl60-drug-treatment"]);
    const bad = await fetch(
      `${emu.apiUrl}package_search?q=groups:shared-collection&include_private=true`,
      { headers: { Authorization: "not-a-token" } },
    );
    expect(((await bad.json()) as Json).result.count).toBe(1);
    const bobUnshared = await search(
      { q: "name:alice-private-unshared", include_private: "true" },
      "bob",
    );
    expect(bobUnshared.body.result.count).toBe(0);
    const aliceUnshared = await search(
      { q: "name:alice-private-unshared", include_private: "true" },
      "alice",
    );
    expect(aliceUnshared.body.result.count).toBe(1);
    const noPrivate = await search({ q: "name:alice-private-unshared" }, "alice");
    expect(noPrivate.body.result.count).toBe(0);
  });

  it("finds own and shared data with +/- creator_user_id", async () => {
    const alice = emu.users.find((u) => u.name === "alice")?.id as string;
    const own = await search(
      {
        q: `+creator_user_id:${alice}`,
        fq: "organization:alice-lab",
        include_private: "true",
        rows: "100",
      },
      "alice",
    );
    expect(own.body.result.results.every((d: Json) => d.creator_user_id === alice)).toBe(true);
    const shared = await search(
      { q: `-creator_user_id:${alice} AND groups:shared-collection`, include_private: "true" },
      "alice",
    );
    expect(shared.body.result.count).toBe(0);
  });

  it("lists drafts only with include_drafts and only the creator's", async () => {
    const alice = emu.users.find((u) => u.name === "alice")?.id as string;
    const drafts = await search(
      {
        fq: `creator_user_id:${alice} AND state:draft`,
        include_drafts: "True",
        include_private: "True",
        rows: "100",
      },
      "alice",
    );
    expect(names(drafts.body)).toContain("alice-draft-storage");
    expect(drafts.body.result.results.every((d: Json) => d.state === "draft")).toBe(true);
    const bob = await search(
      { fq: "state:draft", include_drafts: "true", include_private: "true", rows: "1000" },
      "bob",
    );
    expect(names(bob.body)).not.toContain("alice-draft-storage");
    const none = await search({ q: "name:alice-draft-storage", include_private: "true" }, "alice");
    expect(none.body.result.count).toBe(0);
  });

  it("matches metadata_modified ranges and follows touchDataset", async () => {
    const before = await search({
      q: "metadata_modified:[2026-01-01T00\\:00\\:00Z TO NOW]",
      rows: "1000",
    });
    expect(names(before.body)).not.toContain("bob-jurkat-cells");
    emu.touchDataset("bob-jurkat-cells");
    const after = await search({ q: "metadata_modified:[NOW-1HOUR TO NOW]", rows: "1000" });
    expect(names(after.body)).toEqual(["bob-jurkat-cells"]);
  });

  it("sees catalog changes at once even for a repeated (cached) query", async () => {
    const params = { q: "organization:figshare-import", sort: "metadata_modified desc", rows: "1" };
    const first = await search(params);
    const second = await search(params);
    expect(names(second.body)).toEqual(names(first.body));
    const other =
      first.body.result.results[0].name === "figshare-11302595-v1"
        ? "figshare-12497081-v1"
        : "figshare-11302595-v1";
    emu.touchDataset(other);
    const third = await search(params);
    expect(names(third.body)).toEqual([other]);
  });

  it("finds a dataset by res_extras_sha256 and by id", async () => {
    const ds = emu.catalog.datasets.find((d) => d.name === "bob-jurkat-cells") as Json;
    const sha = ds.resources[1].sha256;
    const bySha = await search({ q: `res_extras_sha256:${sha}` });
    expect(names(bySha.body)).toContain("bob-jurkat-cells");
    const byId = await search({ fq: `id:${ds.id}` });
    expect(names(byId.body)).toEqual(["bob-jurkat-cells"]);
  });

  it("matches plain text case-insensitively over titles, tags and resource names", async () => {
    const t = await search({ q: "CYTOCHALASIN" });
    expect(names(t.body)).toEqual(["alice-hl60-drug-treatment"]);
    const r = await search({ q: "wide_channel.rtdc" });
    expect(names(r.body)).toContain("bob-wide-channel-hl60");
    const phrase = await search({ q: 'title:"HL60 cells"' });
    expect(names(phrase.body)).toContain("figshare-7771184-v2");
  });

  it("clamps rows at 1000 and pages with start", async () => {
    const big = await search({ q: "*:*", rows: "5000" });
    expect(big.body.result.count).toBeGreaterThan(1000);
    expect(big.body.result.results).toHaveLength(1000);
    const all: string[] = [];
    for (let start = 0; start < big.body.result.count; start += 400) {
      const page = await search({ q: "*:*", rows: "400", start: String(start), sort: "name asc" });
      all.push(...page.body.result.results.map((d: Json) => d.name));
    }
    expect(all).toHaveLength(big.body.result.count);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(all);
  });

  it("sorts by metadata_created desc", async () => {
    const { body } = await search({
      q: "organization:figshare-import",
      sort: "metadata_created desc",
    });
    const created = body.result.results.map((d: Json) => d.metadata_created);
    expect([...created].sort().reverse()).toEqual(created);
    expect(body.result.sort).toBe("metadata_created desc");
  });

  it("computes facets", async () => {
    const { body } = await search({
      q: "*:*",
      "facet.field": '["organization","groups"]',
      rows: "0",
    });
    expect(body.result.facets.organization["bob-lab"]).toBe(3);
    expect(body.result.facets.groups["figshare-collection"]).toBe(3);
    const items = body.result.search_facets.organization.items;
    expect(items.find((i: Json) => i.name === "alice-lab").display_name).toBe("Alice's Lab");
  });

  it("answers bad parameters with CKAN errors", async () => {
    const rows = await search({ q: "*:*", rows: "abc" });
    expect(rows.status).toBe(409);
    expect(rows.body.error.__type).toBe("Validation Error");
    expect(rows.body.error.rows).toEqual(["Invalid integer"]);
    const syntax = await search({ q: "organization:(a OR" });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.__type).toBe("Search Query Error");
    const field = await search({ q: "nosuchfield:x" });
    expect(field.status).toBe(400);
    const sort = await search({ q: "*:*", sort: "name sideways" });
    expect(sort.status).toBe(400);
  });

  it("pages of 1000 (spliced from cached JSON) are CKAN's order for every sort, also after a change", async () => {
    const truth = emu.catalog.visibleDatasets("alice");
    const expectOrder = (sort: string) => {
      const [field, dir] = sort.split(" ") as [string, string];
      const key = (d: Json): string | number =>
        field === "name" ? d.name : Date.parse(`${d[field].slice(0, 23)}Z`);
      return [...truth]
        .sort((a, b) => {
          const [ka, kb] = [key(a), key(b)];
          const c = ka < kb ? -1 : ka > kb ? 1 : 0;
          return dir === "desc" ? -c : c;
        })
        .map((d) => d.id);
    };
    const list = async (sort: string) => {
      const pages = await Promise.all(
        [0, 1000].map((start) =>
          search(
            { q: "*:*", rows: "1000", start: String(start), sort, include_private: "true" },
            "alice",
          ),
        ),
      );
      return pages.flatMap((p) => p.body.result.results.map((d: Json) => d.id));
    };
    for (const sort of ["metadata_created desc", "metadata_modified asc", "name asc"]) {
      const ids = await list(sort);
      expect(ids.length).toBe(truth.length);
      // ties (same timestamp) may come in either order: compare the keys' order, and the set
      expect(new Set(ids)).toEqual(new Set(expectOrder(sort)));
      const byId = new Map(truth.map((d) => [d.id, d]));
      const field = sort.split(" ")[0] as string;
      const keys = ids.map((id) => (byId.get(id) as Json)[field]);
      const sorted = [...keys].sort();
      expect(keys).toEqual(sort.endsWith("desc") ? sorted.reverse() : sorted);
    }
    emu.touchDataset("figshare-7771184-v2");
    const first = await search(
      { q: "*:*", rows: "1000", sort: "metadata_modified desc", include_private: "true" },
      "alice",
    );
    expect(first.body.result.results[0].name).toBe("figshare-7771184-v2");
  });

  it("a spliced page survives JSONP, throttling and malformed-JSON faults", async () => {
    const url = `${emu.apiUrl}package_search?q=*:*&rows=200&sort=name%20asc`;
    const plain = await (await fetch(url)).text();
    const parsed = JSON.parse(plain);
    expect(parsed.result.results).toHaveLength(200);
    const jsonp = await (await fetch(`${url}&callback=cb`)).text();
    expect(jsonp).toBe(`cb(${plain});`);
    emu.faults.add({ route: "api", bytesPerSecond: 20_000_000, times: 1 });
    expect(await (await fetch(url)).text()).toBe(plain);
    emu.faults.add({ route: "api", malformedJson: true, times: 1 });
    const broken = await (await fetch(url)).text();
    expect(plain.startsWith(broken)).toBe(true);
    expect(broken.length).toBeLessThan(plain.length);
  });
});
