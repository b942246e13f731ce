import { Box, Text } from "ink";
import { useState } from "react";
import { fit } from "../../lib/text.js";
import type { MyDataKind } from "../../services/types.js";
import { ListView, moveSelection } from "../components/ListView.js";
import { useClient } from "../contexts/ClientContext.js";
import { useUIActions } from "../contexts/UIActionsContext.js";
import { useUIState } from "../contexts/UIStateContext.js";
import { useAsync } from "../hooks/useAsync.js";
import { useKeymap } from "../keys/useKeymap.js";
import { DatasetView } from "./DatasetView.js";
import { DatasetHeader, DatasetRow, type ScreenProps } from "./FindData.js";

export const MY_DATA_LISTS: readonly { kind: MyDataKind; title: string }[] = [
  { kind: "owned", title: "Uploaded by me" },
  { kind: "shared", title: "Shared with me" },
  { kind: "following", title: "Followed by me" },
];

export function MyData({ isActive, height, width }: ScreenProps) {
  const client = useClient();
  const { nav, theme } = useUIState();
  const actions = useUIActions();
  const [list, setList] = useState(0);
  const [selected, setSelected] = useState(0);
  const kind = MY_DATA_LISTS[list]?.kind ?? "owned";
  const data = useAsync((signal) => client.myData(kind, { signal }), [client, kind]);
  const datasets = data.data ?? [];
  const openId = nav.dataset.mydata;
  const listHeight = Math.max(1, height - 3);
  const switchList = (delta: number) => {
    setList((l) => (l + delta + MY_DATA_LISTS.length) % MY_DATA_LISTS.length);
    setSelected(0);
  };
  useKeymap(
    "mydata",
    {
      prevList: () => switchList(-1),
      nextList: () => switchList(1),
      up: () => setSelected((s) => moveSelection(s, -1, datasets.length)),
      down: () => setSelected((s) => moveSelection(s, 1, datasets.length)),
      pageUp: () => setSelected((s) => moveSelection(s, -listHeight, datasets.length)),
      pageDown: () => setSelected((s) => moveSelection(s, listHeight, datasets.length)),
      open: () => {
        const ds = datasets[selected];
        if (ds) actions.openDataset(ds.id);
      },
      refresh: () => data.reload(),
    },
    { isActive: isActive && !openId },
  );
  if (openId)
    return <DatasetView datasetId={openId} isActive={isActive} height={height} width={width} />;
  const status = data.error
    ? `Error: ${data.error}`
    : data.loading
      ? "Loading…"
      : `${datasets.length} dataset${datasets.length === 1 ? "" : "s"}`;
  return (
    <Box flexDirection="column" height={height}>
      <Box>
        {MY_DATA_LISTS.map((l, i) => (
          <Text key={l.kind} inverse={i === list} bold={i === list}>
            {` ${l.title} `}
          </Text>
        ))}
        <Text dimColor> ←/→ switch r reload</Text>
      </Box>
      <Text color={data.error ? theme.error : undefined}>{fit(status, width)}</Text>
      {datasets.length > 0 ? <DatasetHeader width={width} /> : null}
      <ListView
        items={datasets}
        selected={selected}
        height={listHeight}
        emptyText={data.loading || data.error ? "" : "Nothing here."}
        renderRow={(ds, _i, isSelected) => (
          <DatasetRow ds={ds} width={width} selected={isSelected} />
        )}
      />
    </Box>
  );
}
