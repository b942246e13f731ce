/** DCOR's license register (the `license_list` result). */
export interface License {
  domain_content: boolean;
  domain_data: boolean;
  domain_software: boolean;
  family: string;
  id: string;
  maintainer: string;
  od_conformance: string;
  osd_conformance: string;
  status: string;
  title: string;
  url: string;
}

const cc = (id: string, title: string, url: string, od: string, family = ""): License => ({
  domain_content: true,
  domain_data: true,
  domain_software: id === "CC0-1.0",
  family,
  id,
  maintainer: "Creative Commons",
  od_conformance: od,
  osd_conformance: "not reviewed",
  status: "active",
  title,
  url,
});

export const LICENSES: readonly License[] = [
  {
    domain_content: false,
    domain_data: false,
    domain_software: false,
    family: "",
    id: "none",
    maintainer: "Unknown",
    od_conformance: "not approved",
    osd_conformance: "not reviewed",
    status: "active",
    title: "Not specified",
    url: "",
  },
  cc(
    "CC0-1.0",
    "Creative Commons Public Domain Dedication",
    "https://creativecommons.org/publicdomain/zero/1.0/",
    "approved",
  ),
  cc(
    "CC-BY-4.0",
    "Creative Commons Attribution 4.0",
    "https://creativecommons.org/licenses/by/4.0/",
    "approved",
  ),
  cc(
    "CC-BY-SA-4.0",
    "Creative Commons Attribution Share-Alike 4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "approved",
  ),
  cc(
    "CC-BY-NC-4.0",
    "Creative Commons Attribution-NonCommercial 4.0",
    "https://creativecommons.org/licenses/by-nc/4.0/",
    "rejected",
    "Creative Commons",
  ),
];

export function licenseById(id: string): License | undefined {
  return LICENSES.find((l) => l.id === id);
}
