import { Box, Text } from "ink";
import { useState } from "react";
import { fit, formatBytes, formatDate } from "../../lib/text.js";
import type { ResourceInfo } from "../../services/types.js";
import { ListView, moveSelection } from "../components/ListView.js";
import { useClient } from "../contexts/ClientContext.js";
import { useUIActions } from "../contexts/UIActionsContext.js";
import { useUIState } from "../contexts/UIStateContext.js";
import { useAsync } from "../hooks/useAsync.js";
import { useSyncState } from "../hooks/useSyncState.js";
import { useKeymap } from "../keys/useKeymap.js";

export interface DatasetViewProps {
  datasetId: string;
  isActive: boolean;
  height: number;
  width: number;
}

/** A DC resource holds RT-DC data (the others are e.g. PDFs or CSV tables). */
export function isRtdc(res: ResourceInfo): boolean {
  return res.mimetype === "RT-DC" || res.name.toLowerCase().endsWith(".rtdc");
}

function meta(res: ResourceInfo, key: string): string {
  const v = res[key];
  if (v === undefined || v === null || v === "") return "–";
  return String(v);
}

/** Resource columns: name, size, event count, sample, flow rate. */
function ResourceRow({
  res,
  width,
  selected,
}: {
  res: ResourceInfo;
  width: number;
  selected: boolean;
}) {
  const nameW = Math.max(12, width - 10 - 9 - 18 - 8 - 4);
  return (
    <Text inverse={selected}>
      {fit(res.name, nameW)} {fit(formatBytes(res.size), 9, "right")}{" "}
      {fit(meta(res, "dc:experiment:event count"), 8, "right")}{" "}
      {fit(meta(res, "dc:experiment:sample"), 18)}{" "}
      {fit(meta(res, "dc:setup:flow rate"), 8, "right")}
    </Text>
  );
}

function ResourceHeader({ width }: { width: number }) {
  const nameW = Math.max(12, width - 10 - 9 - 18 - 8 - 4);
  return (
    <Text bold dimColor>
      {fit("Resource", nameW)} {fit("Size", 9, "right")} {fit("Events", 8, "right")}{" "}
      {fit("Sample", 18)} {fit("Flow", 8, "right")}
    </Text>
  );
}

/** Metadata and resources of one dataset, with the download/preview/copy actions. */
export function DatasetView({ datasetId, isActive, height, width }: DatasetViewProps) {
  const client = useClient();
  const actions = useUIActions();
  const { theme } = useUIState();
  const [selected, setSelected, selectedRef] = useSyncState(0);
  const [shownUrl, setShownUrl] = useState<string | undefined>();
  const ds = useAsync((signal) => client.dataset(datasetId, { signal }), [client, datasetId]);
  const resources = ds.data?.resources ?? [];
  // The resource under the cursor when the key arrives (see useSyncState).
  const current = () => resources[selectedRef.current];

  useKeymap(
    "dataset",
    {
      up: () => setSelected((s) => moveSelection(s, -1, resources.length)),
      down: () => setSelected((s) => moveSelection(s, 1, resources.length)),
      back: () => actions.closeDataset(),
      download: () => {
        const res = current();
        if (res) actions.queueResource(res.id);
      },
      downloadCondensed: () => {
        const res = current();
        if (!res) return;
        if (!isRtdc(res))
          actions.notify(`${res.name} is not RT-DC data: there is no condensed version`, "error");
        else actions.queueResource(res.id, { condensed: true });
      },
      downloadDataset: () => ds.data && actions.queueDataset(ds.data.id),
      preview: () => {
        const res = current();
        if (!res) return;
        if (!isRtdc(res)) actions.notify(`${res.name} is not RT-DC data: nothing to plot`, "error");
        else
          actions.openPreview({
            resourceId: res.id,
            resourceName: res.name,
            datasetTitle: ds.data?.title,
          });
      },
      copyId: () => {
        const res = current();
        if (res) actions.copy(res.id, "resource id");
      },
      copyDcserv: () => {
        const res = current();
        if (res) actions.copy(client.dcservUrl(res.id), "dcserv URL");
      },
      webUrl: () => ds.data && setShownUrl(client.datasetPageUrl(ds.data.name)),
    },
    { isActive },
  );

  if (ds.error) {
    return (
      <Box flexDirection="column" height={height}>
        <Text color={theme.error}>{`Could not load the dataset: ${ds.error}`}</Text>
        <Text dimColor>Esc back</Text>
      </Box>
    );
  }
  if (!ds.data) return <Text dimColor>Loading dataset…</Text>;
  const d = ds.data;
  const circle = d.organization?.title || d.organization?.name || "–";
  const collections =
    (d.groups ?? []).map((g) => g.title || g.display_name || g.name).join(", ") || "–";
  const lines: [string, string][] = [
    ["Name", d.name],
    ["Authors", d.authors || "–"],
    ["Circle", `${circle}${d.private ? " (private)" : ""}`],
    ["Collections", collections],
    ["License", d.license_title || d.license_id || "–"],
    ["Created", `${formatDate(d.metadata_created)}   modified ${formatDate(d.metadata_modified)}`],
  ];
  if (d.doi) lines.push(["DOI", d.doi]);
  const notes = (d.notes ?? "").replace(/\s+/g, " ").trim();
  // title + metadata + notes + header + footer(2)
  const fixed = 1 + lines.length + (notes ? 1 : 0) + 1 + 2;
  const listHeight = Math.max(1, height - fixed);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold color={theme.accent}>
        {fit(d.title || d.name, width)}
      </Text>
      {lines.map(([k, v]) => (
        <Text key={k}>
          <Text dimColor>{k.padEnd(12)}</Text>
          {fit(v, Math.max(1, width - 12))}
        </Text>
      ))}
      {notes ? <Text dimColor>{fit(notes, width)}</Text> : null}
      <ResourceHeader width={width} />
      <ListView
        items={resources}
        selected={selected}
        height={listHeight}
        emptyText="This dataset has no resources."
        renderRow={(r, _i, isSelected) => (
          <ResourceRow res={r} width={width} selected={isSelected} />
        )}
      />
      <Box flexGrow={1} />
      <Text>{fit(shownUrl ? `Web page: ${shownUrl}` : "", width)}</Text>
      <Text dimColor>
        {fit(
          "d download  D condensed  a all  p preview  y copy id  u dcserv  w web  Esc back",
          width,
        )}
      </Text>
    </Box>
  );
}
