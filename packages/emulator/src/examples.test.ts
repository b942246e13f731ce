/**
 * Compares the emulator's payloads with the example payloads in `shared/data/api-examples`
 * (key sets and value types; values are illustrative there). Skips when the data is absent.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, SAMPLE_USERS, sharedDataDir, startEmulator } from "./index.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;
const shared = sharedDataDir();
const examples = shared ? path.join(shared, "api-examples") : undefined;
if (!examples || !fs.existsSync(examples)) {
  console.warn(
    "examples.test.ts: skipped, shared/data/api-examples not found (set DCOR_SHARED_DATA)",
  );
}
const ready = !!examples && fs.existsSync(examples);
const example = (name: string): Json =>
  JSON.parse(fs.readFileSync(path.join(examples as string, name), "utf8"));
const alice = SAMPLE_USERS[0]?.token as string;

let emu: Emulator;

async function call(
  action: string,
  params: Record<string, string> = {},
  token?: string,
): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${emu.apiUrl}${action}?${new URLSearchParams(params)}`, {
    headers: token ? { Authorization: token } : {},
  });
  return { status: r.status, body: await r.json() };
}

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Same keys, and the same JSON type for every key whose example value is not null. */
function expectSameShape(actual: Json, expected: Json, where: string, ignore: string[] = []): void {
  const a = Object.keys(actual)
    .filter((k) => !ignore.includes(k))
    .sort();
  const e = Object.keys(expected)
    .filter((k) => !ignore.includes(k))
    .sort();
  expect(a, `${where}: keys`).toEqual(e);
  for (const k of e) {
    if (expected[k] === null) continue;
    expect(typeOf(actual[k]), `${where}.${k}`).toBe(typeOf(expected[k]));
  }
}

beforeAll(async () => {
  if (!ready) return;
  emu = await startEmulator({ dataDir: path.join(shared as string, "rtdc", "dcor-fixtures") });
});
afterAll(async () => {
  await emu?.close();
});

describe.skipIf(!ready)("payloads match shared/data/api-examples", () => {
  const fixture = () =>
    emu.catalog.datasets.find((d) =>
      d.resources.some((r: Json) => r.name === "calibration_beads_47.rtdc"),
    ) as Json;

  it("package_show, resource_show and package_search", async () => {
    const ds = (await call("package_show", { id: fixture().id })).body;
    const ex = example("package_show.synth.json");
    expectSameShape(ds, ex, "envelope");
    expectSameShape(ds.result, ex.result, "dataset");
    expectSameShape(ds.result.organization, ex.result.organization, "organization");
    expectSameShape(ds.result.tags[0], ex.result.tags[0], "tag");
    const exRes = example("resource_show.synth.json").result;
    const res = (await call("resource_show", { id: ds.result.resources[0].id })).body.result;
    // sp:* supplements are user-entered on DCOR; the emulator's files carry none
    expectSameShape(res, exRes, "resource", ["sp:general:sample type"]);
    for (const k of ["size", "etag", "sha256", "mimetype", "format"])
      expect(res[k], k).toEqual(exRes[k]);
    for (const [k, v] of Object.entries(exRes))
      if (k.startsWith("dc:")) expect(res[k], k).toEqual(v);
    const grouped = (
      await call("package_search", {
        q: "*:*",
        "facet.field": '["organization","groups"]',
        rows: "1",
      })
    ).body.result;
    expectSameShape(grouped, example("package_search.synth.json").result, "package_search");
  });

  it("dcserv metadata, size, valid, feature_list, trace_list and basins", async () => {
    const rid = fixture().resources[0].id;
    const q = async (query: string) =>
      (await call("dcserv", { id: rid, query, version: "2" })).body;
    const meta = await q("metadata");
    const exMeta = example("dcserv_metadata.synth.json").result;
    for (const section of ["experiment", "fluorescence", "imaging", "online_contour", "setup"]) {
      expect(meta.result[section], section).toMatchObject(
        Object.fromEntries(
          Object.entries(exMeta[section]).filter(([k]) => k !== "software version"),
        ),
      );
    }
    expect((await q("size")).result).toBe(example("dcserv_size.json").result);
    expect((await q("valid")).result).toBe(example("dcserv_valid.json").result);
    expect((await q("feature_list")).result).toEqual(example("dcserv_feature_list.json").result);
    expect((await q("trace_list")).result).toEqual(example("dcserv_trace_list.json").result);
    const basins = (await q("basins")).result;
    const exB = example("dcserv_basins_public.synth.json").result;
    expect(basins).toHaveLength(2);
    basins.forEach((b: Json, i: number) => {
      expectSameShape(b, exB[i], `basin ${i}`);
    });
  });

  it("private basins, users, circles and collections", async () => {
    const priv = emu.catalog.datasets.find((d) => d.name === "alice-private-donor-a") as Json;
    const basins = (await call("dcserv", { id: priv.resources[0].id, query: "basins" }, alice)).body
      .result;
    const exB = example("dcserv_basins_private.synth.json").result;
    basins.forEach((b: Json, i: number) => {
      expectSameShape(b, exB[i], `private basin ${i}`);
    });
    expectSameShape(
      (await call("user_show", {}, alice)).body.result,
      example("user_show.self.synth.json").result,
      "user",
    );
    expectSameShape(
      (await call("status_show")).body.result,
      example("status_show.synth.json").result,
      "status",
    );
    const olfu = (await call("organization_list_for_user", { permission: "read" }, alice)).body
      .result[0];
    expectSameShape(
      olfu,
      example("organization_list_for_user.synth.json").result[0],
      "organization_list_for_user",
    );
    const gl = (await call("group_list", { all_fields: "true" })).body.result[0];
    expectSameShape(gl, example("group_list_all_fields.synth.json").result[0], "group_list");
    expect((await call("license_list")).body.result).toEqual(example("license_list.json").result);
    expect((await call("supported_resource_suffixes")).body.result).toEqual(
      example("supported_resource_suffixes.json").result,
    );
  });

  it("error bodies", async () => {
    const unknown = await call("site_read");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual(example("error_400_unknown_action.json"));
    const nf = await call("package_show", { id: "nope" });
    expect(nf.status).toBe(404);
    expect(nf.body.error).toEqual(example("error_404_not_found.json").error);
    const us = await call("user_show");
    expect(us.status).toBe(403);
    expect(us.body.error).toEqual(example("error_403_user_show_anonymous.json").error);
    const rid = fixture().resources[0].id;
    expect((await call("dcserv", { id: rid })).body.error).toEqual(
      example("error_409_dcserv_missing_query.json").error,
    );
    expect((await call("dcserv", { id: rid, query: "peter" })).body.error).toEqual(
      example("error_409_dcserv_invalid_query.json").error,
    );
    const priv = emu.catalog.datasets.find((d) => d.name === "alice-private-donor-a") as Json;
    const denied = await call(
      "dcserv",
      { id: priv.resources[0].id, query: "size" },
      SAMPLE_USERS[2]?.token,
    );
    expect(denied.status).toBe(403);
    expectSameShape(denied.body, example("error_403_dcserv_private.json"), "403");
    expect(denied.body.error.message).toMatch(
      /^Access denied: User eve not authorized to read resource /,
    );
  });
});
