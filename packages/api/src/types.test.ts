import { describe, expect, expectTypeOf, it } from "vitest";
import { CKANAPI } from "./client.js";
import { APIConflictError, DCORError, type DCORErrorCode } from "./errors.js";
import type {
  Dataset,
  DCServBasin,
  PackageSearchResult,
  Resource,
  StatusShow,
  User,
} from "./types.js";

// These checks run in `tsc -p tsconfig.json` (the file is part of the project); at runtime the
// test only makes sure the calls are well-formed without touching the network.
describe("typed results", () => {
  it("infers result types from the action name and accepts explicit ones", () => {
    const api = new CKANAPI({ server: "127.0.0.1:1" });
    const typed = () => {
      expectTypeOf(api.get("package_show", { id: "x" })).resolves.toEqualTypeOf<Dataset>();
      expectTypeOf(
        api.get("package_search", { q: "x" }),
      ).resolves.toEqualTypeOf<PackageSearchResult>();
      expectTypeOf(api.get("status_show")).resolves.toEqualTypeOf<StatusShow>();
      expectTypeOf(api.get("resource_show", { id: "r" })).resolves.toEqualTypeOf<Resource>();
      expectTypeOf(api.get<{ a: 1 }>("my_plugin_action")).resolves.toEqualTypeOf<{ a: 1 }>();
      expectTypeOf(api.get<Dataset>("package_show")).resolves.toEqualTypeOf<Dataset>();
      expectTypeOf(api.get("not_in_the_map")).resolves.toBeUnknown();
      expectTypeOf(api.dcserv("rid", "basins")).resolves.toEqualTypeOf<DCServBasin[]>();
      expectTypeOf(api.dcserv("rid", "size")).resolves.toEqualTypeOf<number>();
      expectTypeOf(api.getUserDict()).resolves.toEqualTypeOf<User>();
      expectTypeOf(api.isAvailable()).resolves.toEqualTypeOf<boolean>();
      // Known parameters are checked, unknown ones pass.
      api.get("package_search", { q: "x", rows: 10, include_private: true, custom_key: "ok" });
      // @ts-expect-error rows is a number
      api.get("package_search", { rows: "10" });
      // @ts-expect-error package_show needs an id
      api.get("package_show", { name: "x" });
      api.get("some_plugin_action", { anything: [1, 2], flag: false });
    };
    expect(typeof typed).toBe("function");
  });

  it("types dc: metadata keys of resources", () => {
    const resource = { "dc:setup:flow rate": 0.16 } as unknown as Resource;
    expectTypeOf(resource["dc:setup:flow rate"]).toEqualTypeOf<
      string | number | boolean | null | undefined
    >();
    expect(resource["dc:setup:flow rate"]).toBe(0.16);
  });

  it("gives every error a literal code", () => {
    const e = new APIConflictError("x", { fieldErrors: { a: ["b"] } });
    expectTypeOf(e.code).toEqualTypeOf<"DCOR_CONFLICT">();
    expectTypeOf<DCORError["code"]>().toEqualTypeOf<DCORErrorCode>();
    expect(e).toBeInstanceOf(DCORError);
    expect(e.name).toBe("APIConflictError");
  });
});
