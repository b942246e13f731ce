import { describe, expect, it } from "vitest";
import { initialNavState, navReducer } from "./navigation.js";

describe("navReducer", () => {
  it("cycles through the enabled tabs with Tab and Shift-Tab", () => {
    let s = initialNavState({ loggedIn: false });
    s = navReducer(s, { type: "nextTab" });
    expect(s.tab).toBe("downloads"); // My Data needs a token, Preview a resource
    s = navReducer(s, { type: "nextTab" });
    expect(s.tab).toBe("find");
    s = navReducer(s, { type: "prevTab" });
    expect(s.tab).toBe("downloads");
    s = navReducer(s, { type: "setLoggedIn", loggedIn: true });
    s = navReducer(s, { type: "prevTab" });
    expect(s.tab).toBe("mydata");
    s = navReducer(s, { type: "setLoggedIn", loggedIn: false });
    expect(s.tab).toBe("find");
  });

  it("opens datasets per list tab and previews", () => {
    let s = initialNavState({ loggedIn: true });
    s = navReducer(s, { type: "openDataset", id: "ds1" });
    expect(s.dataset.find).toBe("ds1");
    s = navReducer(s, { type: "gotoTab", tab: "mydata" });
    expect(s.dataset.mydata).toBeUndefined();
    s = navReducer(s, { type: "gotoTab", tab: "find" });
    s = navReducer(s, { type: "openPreview", target: { resourceId: "r", resourceName: "a.rtdc" } });
    expect(s.tab).toBe("preview");
    s = navReducer(s, { type: "nextTab" });
    expect(s.tab).toBe("find");
    expect(s.dataset.find).toBe("ds1");
    s = navReducer(s, { type: "closeDataset" });
    expect(s.dataset.find).toBeUndefined();
  });

  it("handles overlays and typing", () => {
    let s = initialNavState();
    s = navReducer(s, { type: "setTyping", typing: true });
    expect(s.typing).toBe(true);
    s = navReducer(s, { type: "nextTab" });
    expect(s.typing).toBe(false);
    s = navReducer(s, { type: "toggleHelp" });
    expect(s.overlay).toBe("help");
    s = navReducer(s, { type: "toggleHelp" });
    expect(s.overlay).toBeNull();
    expect(navReducer(s, { type: "gotoTab", tab: "mydata" }).tab).toBe("downloads");
  });
});
