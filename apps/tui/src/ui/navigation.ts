/** Navigation state of the app as a reducer with typed actions (pure; tested without Ink). */

export type TabId = "find" | "mydata" | "downloads" | "preview";

export const TABS: readonly { id: TabId; title: string }[] = [
  { id: "find", title: "Find Data" },
  { id: "mydata", title: "My Data" },
  { id: "downloads", title: "Downloads" },
  { id: "preview", title: "Preview" },
];

/** Which resource the Preview tab shows. */
export interface PreviewTarget {
  resourceId: string;
  resourceName: string;
  datasetTitle?: string;
}

export interface Notice {
  text: string;
  kind: "info" | "error";
}

export interface NavState {
  tab: TabId;
  /** The dataset open on top of a list tab (Find Data or My Data), by id. */
  dataset: { find?: string; mydata?: string };
  preview?: PreviewTarget;
  overlay: "help" | "wizard" | null;
  /** A text field has the keyboard: global single-letter keys are off. */
  typing: boolean;
  /** Anonymous users have no My Data (as in DCOR-Aid). */
  loggedIn: boolean;
  notice?: Notice;
}

export type NavAction =
  | { type: "nextTab" }
  | { type: "prevTab" }
  | { type: "gotoTab"; tab: TabId }
  | { type: "openDataset"; id: string }
  | { type: "closeDataset" }
  | { type: "openPreview"; target: PreviewTarget }
  | { type: "toggleHelp" }
  | { type: "openWizard" }
  | { type: "closeOverlay" }
  | { type: "setTyping"; typing: boolean }
  | { type: "setLoggedIn"; loggedIn: boolean }
  | { type: "notify"; notice: Notice | undefined };

export function initialNavState(opts: { loggedIn?: boolean; tab?: TabId } = {}): NavState {
  return {
    tab: opts.tab ?? "find",
    dataset: {},
    overlay: null,
    typing: false,
    loggedIn: opts.loggedIn ?? false,
  };
}

/** Tabs the user can go to now. */
export function enabledTabs(state: Pick<NavState, "loggedIn" | "preview">): TabId[] {
  return TABS.map((t) => t.id).filter(
    (id) => (id !== "mydata" || state.loggedIn) && (id !== "preview" || state.preview),
  );
}

function step(state: NavState, delta: 1 | -1): NavState {
  const tabs = enabledTabs(state);
  const i = tabs.indexOf(state.tab);
  const next = tabs[(i + delta + tabs.length) % tabs.length] ?? "find";
  return { ...state, tab: next, typing: false };
}

export function navReducer(state: NavState, action: NavAction): NavState {
  switch (action.type) {
    case "nextTab":
      return step(state, 1);
    case "prevTab":
      return step(state, -1);
    case "gotoTab":
      return enabledTabs(state).includes(action.tab)
        ? { ...state, tab: action.tab, typing: false }
        : state;
    case "openDataset":
      if (state.tab !== "find" && state.tab !== "mydata") return state;
      return { ...state, dataset: { ...state.dataset, [state.tab]: action.id }, typing: false };
    case "closeDataset": {
      if (state.tab !== "find" && state.tab !== "mydata") return state;
      const dataset = { ...state.dataset };
      delete dataset[state.tab];
      return { ...state, dataset };
    }
    case "openPreview":
      return { ...state, preview: action.target, tab: "preview", typing: false };
    case "toggleHelp":
      return { ...state, overlay: state.overlay === "help" ? null : "help" };
    case "openWizard":
      return { ...state, overlay: "wizard", typing: false };
    case "closeOverlay":
      return { ...state, overlay: null };
    case "setTyping":
      return state.typing === action.typing ? state : { ...state, typing: action.typing };
    case "setLoggedIn": {
      const next = { ...state, loggedIn: action.loggedIn };
      return next.tab === "mydata" && !action.loggedIn ? { ...next, tab: "find" } : next;
    }
    case "notify":
      return { ...state, notice: action.notice };
  }
}
