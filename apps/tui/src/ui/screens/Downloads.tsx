import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { fit, formatBytes, formatDuration, progressBar } from "../../lib/text.js";
import type { DownloadView } from "../../services/types.js";
import { ListView, moveSelection } from "../components/ListView.js";
import { useClient } from "../contexts/ClientContext.js";
import { useUIState } from "../contexts/UIStateContext.js";
import { useKeymap } from "../keys/useKeymap.js";
import type { ScreenProps } from "./FindData.js";

/** Re-render at most this often while bytes flow. */
const REFRESH_MS = 200;

/** The download list, re-read on every manager event (throttled). */
export function useDownloads(): DownloadView[] {
  const client = useClient();
  const [jobs, setJobs] = useState(() => client.downloads.list());
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    const update = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        setJobs(client.downloads.list());
      }, REFRESH_MS);
    };
    setJobs(client.downloads.list());
    const unsubscribe = client.downloads.subscribe(update);
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [client]);
  return jobs;
}

const STATE_LABELS: Record<DownloadView["state"], string> = {
  queued: "queued",
  "waiting-disk": "wait disk",
  transferring: "loading",
  verifying: "verifying",
  done: "done",
  error: "error",
  paused: "paused",
  cancelled: "cancelled",
};

function JobRow({ job, width, selected }: { job: DownloadView; width: number; selected: boolean }) {
  const fraction = job.total ? job.bytes / job.total : job.state === "done" ? 1 : 0;
  const barW = Math.max(6, Math.min(24, Math.floor(width / 7)));
  // state 10, bar, transfer 15, rate 9, eta 6, and the spaces between
  const labelW = Math.max(10, width - 10 - barW - 15 - 9 - 6 - 5);
  const transfer = `${formatBytes(job.bytes)}/${formatBytes(job.total)}`;
  const rate = job.state === "transferring" && job.rate ? `${formatBytes(job.rate)}/s` : "";
  const eta = job.state === "transferring" ? formatDuration(job.eta) : "";
  return (
    <Text inverse={selected}>
      {fit(job.label, labelW)} {fit(STATE_LABELS[job.state], 10)}
      {progressBar(fraction, barW)} {fit(transfer, 15, "right")} {fit(rate, 9, "right")}{" "}
      {fit(eta, 6, "right")}
    </Text>
  );
}

export function Downloads({ isActive, height, width }: ScreenProps) {
  const client = useClient();
  const { theme } = useUIState();
  const jobs = useDownloads();
  const [selected, setSelected] = useState(0);
  const job = jobs[Math.min(selected, jobs.length - 1)];
  const listHeight = Math.max(1, height - 5);
  useKeymap(
    "downloads",
    {
      up: () => setSelected((s) => moveSelection(s, -1, jobs.length)),
      down: () => setSelected((s) => moveSelection(s, 1, jobs.length)),
      pageUp: () => setSelected((s) => moveSelection(s, -listHeight, jobs.length)),
      pageDown: () => setSelected((s) => moveSelection(s, listHeight, jobs.length)),
      pauseResume: () => {
        if (!job) return;
        if (job.state === "paused") client.downloads.resume(job.id);
        else if (job.state !== "done" && job.state !== "cancelled" && job.state !== "error")
          client.downloads.pause(job.id);
      },
      cancel: () => job && job.state !== "done" && client.downloads.cancel(job.id),
      retry: () =>
        job &&
        (job.state === "error" || job.state === "cancelled") &&
        client.downloads.retry(job.id),
    },
    { isActive },
  );
  const done = jobs.filter((j) => j.state === "done").length;
  return (
    <Box flexDirection="column" height={height}>
      <Text>
        {fit(`${jobs.length} downloads, ${done} done · into ${client.downloads.directory}`, width)}
      </Text>
      <ListView
        items={jobs}
        selected={Math.min(selected, Math.max(0, jobs.length - 1))}
        height={listHeight}
        emptyText="No downloads yet. Open a dataset in Find Data and press d."
        renderRow={(j, _i, isSelected) => <JobRow job={j} width={width} selected={isSelected} />}
      />
      <Box flexGrow={1} />
      {job ? (
        <Box flexDirection="column">
          <Text>{fit(`→ ${job.destination}`, width)}</Text>
          <Text color={theme.error}>{fit(job.error ? `Error: ${job.error}` : "", width)}</Text>
        </Box>
      ) : null}
      <Text dimColor>{fit("p/Space pause·resume  x cancel  r retry", width)}</Text>
    </Box>
  );
}
