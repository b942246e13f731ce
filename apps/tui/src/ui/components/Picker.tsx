import { Box, Text } from "ink";
import { useState } from "react";
import { fit } from "../../lib/text.js";
import { useKeymap } from "../keys/useKeymap.js";
import { ListView, moveSelection } from "./ListView.js";

export interface PickerItem {
  value: string;
  label: string;
}

export interface PickerProps {
  title: string;
  items: readonly PickerItem[];
  /** Multi-select with Space (filters) or pick one with Enter (axes). */
  multi: boolean;
  initial?: readonly string[];
  height: number;
  width: number;
  isActive: boolean;
  loading?: boolean;
  error?: string;
  onConfirm(values: string[]): void;
  onCancel(): void;
}

/** A list to choose from, in place of the screen's content. */
export function Picker(props: PickerProps) {
  const { items, multi, height, width, isActive } = props;
  const [cursor, setCursor] = useState(() => {
    const first = props.initial?.[0];
    const i = first === undefined ? -1 : items.findIndex((it) => it.value === first);
    return Math.max(0, i);
  });
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(props.initial ?? []));
  const page = Math.max(1, height - 3);
  useKeymap(
    "picker",
    {
      up: () => setCursor((c) => moveSelection(c, -1, items.length)),
      down: () => setCursor((c) => moveSelection(c, 1, items.length)),
      pageUp: () => setCursor((c) => moveSelection(c, -page, items.length)),
      pageDown: () => setCursor((c) => moveSelection(c, page, items.length)),
      toggle: () => {
        const item = items[cursor];
        if (!multi || !item) return;
        setChosen((prev) => {
          const next = new Set(prev);
          if (next.has(item.value)) next.delete(item.value);
          else next.add(item.value);
          return next;
        });
      },
      confirm: () => {
        if (multi)
          props.onConfirm(items.filter((it) => chosen.has(it.value)).map((it) => it.value));
        else {
          const item = items[cursor];
          if (item) props.onConfirm([item.value]);
        }
      },
      back: () => props.onCancel(),
    },
    { isActive },
  );
  const hint = multi ? "Space select · Enter apply · Esc cancel" : "Enter choose · Esc cancel";
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={height}>
      <Text bold>
        {props.title} <Text dimColor>({hint})</Text>
      </Text>
      {props.error ? <Text>{`Error: ${props.error}`}</Text> : null}
      {props.loading ? (
        <Text dimColor>Loading…</Text>
      ) : (
        <ListView
          items={items}
          selected={cursor}
          height={Math.max(1, height - 3)}
          emptyText="Nothing to choose from"
          renderRow={(item, _i, isSelected) => (
            <Text inverse={isSelected}>
              {multi ? (chosen.has(item.value) ? "[x] " : "[ ] ") : isSelected ? "› " : "  "}
              {fit(item.label, Math.max(4, width - 10))}
            </Text>
          )}
        />
      )}
    </Box>
  );
}
