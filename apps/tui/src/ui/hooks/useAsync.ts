import { type DependencyList, useEffect, useState } from "react";
import { describeError, isAbort } from "../../lib/errors.js";

export interface AsyncState<T> {
  data?: T;
  /** A readable message, never a stack. */
  error?: string;
  loading: boolean;
}

/**
 * Run `fn` when `deps` change, after `debounceMs`; the previous run's signal is aborted, so a
 * stale answer never overwrites a newer one.
 */
export function useAsync<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  opts: { debounceMs?: number; enabled?: boolean } = {},
): AsyncState<T> & { reload(): void } {
  const [state, setState] = useState<AsyncState<T>>({ loading: opts.enabled !== false });
  const [generation, setGeneration] = useState(0);
  const enabled = opts.enabled !== false;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to rerun
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    const timer = setTimeout(() => {
      fn(controller.signal).then(
        (data) => {
          if (!controller.signal.aborted) setState({ data, loading: false });
        },
        (err: unknown) => {
          if (controller.signal.aborted || isAbort(err)) return;
          setState((s) => ({ data: s.data, loading: false, error: describeError(err) }));
        },
      );
    }, opts.debounceMs ?? 0);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [...deps, generation, enabled]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}
