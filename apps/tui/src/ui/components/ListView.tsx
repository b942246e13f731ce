import { Box, Text } from "ink";
import type { ReactNode } from "react";

export interface ListViewProps<T> {
  items: readonly T[];
  selected: number;
  /** Visible rows. */
  height: number;
  renderRow(item: T, index: number, isSelected: boolean): ReactNode;
  emptyText?: string;
}

/** The first visible row so that `selected` stays on screen, scrolling around the middle. */
export function scrollOffset(selected: number, count: number, height: number): number {
  if (count <= height) return 0;
  return Math.max(0, Math.min(selected - Math.floor(height / 2), count - height));
}

/** A scrolling list window; the caller owns the selection. */
export function ListView<T>({ items, selected, height, renderRow, emptyText }: ListViewProps<T>) {
  if (items.length === 0) return <Text dimColor>{emptyText ?? "(empty)"}</Text>;
  const h = Math.max(1, height);
  const offset = scrollOffset(selected, items.length, h);
  const visible = items.slice(offset, offset + h);
  return (
    <Box flexDirection="column">
      {visible.map((item, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <Box key={offset + i}>{renderRow(item, offset + i, offset + i === selected)}</Box>
      ))}
    </Box>
  );
}

/** Clamp a list selection after a move. */
export function moveSelection(selected: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  return Math.max(0, Math.min(count - 1, selected + delta));
}
