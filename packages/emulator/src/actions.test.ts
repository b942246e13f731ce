import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, SAMPLE_USERS, startEmulator } from "./index.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;
let emu: Emulator;
const token = (name: string) => SAMPLE_USERS.find((u) => u.name === name)?.token as string;

async function call(
  action: string,
  params: Record<string, string> = {},
  user?: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json; type: string | null }> {
  const qs = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {
    ...(user ? { Authorization: token(user) } : {}),
    ...((init.headers as Record<string, string>) ?? {}),
  };
  const r = await fetch(`${emu.apiUrl}${action}${qs ? `?${qs}` : ""}`, { ...init, headers });
  const text = await r.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: r.status, body, type: r.headers.get("content-type") };
}

function post(action: string, body: string, user?: string, type = "application/json") {
  return call(action, {}, user, { method: "POST", body, headers: { "Content-Type": type } });
}

beforeAll(async () => {
  emu = await startEmulator({
    synthetic: 3000,
    users: [{ name: "root", token: "root-token-123", sysadmin: true }],
  });
});
afterAll(async () => {
  await emu?.close();
});

describe("CKAN envelopes and errors", () => {
  it("wraps results in {help, success, result} with CKAN's content type", async () => {
    const r = await call("package_show", { id: "figshare-7771184-v2" });
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/json;charset=utf-8");
    expect(Object.keys(r.body)).toEqual(["help", "success", "result"]);
    expect(r.body.result.num_resources).toBe(4);
    const byId = await call("package_show", { id: r.body.result.id });
    expect(byId.body.result.name).toBe("figshare-7771184-v2");
  });

  it("answers an unknown action with a bare 400 string", async () => {
    const r = await call("site_read");
    expect(r.status).toBe(400);
    expect(r.body).toBe("Bad request: Action name not known: site_read");
    const p = await post("no_such_action", "{}");
    expect(p.body).toBe("Bad request: Action name not known: no_such_action");
  });

  it("refuses GET for write actions with a bare 400 string", async () => {
    for (const action of ["package_create", "package_revise", "follow_dataset"]) {
      const r = await call(action);
      expect(r.status).toBe(400);
      expect(r.body).toBe(
        "Bad request: JSON Error: Invalid request. Please use POST method for your request",
      );
    }
  });

  it("rejects malformed POST bodies with 400 and never crashes", async () => {
    for (const body of ["{not json", "[1,2]", '"string"', "null"]) {
      const r = await post("package_show", body);
      expect(r.status).toBe(400);
      expect(typeof r.body).toBe("string");
      expect(r.body.startsWith("Bad request: JSON Error")).toBe(true);
    }
    const ok = await post("package_show", JSON.stringify({ id: "bob-jurkat-cells" }));
    expect(ok.body.result.name).toBe("bob-jurkat-cells");
    const form = await post(
      "package_show",
      "id=bob-jurkat-cells",
      undefined,
      "application/x-www-form-urlencoded",
    );
    expect(form.body.result.name).toBe("bob-jurkat-cells");
    const raw = await fetch(`${emu.apiUrl}%ZZ`);
    expect(raw.status).toBeGreaterThanOrEqual(400);
  });

  it("answers 404 and 403 with CKAN's error dicts", async () => {
    const nf = await call("package_show", { id: "does-not-exist" });
    expect(nf.status).toBe(404);
    expect(nf.body.error).toEqual({ __type: "Not Found Error", message: "Not found" });
    const ds = emu.catalog.datasets.find((d) => d.name === "alice-private-donor-a") as Json;
    const anon = await call("package_show", { id: "alice-private-donor-a" });
    expect(anon.status).toBe(403);
    expect(anon.body.error.message).toBe(
      `Access denied: User  not authorized to read package ${ds.id}`,
    );
    const eve = await call("package_show", { id: "alice-private-donor-a" }, "eve");
    expect(eve.body.error.message).toBe(
      `Access denied: User eve not authorized to read package ${ds.id}`,
    );
    expect((await call("package_show", { id: "alice-private-donor-a" }, "bob")).status).toBe(200);
    const missing = await call("package_show");
    expect(missing.status).toBe(409);
    expect(missing.body.error).toEqual({ id: ["Missing value"], __type: "Validation Error" });
    const rs = await call("resource_show", { id: ds.resources[0].id });
    expect(rs.status).toBe(403);
    const rsOk = await call("resource_show", { id: ds.resources[0].id }, "alice");
    expect(rsOk.body.result.package_id).toBe(ds.id);
  });

  it("treats an invalid token as anonymous", async () => {
    const r = await fetch(`${emu.apiUrl}package_show?id=alice-private-donor-a`, {
      headers: { Authorization: "invalid" },
    });
    expect(r.status).toBe(403);
    const u = await fetch(`${emu.apiUrl}user_show`, { headers: { Authorization: "invalid" } });
    expect(u.status).toBe(403);
  });

  it("answers 409 for a write action it does not implement (403 anonymous)", async () => {
    expect((await post("package_create", "{}")).status).toBe(403);
    const r = await post("package_create", "{}", "alice");
    expect(r.status).toBe(409);
    expect(r.body.success).toBe(false);
  });
});

describe("users, follows and collaborators", () => {
  it("user_show shows only yourself", async () => {
    const anon = await call("user_show");
    expect(anon.status).toBe(403);
    expect(anon.body.error).toEqual({
      __type: "Authorization Error",
      message: "Access denied: Users may only view their own details",
    });
    const me = await call("user_show", {}, "alice");
    expect(me.body.result.name).toBe("alice");
    expect(me.body.result.email).toBe("alice@example.org");
    expect((await call("user_show", { id: "bob" }, "alice")).status).toBe(403);
    const root = await fetch(`${emu.apiUrl}user_show?id=bob`, {
      headers: { Authorization: "root-token-123" },
    });
    expect(((await root.json()) as Json).result.name).toBe("bob");
    expect((await call("user_list", {}, "alice")).status).toBe(403);
  });

  it("lists and changes followed datasets", async () => {
    const list = await call("dataset_followee_list", { id: "bob" }, "bob");
    expect(list.body.result.map((d: Json) => d.name).sort()).toEqual([
      "alice-private-donor-a",
      "figshare-7771184-v2",
    ]);
    expect((await call("dataset_followee_list", { id: "bob" })).status).toBe(403);
    expect((await call("dataset_followee_list", { id: "bob" }, "eve")).status).toBe(403);
    const f = await post("follow_dataset", JSON.stringify({ id: "bob-jurkat-cells" }), "eve");
    expect(f.status).toBe(200);
    const again = await post("follow_dataset", JSON.stringify({ id: "bob-jurkat-cells" }), "eve");
    expect(again.status).toBe(409);
    const eve = await call("dataset_followee_list", { id: "eve" }, "eve");
    expect(eve.body.result.map((d: Json) => d.name)).toEqual(["bob-jurkat-cells"]);
    expect(
      (await post("unfollow_dataset", JSON.stringify({ id: "bob-jurkat-cells" }), "eve")).status,
    ).toBe(200);
  });

  it("lists collaborations", async () => {
    const r = await call("package_collaborator_list_for_user", { id: "alice" }, "alice");
    expect(r.body.result).toEqual([]);
    expect((await call("package_collaborator_list_for_user", { id: "alice" })).status).toBe(403);
  });

  it("returns DCOR's license list", async () => {
    const r = await call("license_list");
    expect(r.body.result.map((l: Json) => l.id)).toEqual([
      "none",
      "CC0-1.0",
      "CC-BY-4.0",
      "CC-BY-SA-4.0",
      "CC-BY-NC-4.0",
    ]);
  });
});

describe("circles and collections", () => {
  it("caps organization_list at 25 with all_fields and pages with offset/limit", async () => {
    const names = await call("organization_list");
    const total = names.body.result.length;
    expect(total).toBeGreaterThan(25);
    expect(names.body.result).toContain("figshare-import");
    const full = await call("organization_list", { all_fields: "true" });
    expect(full.body.result).toHaveLength(25);
    expect(full.body.result[0]).toHaveProperty("package_count");
    const rest = await call("organization_list", {
      all_fields: "true",
      offset: "25",
      limit: "1000",
    });
    expect(rest.body.result.length).toBe(total - 25);
    const page = await call("organization_list", { limit: "2", offset: "1" });
    expect(page.body.result).toEqual(names.body.result.slice(1, 3));
  });

  it("group_list and group_show", async () => {
    const groups = await call("group_list", { all_fields: "true", limit: "100" });
    expect(groups.body.result.length).toBeLessThanOrEqual(25);
    const shared = await call("group_show", { id: "shared-collection" }, "bob");
    expect(shared.body.result.package_count).toBe(3);
    const sharedAnon = await call("group_show", { id: "shared-collection" });
    expect(sharedAnon.body.result.package_count).toBe(1);
    expect((await call("group_list", { include_users: "true" })).status).toBe(403);
    expect((await call("group_show", { id: "nope" })).status).toBe(404);
    const org = await call(
      "organization_show",
      { id: "alice-lab", include_datasets: "true" },
      "alice",
    );
    expect(org.body.result.packages.length).toBeLessThanOrEqual(10);
  });

  it("organization_list_for_user respects permissions", async () => {
    const alice = await call(
      "organization_list_for_user",
      { permission: "create_dataset" },
      "alice",
    );
    expect(alice.body.result.map((o: Json) => o.name)).toContain("alice-lab");
    expect(alice.body.result.map((o: Json) => o.name)).not.toContain("figshare-import");
    const read = await call("organization_list_for_user", { permission: "read" }, "alice");
    expect(read.body.result.map((o: Json) => o.name)).toContain("figshare-import");
    const bob = await call("organization_list_for_user", { permission: "manage_group" }, "bob");
    expect(bob.body.result.map((o: Json) => o.name)).not.toContain("bob-lab");
    expect((await call("organization_list_for_user")).body.result).toEqual([]);
  });

  it("group_list_authz lists only collections the user administers", async () => {
    const alice = await call("group_list_authz", {}, "alice");
    expect(alice.body.result.map((g: Json) => g.name)).toContain("shared-collection");
    const bob = await call("group_list_authz", {}, "bob");
    expect(bob.body.result.map((g: Json) => g.name)).not.toContain("shared-collection");
    expect((await call("group_list_authz")).status).toBe(403);
  });
});

describe("dcserv", () => {
  const rid = () =>
    (emu.catalog.datasets.find((d) => d.name === "figshare-12497081-v1") as Json).resources[0]
      .id as string;
  const privateRid = () =>
    (emu.catalog.datasets.find((d) => d.name === "alice-private-donor-a") as Json).resources[0]
      .id as string;

  it("answers every query", async () => {
    const q = async (query: string) =>
      (await call("dcserv", { id: rid(), query, version: "2" })).body.result;
    expect(await q("valid")).toBe(true);
    expect(await q("size")).toBe(120);
    expect(await q("feature_list")).toEqual([]);
    expect(await q("trace_list")).toEqual([
      "fl1_median",
      "fl1_raw",
      "fl2_median",
      "fl2_raw",
      "fl3_median",
      "fl3_raw",
    ]);
    const meta = await q("metadata");
    expect(meta.experiment["event count"]).toBe(120);
    expect(meta.setup["flow rate"]).toBe(0.06);
    const logs = await q("logs");
    expect(Object.keys(logs)).toContain("M1_para.ini");
    expect(Object.keys(logs)).toContain("dcor-emulator-condense");
    expect(await q("tables")).toEqual({});
    const basins = await q("basins");
    expect(basins.map((b: Json) => b.name)).toEqual([
      `condensed-${rid().slice(0, 5)}`,
      `resource-${rid().slice(0, 5)}`,
    ]);
    expect(basins[1].features).toContain("image");
    expect(basins[0].features).not.toContain("image");
    expect(basins[0].urls[0].startsWith(emu.objectStoreUrl)).toBe(true);
  });

  it("answers tables of a file with a monitoring table", async () => {
    const id = (emu.catalog.datasets.find((d) => d.name === "bob-wide-channel-hl60") as Json)
      .resources[0].id;
    const t = (await call("dcserv", { id, query: "tables" })).body.result;
    const [columns, rows] = t.cytoshot_monitor;
    expect(columns).toContain("temperature");
    expect(rows[0][0]).toHaveLength(columns.length);
  });

  it("gives private resources perishable presigned basins", async () => {
    const basins = (await call("dcserv", { id: privateRid(), query: "basins" }, "bob")).body.result;
    expect(basins[0].perishable).toBe(true);
    expect(basins[0].key).toBe(`dcor-presigned-condensed-${privateRid()}`);
    expect(basins[0].time_expiration).toBeGreaterThan(basins[0].time_request);
    expect(basins[0].urls[0]).toContain("X-Amz-Expires=3600");
  });

  it("answers DCOR's dcserv errors", async () => {
    const missing = await call("dcserv", { id: rid() });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toEqual({
      message: "Please specify 'query' parameter!",
      __type: "Validation Error",
    });
    expect((await call("dcserv", { query: "size" })).body.error.message).toBe(
      "Please specify 'id' parameter!",
    );
    expect((await call("dcserv", { id: rid(), query: "size", version: "1" })).status).toBe(409);
    expect(
      (await call("dcserv", { id: rid(), query: "size", version: "3" })).body.error.message,
    ).toBe("Please specify version '1' or '2'!");
    const bad = await call("dcserv", { id: rid(), query: "peter" });
    expect(bad.body.error).toEqual({
      message: "Invalid query parameter 'peter'!",
      __type: "Validation Error",
    });
    const priv = await call("dcserv", { id: privateRid(), query: "size" }, "eve");
    expect(priv.status).toBe(403);
    expect(priv.body.error.message).toBe(
      `Access denied: User eve not authorized to read resource ${privateRid()}`,
    );
    expect(
      (await call("dcserv", { id: "00000000-0000-4000-8000-000000000000", query: "size" })).status,
    ).toBe(404);
  });
});

describe("robustness", () => {
  it("answers odd requests with 4xx and keeps running", async () => {
    const odd: [string, RequestInit][] = [
      [`${emu.apiUrl}package_search?rows=-1`, {}],
      [`${emu.apiUrl}package_search?rows=1e3`, {}],
      [`${emu.apiUrl}package_search?fq_list=[oops`, {}],
      [`${emu.apiUrl}package_search?facet.field=[1,`, {}],
      [`${emu.apiUrl}package_search?q=title:%22unterminated`, {}],
      [`${emu.apiUrl}package_search?q=metadata_modified:[NOW-3FORTNIGHTS TO NOW]`, {}],
      [`${emu.apiUrl}package_search?include_private=maybe`, {}],
      [`${emu.apiUrl}organization_list?limit=x`, {}],
      [`${emu.apiUrl}organization_list?sort=bogus`, {}],
      [`${emu.apiUrl}dcserv?id=&query=`, {}],
      [`${emu.apiUrl}package_show?id=%E2%98%83`, {}],
      [`${emu.apiUrl}package_show`, { method: "DELETE" }],
      [
        `${emu.apiUrl}package_search`,
        {
          method: "POST",
          body: JSON.stringify({ rows: { a: 1 }, q: 5 }),
          headers: { "Content-Type": "application/json" },
        },
      ],
      [
        `${emu.apiUrl}package_search`,
        {
          method: "POST",
          body: "x".repeat(100_000),
          headers: { "Content-Type": "application/json" },
        },
      ],
      [`${emu.url}/api/3/nope`, {}],
      [`${emu.url}/dataset/%ZZ`, {}],
      [`${emu.url}/dataset/x/resource/y/download/z`, {}],
    ];
    for (const [url, init] of odd) {
      const r = await fetch(url, init);
      expect(r.status, url).toBeGreaterThanOrEqual(400);
      expect(r.status, url).toBeLessThan(500);
      await r.arrayBuffer();
    }
    expect((await call("status_show")).status).toBe(200);
  });
});

describe("CKAN routes", () => {
  it("answers /api/3 with the version, JSONP anonymously and /api/action/ like /api/3/action/", async () => {
    const v = await fetch(`${emu.url}/api/3`);
    expect(await v.json()).toEqual({ version: 3 });
    const jsonp = await fetch(`${emu.apiUrl}package_show?id=alice-private-donor-a&callback=cb`, {
      headers: { Authorization: token("alice") },
    });
    const text = await jsonp.text();
    expect(text.startsWith("cb(")).toBe(true);
    expect(text).toContain('"Authorization Error"');
    const short = await fetch(`${emu.url}/api/action/status_show`);
    expect(((await short.json()) as Json).success).toBe(true);
  });
});
