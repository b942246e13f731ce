import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CKANAPI } from "@dcor/api";
import { addDataset, addResource, type DownloadJob, DownloadManager } from "@dcor/download";
import { describeError, errorCode } from "../lib/errors.js";
import { formatBytes, formatDate, formatDuration, progressBar } from "../lib/text.js";
import type { Client } from "../services/client.js";
import type { DatasetInfo, ResourceInfo } from "../services/types.js";
import type { CliArgs } from "./args.js";
import { EXIT, exitCodeOf } from "./exit.js";
import { type Output, printJson, table } from "./output.js";

export interface CommandContext {
  args: CliArgs;
  client: Client;
  out: Output;
  /** Download folder for `dcor download`. */
  downloadDir: string;
}

function circleOf(ds: DatasetInfo): string {
  return ds.organization?.name ?? "";
}

async function search({ args, client, out }: CommandContext): Promise<number> {
  const query = args.positionals.join(" ");
  const limit = args.limit ?? 100;
  const { datasets, count } = await client.search({
    query,
    circles: args.circles,
    collections: args.collections,
    limit,
  });
  if (args.json) {
    printJson(out, datasets);
    return EXIT.ok;
  }
  if (datasets.length === 0) {
    out.stderr.write("No datasets found.\n");
    return EXIT.ok;
  }
  const rows = [["NAME", "TITLE", "CIRCLE", "RES", "CREATED"]];
  for (const ds of datasets) {
    rows.push([
      ds.name,
      ds.title ?? "",
      circleOf(ds),
      String(ds.num_resources ?? ds.resources?.length ?? 0),
      formatDate(ds.metadata_created),
    ]);
  }
  out.stdout.write(
    `${table(rows, { width: out.stdout.isTTY ? out.stdout.columns : undefined })}\n`,
  );
  if (count !== undefined && count > datasets.length) {
    out.stderr.write(`${datasets.length} of ${count} datasets shown (use --limit N, 0 for all).\n`);
  }
  return EXIT.ok;
}

function resourceRows(resources: readonly ResourceInfo[]): string[][] {
  const rows = [["ID", "NAME", "SIZE", "EVENTS", "SAMPLE", "FLOW RATE"]];
  for (const r of resources) {
    rows.push([
      r.id,
      r.name,
      formatBytes(r.size),
      String(r["dc:experiment:event count"] ?? ""),
      String(r["dc:experiment:sample"] ?? ""),
      String(r["dc:setup:flow rate"] ?? ""),
    ]);
  }
  return rows;
}

async function show({ args, client, out }: CommandContext): Promise<number> {
  const ds = await client.dataset(args.positionals[0] ?? "");
  if (args.json) {
    printJson(out, ds);
    return EXIT.ok;
  }
  const lines = [
    ["Title", ds.title ?? ""],
    ["Name", ds.name],
    ["Id", ds.id],
    ["Authors", ds.authors ?? ""],
    ["Circle", circleOf(ds) + (ds.private ? " (private)" : "")],
    ["Collections", (ds.groups ?? []).map((g) => g.name).join(", ")],
    ["License", ds.license_id ?? ""],
    ["Created", ds.metadata_created ?? ""],
    ["Modified", ds.metadata_modified ?? ""],
    ["Web page", client.datasetPageUrl(ds.name)],
  ];
  if (ds.doi) lines.push(["DOI", ds.doi]);
  out.stdout.write(`${table(lines)}\n`);
  if (ds.notes) out.stdout.write(`\n${ds.notes.trim()}\n`);
  out.stdout.write(`\n${table(resourceRows(ds.resources ?? []))}\n`);
  return EXIT.ok;
}

async function info({ args, client, out }: CommandContext): Promise<number> {
  const resourceId = args.positionals[0] ?? "";
  const resource = await client.resource(resourceId);
  const isRtdc = resource.mimetype === "RT-DC" || resource.name.toLowerCase().endsWith(".rtdc");
  let features: { name: string; label: string }[] = [];
  let length: number | undefined;
  if (isRtdc) {
    const preview = await client.openPreview(resource.id);
    try {
      features = preview.features.map((name) => ({ name, label: preview.label(name) }));
      length = preview.length;
    } finally {
      await preview.close();
    }
  }
  const metadata = Object.fromEntries(
    Object.entries(resource).filter(([k]) => k.startsWith("dc:") || k.startsWith("sp:")),
  );
  if (args.json) {
    printJson(out, { resource, events: length, features, dcserv: client.dcservUrl(resource.id) });
    return EXIT.ok;
  }
  const lines = [
    ["Name", resource.name],
    ["Id", resource.id],
    ["Dataset", String(resource.package_id ?? "")],
    ["Size", formatBytes(resource.size)],
    ["SHA-256", String(resource.sha256 ?? "")],
    ["dcserv", client.dcservUrl(resource.id)],
  ];
  if (length !== undefined) lines.push(["Events", String(length)]);
  out.stdout.write(`${table(lines)}\n`);
  if (Object.keys(metadata).length) {
    out.stdout.write(
      `\n${table([["METADATA", "VALUE"], ...Object.entries(metadata).map(([k, v]) => [k, String(v)])])}\n`,
    );
  }
  if (features.length) {
    out.stdout.write(
      `\n${table([["FEATURE", "LABEL"], ...features.map((f) => [f.name, f.label])])}\n`,
    );
  }
  return EXIT.ok;
}

/** Resource id, or else dataset id/name: which one the user meant. */
async function resolveTarget(api: CKANAPI, idOrName: string): Promise<"resource" | "dataset"> {
  try {
    await api.get("resource_show", { id: idOrName });
    return "resource";
  } catch (err) {
    if (errorCode(err) !== "DCOR_NOT_FOUND") throw err;
  }
  await api.get("package_show", { id: idOrName }); // throws not found for neither
  return "dataset";
}

function progressLine(job: DownloadJob, width: number): string {
  const p = job.progress;
  const total = p.total ?? job.size;
  const fraction = total ? p.bytes / total : 0;
  const name = path.basename(job.destination);
  const text = `${progressBar(fraction, 20)} ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(p.bytes)}/${formatBytes(total)} ${formatBytes(p.rate)}/s ETA ${formatDuration(p.eta)} ${name}`;
  return Array.from(text)
    .slice(0, Math.max(20, width - 1))
    .join("");
}

async function download({ args, client, out, downloadDir }: CommandContext): Promise<number> {
  const target = args.positionals[0] ?? "";
  const kind = await resolveTarget(client.api, target);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "dcor-cli-"));
  const dm = new DownloadManager({ stateDir, headersFor: (url) => client.api.authHeadersFor(url) });
  const tty = Boolean(out.stderr.isTTY) && !args.json;
  let timer: NodeJS.Timeout | undefined;
  try {
    const opts = { directory: downloadDir, condensed: args.condensed };
    const jobs =
      kind === "resource"
        ? [await addResource(dm, client.api, target, opts)]
        : await addDataset(dm, client.api, target, opts);
    if (!args.json) {
      for (const job of jobs)
        out.stderr.write(`queued ${job.url.split("?")[0]} → ${job.destination}\n`);
    }
    if (tty) {
      const draw = () => {
        const active = jobs.filter((j) => j.state === "transferring" || j.state === "verifying");
        const lines = active.map((j) => progressLine(j, out.stderr.columns ?? 80));
        out.stderr.write(
          `\r\x1b[2K${lines[0] ?? ""}${lines.length > 1 ? ` (+${lines.length - 1})` : ""}`,
        );
      };
      timer = setInterval(draw, 200);
    }
    if (!tty && !args.json) {
      dm.on("state", (job, change) => {
        if (change.state === "done" || change.state === "queued") return;
        out.stderr.write(
          `${change.state} ${path.basename(job.destination)}${change.reason ? `: ${change.reason.message}` : ""}\n`,
        );
      });
    }
    const results = await Promise.allSettled(jobs.map((j) => j.done));
    if (timer) {
      clearInterval(timer);
      out.stderr.write("\r\x1b[2K");
    }
    let code: number = EXIT.ok;
    const report = jobs.map((job, i) => {
      const r = results[i];
      if (r?.status === "fulfilled") {
        if (!args.json)
          out.stdout.write(
            `${r.value.destination}  ${formatBytes(r.value.size)}  verified by ${r.value.verifiedBy}${r.value.existed ? " (already there)" : ""}\n`,
          );
        return { ...r.value, url: job.url, state: "done" };
      }
      const err = r?.reason;
      if (code === EXIT.ok) code = exitCodeOf(err);
      if (!args.json)
        out.stderr.write(`failed ${path.basename(job.destination)}: ${describeError(err)}\n`);
      return {
        id: job.id,
        url: job.url,
        destination: job.destination,
        state: job.state,
        error: describeError(err),
      };
    });
    if (args.json) printJson(out, report);
    return code;
  } finally {
    if (timer) clearInterval(timer);
    await dm.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function circles({ args, client, out }: CommandContext): Promise<number> {
  const list = await client.circles();
  if (args.json) printJson(out, list);
  else
    out.stdout.write(
      `${table([["NAME", "TITLE"], ...list.map((c) => [c.name, c.title ?? c.display_name ?? ""])])}\n`,
    );
  return EXIT.ok;
}

async function collections({ args, client, out }: CommandContext): Promise<number> {
  const list = await client.collections();
  if (args.json) printJson(out, list);
  else
    out.stdout.write(
      `${table([["NAME", "TITLE"], ...list.map((c) => [c.name, c.title ?? c.display_name ?? ""])])}\n`,
    );
  return EXIT.ok;
}

export const COMMAND_HANDLERS = { search, show, info, download, circles, collections } as const;
