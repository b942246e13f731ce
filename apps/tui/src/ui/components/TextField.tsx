import { type Key, Text, useInput } from "ink";
import { useRef } from "react";

// Control characters (and ESC sequences the parser passed through) never become text.
const PRINTABLE = /[^\x00-\x1f\x7f]/gu;

/** Apply one key event to a text value; `undefined` when the key is not an edit (Enter, Esc, arrows…). */
export function applyTextInput(
  value: string,
  input: string,
  key: Partial<Key>,
): string | undefined {
  if (key.backspace || key.delete) return Array.from(value).slice(0, -1).join("");
  if (key.ctrl && input === "u") return "";
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.upArrow || key.downArrow)
    return undefined;
  if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return undefined;
  const text = (input.match(PRINTABLE) ?? []).join("");
  return text ? value + text : undefined;
}

export interface TextFieldProps {
  value: string;
  onChange(value: string): void;
  /** Has the keyboard. */
  isActive: boolean;
  placeholder?: string;
  /** Show bullets instead of the text (API tokens). */
  mask?: boolean;
  /** Visible width; longer text scrolls to show its end. */
  width?: number;
  /** The parent feeds keys through {@link applyTextInput} (no input hook of its own). */
  external?: boolean;
}

/** A single-line controlled text field. Enter/Esc/Tab/arrows are left to the surrounding screen. */
export function TextField({
  value,
  onChange,
  isActive,
  placeholder,
  mask,
  width,
  external,
}: TextFieldProps) {
  // Several key events can arrive before React re-renders: edit the latest value, not the rendered one.
  const latest = useRef(value);
  latest.current = value;
  const change = (next: string) => {
    latest.current = next;
    onChange(next);
  };
  useInput(
    (input, key) => {
      const next = applyTextInput(latest.current, input, key);
      if (next !== undefined) change(next);
    },
    { isActive: isActive && !external },
  );
  const shown = mask ? "•".repeat(Array.from(value).length) : value;
  const room = width ? Math.max(1, width - 1) : undefined;
  const chars = Array.from(shown);
  const visible =
    room && chars.length > room ? `…${chars.slice(chars.length - room + 1).join("")}` : shown;
  if (!value && placeholder && !isActive) return <Text dimColor>{placeholder}</Text>;
  return (
    <Text>
      {visible || (isActive ? "" : " ")}
      {isActive ? <Text inverse> </Text> : null}
      {!value && placeholder && isActive ? <Text dimColor>{` ${placeholder}`}</Text> : null}
    </Text>
  );
}
