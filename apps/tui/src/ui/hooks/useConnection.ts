import { useEffect, useState } from "react";
import type { ConnectionStatus, DcorClient } from "../../services/types.js";

/** DCOR-Aid refreshes every 5 minutes; a minute keeps the line honest without load. */
export const CONNECTION_REFRESH_MS = 60_000;

/** The connection state, checked at start and then every `intervalMs` in the background. */
export function useConnection(
  client: DcorClient,
  intervalMs = CONNECTION_REFRESH_MS,
): ConnectionStatus {
  const [status, setStatus] = useState<ConnectionStatus>({ state: "checking" });
  useEffect(() => {
    let controller: AbortController | undefined;
    let stopped = false;
    const check = () => {
      controller?.abort();
      controller = new AbortController();
      const signal = controller.signal;
      client.checkConnection({ signal }).then(
        (s) => {
          if (!stopped && !signal.aborted) setStatus(s);
        },
        () => {
          // checkConnection maps failures to states; anything else is a client bug, not an outage
          if (!stopped && !signal.aborted) setStatus({ state: "error" });
        },
      );
    };
    check();
    const timer = setInterval(check, intervalMs);
    timer.unref?.();
    return () => {
      stopped = true;
      clearInterval(timer);
      controller?.abort();
    };
  }, [client, intervalMs]);
  return status;
}
