import { createContext, useContext } from "react";
import type { ConnectionStatus } from "../../services/types.js";
import type { NavState } from "../navigation.js";
import type { Theme } from "../theme.js";

/** Everything the screens read about the app (not the data itself, which comes from the client). */
export interface UIState {
  nav: NavState;
  server: string;
  connection: ConnectionStatus;
  columns: number;
  rows: number;
  theme: Theme;
  /** Running on the embedded emulator (`--demo`). */
  demo: boolean;
}

export const UIStateContext = createContext<UIState | null>(null);

export function useUIState(): UIState {
  const state = useContext(UIStateContext);
  if (!state) throw new Error("useUIState outside <UIStateContext.Provider>");
  return state;
}
