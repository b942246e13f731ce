import { useCallback, useRef, useState } from "react";

/**
 * State whose latest value is readable at once through a ref: keys can arrive faster than React
 * re-renders (a loaded machine, a fast typist, a pasted sequence), and a handler must act on the
 * selection the previous key made, not on the last rendered one.
 */
export function useSyncState<T>(
  initial: T,
): [T, (next: T | ((prev: T) => T)) => void, { readonly current: T }] {
  const [value, setValue] = useState(initial);
  const ref = useRef(value);
  const set = useCallback((next: T | ((prev: T) => T)) => {
    const resolved = typeof next === "function" ? (next as (prev: T) => T)(ref.current) : next;
    ref.current = resolved;
    setValue(resolved);
  }, []);
  return [value, set, ref];
}
