import { CKANAPI } from "@dcor/api";
import { describe, expectTypeOf, it } from "vitest";
import type { InterrogatorAPI } from "./types.js";

describe("InterrogatorAPI", () => {
  it("is satisfied by CKANAPI of @dcor/api", () => {
    expectTypeOf<CKANAPI>().toExtend<InterrogatorAPI>();
    const api: InterrogatorAPI = new CKANAPI({ server: "http://127.0.0.1:9" });
    expectTypeOf(api.hasApiKey).toBeBoolean();
  });
});
