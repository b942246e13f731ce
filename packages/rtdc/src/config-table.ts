// Configuration keys of RT-DC files and how their values are typed (as dclab 0.71 does).

/**
 * How a configuration value is typed: `str`, `lcstr` (lower-cased string), `int`, `float`,
 * `bool`, `intlist`, `floatpair` (`[min, max]`) or `boolorfloat`.
 */
export type ConfigValueKind =
  | "str"
  | "lcstr"
  | "int"
  | "float"
  | "bool"
  | "intlist"
  | "floatpair"
  | "boolorfloat";

/** Metadata sections stored in files. */
export const CONFIG_METADATA: Readonly<Record<string, Readonly<Record<string, ConfigValueKind>>>> =
  {
    experiment: {
      date: "str",
      "event count": "int",
      "run index": "int",
      "run identifier": "str",
      sample: "str",
      time: "str",
      timestamp: "float",
    },
    fluorescence: {
      "baseline 1 offset": "int",
      "baseline 2 offset": "int",
      "baseline 3 offset": "int",
      "bit depth": "int",
      "channel 1 name": "str",
      "channel 2 name": "str",
      "channel 3 name": "str",
      "channel count": "int",
      "channels installed": "int",
      "laser 1 lambda": "float",
      "laser 1 power": "float",
      "laser 2 lambda": "float",
      "laser 2 power": "float",
      "laser 3 lambda": "float",
      "laser 3 power": "float",
      "laser count": "int",
      "lasers installed": "int",
      "sample rate": "int",
      "samples per event": "int",
      "signal max": "float",
      "signal min": "float",
      "trace median": "int",
    },
    fmt_tdms: {
      "video frame offset": "int",
    },
    imaging: {
      "flash device": "str",
      "flash duration": "float",
      "frame rate": "float",
      "pixel size": "float",
      "roi position x": "int",
      "roi position y": "int",
      "roi size x": "int",
      "roi size y": "int",
    },
    online_contour: {
      "bg empty": "bool",
      "bin area min": "int",
      "bin kernel": "int",
      "bin threshold": "int",
      "image blur": "int",
      "no absdiff": "bool",
    },
    online_filter: {
      "target duration": "float",
      "target event count": "int",
    },
    pipeline: {
      "dcnum background": "str",
      "dcnum data": "str",
      "dcnum feature": "str",
      "dcnum gate": "str",
      "dcnum generation": "str",
      "dcnum hash": "str",
      "dcnum mapping": "str",
      "dcnum segmenter": "str",
      "dcnum yield": "int",
    },
    qpi: {
      wavelength: "float",
      "medium index": "float",
      "pixel size raw": "float",
      "software version": "str",
      "bg method": "str",
      padding: "int",
      "subtract mean": "bool",
      "filter name": "str",
      "filter size": "float",
      "scale to filter": "boolorfloat",
      "sideband freq": "floatpair",
      "invert phase": "bool",
      "pixel size proc": "float",
      "amp fit offset": "str",
      "amp fit profile": "str",
      "pha fit offset": "str",
      "pha fit profile": "str",
      "amp border px": "int",
      "pha border px": "int",
      "amp border loc": "str",
      "pha border loc": "str",
      "focus interval": "floatpair",
      "focus metric": "str",
      "focus minimizer": "str",
      "focus kernel": "str",
      "focus padding": "int",
    },
    setup: {
      "channel width": "float",
      "chip identifier": "lcstr",
      "chip region": "lcstr",
      "flow rate": "float",
      "flow rate sample": "float",
      "flow rate sheath": "float",
      identifier: "str",
      medium: "str",
      "module composition": "str",
      "software version": "str",
      temperature: "float",
    },
  };

/** Analysis sections (never stored in files). */
export const CONFIG_ANALYSIS: Readonly<Record<string, Readonly<Record<string, ConfigValueKind>>>> =
  {
    filtering: {
      "hierarchy parent": "str",
      "remove invalid events": "bool",
      "enable filters": "bool",
      "limit events": "int",
      "polygon filters": "intlist",
    },
    calculation: {
      "emodulus lut": "str",
      "emodulus medium": "str",
      "emodulus temperature": "float",
      "emodulus viscosity": "float",
      "emodulus viscosity model": "str",
      "crosstalk fl21": "float",
      "crosstalk fl31": "float",
      "crosstalk fl12": "float",
      "crosstalk fl32": "float",
      "crosstalk fl13": "float",
      "crosstalk fl23": "float",
    },
  };
