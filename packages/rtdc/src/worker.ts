// Entry of the worker threads of @dcor/rtdc (built by tsup as dist/worker.js). The same file
// runs as the HDF5 worker (role "hdf5") and as its HTTP range-fetch helper (role "fetcher").
import { isMainThread, type MessagePort, parentPort, workerData } from "node:worker_threads";

interface WorkerData {
  role?: "hdf5" | "fetcher";
  port?: MessagePort;
  flag?: Int32Array;
  plugins?: string[];
  entryUrl?: string;
}

const data = (isMainThread ? undefined : workerData) as WorkerData | undefined;

if (data?.role === "fetcher" && data.port && data.flag) {
  const { runFetcher } = await import("./hdf5/fetcher.js");
  runFetcher(data.port, data.flag);
} else if (data?.role === "hdf5" && parentPort) {
  const { Hdf5Server } = await import("./hdf5/server.js");
  const port = parentPort;
  try {
    const server = await Hdf5Server.start({
      entryUrl: data.entryUrl ?? import.meta.url,
      ...(data.plugins ? { plugins: data.plugins } : {}),
    });
    server.listen(port);
    port.postMessage({ ready: true });
  } catch (err) {
    port.postMessage({ ready: false, message: err instanceof Error ? err.message : String(err) });
  }
}
