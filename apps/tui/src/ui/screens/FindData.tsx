import { Box, Text, useInput } from "ink";
import { useCallback, useRef, useState } from "react";
import { fit, formatDate } from "../../lib/text.js";
import type { DatasetInfo, NamedEntity } from "../../services/types.js";
import { ListView, moveSelection } from "../components/ListView.js";
import { Picker } from "../components/Picker.js";
import { applyTextInput, TextField } from "../components/TextField.js";
import { useClient } from "../contexts/ClientContext.js";
import { useUIActions } from "../contexts/UIActionsContext.js";
import { useUIState } from "../contexts/UIStateContext.js";
import { useAsync } from "../hooks/useAsync.js";
import { useSyncState } from "../hooks/useSyncState.js";
import { resolveAction } from "../keys/keymap.js";
import type { KeyHandlers } from "../keys/useKeymap.js";
import { DatasetView } from "./DatasetView.js";

/** How long typing must pause before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 250;
/** Results fetched per search; scrolling past the end fetches this many more. */
export const SEARCH_LIMIT = 100;

export interface ScreenProps {
  /** This screen has the keyboard (it is shown and no overlay is open). */
  isActive: boolean;
  height: number;
  width: number;
}

function entityLabel(e: NamedEntity): string {
  return e.title || e.display_name || e.name;
}

export function circleOf(ds: DatasetInfo): string {
  return ds.organization?.title || ds.organization?.name || "–";
}

/** One result row: title, circle, number of resources, creation date. */
export function DatasetRow({
  ds,
  width,
  selected,
}: {
  ds: DatasetInfo;
  width: number;
  selected: boolean;
}) {
  const circleW = Math.min(20, Math.max(8, Math.floor(width * 0.22)));
  const titleW = Math.max(10, width - circleW - 4 - 11 - 4);
  const resources = ds.num_resources ?? ds.resources?.length ?? 0;
  return (
    <Text inverse={selected}>
      {fit(ds.title || ds.name, titleW)} {fit(circleOf(ds), circleW)}{" "}
      {fit(String(resources), 3, "right")} {formatDate(ds.metadata_created)}
    </Text>
  );
}

export function DatasetHeader({ width }: { width: number }) {
  const circleW = Math.min(20, Math.max(8, Math.floor(width * 0.22)));
  const titleW = Math.max(10, width - circleW - 4 - 11 - 4);
  return (
    <Text bold dimColor>
      {fit("Title", titleW)} {fit("Circle", circleW)} {fit("Res", 3, "right")} {fit("Created", 10)}
    </Text>
  );
}

export function FindData({ isActive, height, width }: ScreenProps) {
  const client = useClient();
  const { nav, theme } = useUIState();
  const actions = useUIActions();
  const [query, setQuery] = useState("");
  const queryRef = useRef("");
  const [circles, setCircles] = useState<string[]>([]);
  const [collections, setCollections] = useState<string[]>([]);
  const [selected, setSelected, selectedRef] = useSyncState(0);
  const [picker, setPicker] = useState<"circles" | "collections" | null>(null);
  const [limit, setLimit] = useState(SEARCH_LIMIT);
  const typing = nav.typing && isActive;

  const results = useAsync(
    (signal) => client.search({ query, circles, collections, limit, signal }),
    [client, query, circles.join("\n"), collections.join("\n"), limit],
    { debounceMs: SEARCH_DEBOUNCE_MS },
  );
  const entities = useAsync(
    (signal) =>
      picker === "collections" ? client.collections({ signal }) : client.circles({ signal }),
    [client, picker],
    { enabled: picker !== null },
  );
  const datasets = results.data?.datasets ?? [];
  const openId = nav.dataset.find;
  const listHeight = Math.max(1, height - 4);

  const changeQuery = useCallback(
    (q: string) => {
      queryRef.current = q;
      setQuery(q);
      setSelected(0);
      setLimit(SEARCH_LIMIT);
    },
    [setSelected],
  );

  const moveDown = (delta: number) => {
    const next = moveSelection(selectedRef.current, delta, datasets.length);
    setSelected(next);
    // At the end of a partial list: fetch the next page (the list stays while it loads).
    const total = results.data?.count ?? 0;
    if (next >= datasets.length - 1 && total > datasets.length && !results.loading) {
      setLimit((l) => l + SEARCH_LIMIT);
    }
  };
  const handlers: KeyHandlers = {
    search: () => actions.setTyping(true),
    up: () => setSelected((s) => moveSelection(s, -1, datasets.length)),
    down: () => moveDown(1),
    pageUp: () => setSelected((s) => moveSelection(s, -listHeight, datasets.length)),
    pageDown: () => moveDown(listHeight),
    open: () => {
      const ds = datasets[selectedRef.current];
      if (ds) actions.openDataset(ds.id);
    },
    filterCircles: () => setPicker("circles"),
    filterCollections: () => setPicker("collections"),
    clearFilters: () => {
      changeQuery("");
      setCircles([]);
      setCollections([]);
    },
  };
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  // One input hook for the list and the search field: whether a key is text or a command is
  // decided by the typing flag at the moment it arrives, not by the last render.
  useInput(
    (input, key) => {
      if (actions.typingRef.current) {
        const action = resolveAction("input", input, key);
        if (action === "submit" || action === "back") {
          actions.setTyping(false);
          return;
        }
        const next = applyTextInput(queryRef.current, input, key);
        if (next !== undefined) changeQuery(next);
        return;
      }
      const action = resolveAction("find", input, key);
      if (action) handlersRef.current[action]?.(input, key);
    },
    { isActive: isActive && !picker && !openId },
  );

  if (openId)
    return <DatasetView datasetId={openId} isActive={isActive} height={height} width={width} />;

  if (picker) {
    const items = (entities.data ?? []).map((e) => ({ value: e.name, label: entityLabel(e) }));
    return (
      <Picker
        key={picker}
        title={picker === "circles" ? "Circles" : "Collections"}
        items={items}
        multi
        initial={picker === "circles" ? circles : collections}
        loading={entities.loading && !entities.data}
        error={entities.error}
        height={height}
        width={width}
        isActive={isActive}
        onCancel={() => setPicker(null)}
        onConfirm={(values) => {
          if (picker === "circles") setCircles(values);
          else setCollections(values);
          setSelected(0);
          setLimit(SEARCH_LIMIT);
          setPicker(null);
        }}
      />
    );
  }

  const count = results.data?.count;
  const status = results.error
    ? `Error: ${results.error}`
    : results.loading
      ? "Searching…"
      : count !== undefined && count > datasets.length
        ? `${count} datasets (showing ${datasets.length})`
        : `${datasets.length} dataset${datasets.length === 1 ? "" : "s"}`;
  const filterText = (label: string, values: string[]) =>
    `${label}: ${values.length ? values.join(",") : "all"}`;
  return (
    <Box flexDirection="column" height={height}>
      <Box>
        <Text bold={typing}>Search: </Text>
        <TextField
          value={query}
          onChange={changeQuery}
          isActive={typing}
          external
          placeholder={typing ? "type to search" : "press / to search"}
          width={Math.max(10, width - 10)}
        />
      </Box>
      <Text dimColor>
        {fit(
          `${filterText("c circles", circles)}   ${filterText("o collections", collections)}`,
          width,
        )}
      </Text>
      <Text color={results.error ? theme.error : undefined}>{fit(status, width)}</Text>
      {datasets.length > 0 ? <DatasetHeader width={width} /> : null}
      <ListView
        items={datasets}
        selected={selected}
        height={listHeight - 1}
        emptyText={results.loading ? "" : results.error ? "" : "No datasets found."}
        renderRow={(ds, _i, isSelected) => (
          <DatasetRow ds={ds} width={width} selected={isSelected} />
        )}
      />
    </Box>
  );
}
