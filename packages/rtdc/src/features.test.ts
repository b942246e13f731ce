import { describe, expect, it } from "vitest";
import { RtdcError } from "./errors.js";
import {
  featureExists,
  getFeatureLabel,
  isScalarFeature,
  listFeatures,
  UnknownFeatureError,
} from "./features.js";

describe("feature table", () => {
  it("labels with and without unit", () => {
    expect(getFeatureLabel("area_um")).toBe("Area [µm²]");
    expect(getFeatureLabel("area_um", { withUnit: false })).toBe("Area");
    expect(getFeatureLabel("deform")).toBe("Deformation");
    expect(getFeatureLabel("emodulus")).toBe("Young's modulus [kPa]");
    expect(getFeatureLabel("time", { withUnit: false })).toBe("Time");
    expect(getFeatureLabel("index")).toBe("Index (Dataset)");
    expect(getFeatureLabel("image")).toBe("Gray scale event image");
  });
  it("knows the pattern families", () => {
    expect(getFeatureLabel("ml_score_xyz")).toBe("ML score XYZ");
    expect(getFeatureLabel("ml_score_a1b")).toBe("ML score A1B");
    expect(getFeatureLabel("userdef3")).toBe("User-defined 3");
    expect(getFeatureLabel("basinmap0")).toBe("Basin mapping 0");
    expect(featureExists("ml_score_r1c")).toBe(true);
    expect(featureExists("ml_score_R1C")).toBe(false);
    expect(featureExists("ml_score_abcd")).toBe(false);
    expect(featureExists("userdef10")).toBe(false);
    expect(isScalarFeature("basinmap9")).toBe(true);
  });
  it("separates scalar from non-scalar", () => {
    expect(isScalarFeature("area_um")).toBe(true);
    expect(isScalarFeature("image")).toBe(false);
    expect(featureExists("image")).toBe(true);
    expect(featureExists("image", { scalarOnly: true })).toBe(false);
    expect(featureExists("ncells")).toBe(false);
    expect(featureExists("constructor")).toBe(false);
  });
  it("throws a typed error for unknown names", () => {
    expect(() => getFeatureLabel("ncells")).toThrow(UnknownFeatureError);
    let err: unknown;
    try {
      getFeatureLabel("nope");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RtdcError);
    expect((err as UnknownFeatureError).code).toBe("RTDC_UNKNOWN_FEATURE");
    expect((err as UnknownFeatureError).feature).toBe("nope");
    expect((err as UnknownFeatureError).context.feature).toBe("nope");
  });
  it("lists every feature once", () => {
    const all = listFeatures();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain("trace");
    expect(listFeatures({ scalarOnly: true })).not.toContain("trace");
    expect(all.every((n) => featureExists(n))).toBe(true);
  });
});
