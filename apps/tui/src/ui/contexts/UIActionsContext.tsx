import { createContext, useContext } from "react";
import type { PreviewTarget, TabId } from "../navigation.js";

/** What the screens can ask the app to do. Stable identities (safe in effect deps). */
export interface UIActions {
  nextTab(): void;
  prevTab(): void;
  gotoTab(tab: TabId): void;
  openDataset(id: string): void;
  closeDataset(): void;
  openPreview(target: PreviewTarget): void;
  toggleHelp(): void;
  openWizard(): void;
  closeOverlay(): void;
  setTyping(typing: boolean): void;
  /**
   * Whether a text field has the keyboard, updated at once by `setTyping` (before React
   * re-renders), so the very next key already goes to the field.
   */
  readonly typingRef: { readonly current: boolean };
  notify(text: string, kind?: "info" | "error"): void;
  /** Copy to the clipboard via OSC 52 and say so. */
  copy(text: string, what: string): void;
  /** Queue downloads and report what was queued (or the error) as a notice. */
  queueResource(resourceId: string, opts?: { condensed?: boolean }): void;
  queueDataset(idOrName: string, opts?: { condensed?: boolean }): void;
  quit(): void;
}

export const UIActionsContext = createContext<UIActions | null>(null);

export function useUIActions(): UIActions {
  const actions = useContext(UIActionsContext);
  if (!actions) throw new Error("useUIActions outside <UIActionsContext.Provider>");
  return actions;
}
