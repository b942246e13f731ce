import { type Key, useInput } from "ink";
import { useRef } from "react";
import { type Action, resolveAction, type Scope } from "./keymap.js";

export type KeyHandlers = Partial<Record<Action, (input: string, key: Key) => void>>;

/**
 * Route keys of one scope to named handlers, through the key map. Only active while `isActive`
 * (the focused screen), like Ink's `useInput`.
 */
export function useKeymap(
  scope: Scope,
  handlers: KeyHandlers,
  opts: { isActive?: boolean } = {},
): void {
  // Handlers change every render; keep the latest without re-subscribing.
  const ref = useRef(handlers);
  ref.current = handlers;
  useInput(
    (input, key) => {
      const action = resolveAction(scope, input, key);
      if (action) ref.current[action]?.(input, key);
    },
    { isActive: opts.isActive ?? true },
  );
}
