/**
 * Child process for the SIGKILL tests: downloads either one URL (`mode: "url"`) or one DCOR
 * resource through `@dcor/api` (`mode: "dcor"`), printing `progress <bytes>` lines until it is
 * killed. Config comes as JSON in argv[2].
 */
import { statSync } from "node:fs";
import { CKANAPI } from "@dcor/api";
import { Agent, type Dispatcher } from "undici";
import { addResource, type DownloadJob, DownloadManager } from "../index.js";

type Config =
  | {
      mode: "url";
      stateDir: string;
      url: string;
      directory: string;
      sha256: string;
      token?: string;
      bandwidthLimit: number;
    }
  | {
      mode: "dcor";
      stateDir: string;
      server: string;
      token?: string;
      resourceId: string;
      directory: string;
      bandwidthLimit: number;
    };

const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;

// Report every request as it leaves: origin and whether it carried an Authorization header.
const dispatcher = new Agent().compose(
  (dispatch) => (opts: Dispatcher.DispatchOptions, handler) => {
    const raw = opts.headers as Record<string, string> | string[] | undefined;
    const names = Array.isArray(raw) ? raw.filter((_, i) => i % 2 === 0) : Object.keys(raw ?? {});
    const auth = names.some((n) => n.toLowerCase() === "authorization");
    process.stdout.write(`sent ${String(opts.origin)} auth=${auth}\n`);
    return dispatch(opts, handler);
  },
);
let job: DownloadJob;
if (cfg.mode === "dcor") {
  const api = new CKANAPI({ server: cfg.server, ...(cfg.token ? { apiKey: cfg.token } : {}) });
  const dm = new DownloadManager({
    stateDir: cfg.stateDir,
    bandwidthLimit: cfg.bandwidthLimit,
    progressIntervalMs: 0,
    dispatcher,
    headersFor: (u) => api.authHeadersFor(u),
  });
  job = await addResource(dm, api, cfg.resourceId, { directory: cfg.directory });
} else {
  const token = cfg.token;
  const dm = new DownloadManager({
    stateDir: cfg.stateDir,
    bandwidthLimit: cfg.bandwidthLimit,
    progressIntervalMs: 0,
    dispatcher,
    ...(token ? { headersFor: () => ({ Authorization: `Bearer ${token}` }) } : {}),
  });
  job = dm.add({ id: "killed-job", url: cfg.url, directory: cfg.directory, sha256: cfg.sha256 });
}
job.on("progress", (p) => {
  let onDisk = -1;
  try {
    onDisk = statSync(job.partPath).size;
  } catch {}
  process.stdout.write(`progress ${p.bytes}\n`);
  process.stderr.write(`progress ${p.bytes} on-disk ${onDisk} t=${performance.now().toFixed(0)}\n`);
});
job.done.then(
  () => process.stdout.write("done\n"),
  (e) => process.stdout.write(`error ${e.code}\n`),
);
