import type { CKANAPI } from "@dcor/api";
import type { DownloadJob, DownloadManager } from "@dcor/download";

// TEMPORARY adapter until @dcor/download's DCOR layer (addResource/addDataset) lands; replaced then.

interface Options {
  directory: string;
  condensed?: boolean;
}

export async function addResourceJobs(
  dm: DownloadManager,
  api: CKANAPI,
  resourceId: string,
  opts: Options,
): Promise<DownloadJob[]> {
  const res = (await api.get("resource_show", { id: resourceId })) as {
    id: string;
    name: string;
    package_id: string;
    sha256?: string;
    size?: number;
  };
  const ds = (await api.get("package_show", { id: res.package_id })) as {
    name: string;
    id: string;
  };
  const stem = res.name.replace(/\.rtdc$/i, "");
  const name = opts.condensed ? `${stem}_condensed.rtdc` : res.name;
  const url = opts.condensed
    ? api.condensedDownloadUrl(ds.id, res.id)
    : api.resourceDownloadUrl(ds.id, res.id, res.name);
  return [
    dm.add({
      url,
      directory: opts.directory,
      name: `${ds.name}/${name}`,
      ...(opts.condensed ? {} : { sha256: res.sha256, size: res.size }),
      id: `${res.id}${opts.condensed ? "-condensed" : ""}`,
      meta: { resourceId: res.id, dataset: ds.name, name, condensed: Boolean(opts.condensed) },
    }),
  ];
}

export async function addDatasetJobs(
  dm: DownloadManager,
  api: CKANAPI,
  idOrName: string,
  opts: Options,
): Promise<DownloadJob[]> {
  const ds = (await api.get("package_show", { id: idOrName })) as { resources?: { id: string }[] };
  const out: DownloadJob[] = [];
  for (const r of ds.resources ?? []) out.push(...(await addResourceJobs(dm, api, r.id, opts)));
  return out;
}
