import type { Key } from "ink";

/**
 * THE key map. Every handler resolves keys through it and the `?` help overlay and the README key
 * table are generated from it, so what is documented is what works.
 */

/** Where a binding applies. "global" is active whenever no text field or overlay has the keys. */
export type Scope =
  | "global"
  | "input"
  | "find"
  | "dataset"
  | "mydata"
  | "downloads"
  | "preview"
  | "picker"
  | "help";

export type Action =
  | "quit"
  | "help"
  | "nextTab"
  | "prevTab"
  | "setup"
  | "up"
  | "down"
  | "pageUp"
  | "pageDown"
  | "open"
  | "back"
  | "search"
  | "submit"
  | "filterCircles"
  | "filterCollections"
  | "clearFilters"
  | "download"
  | "downloadCondensed"
  | "downloadDataset"
  | "preview"
  | "copyId"
  | "copyDcserv"
  | "webUrl"
  | "prevList"
  | "nextList"
  | "refresh"
  | "pauseResume"
  | "cancel"
  | "retry"
  | "chooseX"
  | "chooseY"
  | "toggle"
  | "confirm";

/** One key: either a typed character (`input`) or a named special key, with modifiers. */
export interface KeySpec {
  input?: string;
  special?:
    | "tab"
    | "return"
    | "escape"
    | "upArrow"
    | "downArrow"
    | "leftArrow"
    | "rightArrow"
    | "pageUp"
    | "pageDown";
  shift?: boolean;
  ctrl?: boolean;
}

export interface KeyBinding {
  action: Action;
  scopes: readonly Scope[];
  keys: readonly KeySpec[];
  description: string;
}

const LISTS: Scope[] = ["find", "dataset", "mydata", "downloads", "picker"];

export const KEYMAP: readonly KeyBinding[] = [
  {
    action: "quit",
    scopes: ["global"],
    keys: [{ input: "q" }, { input: "c", ctrl: true }],
    description: "Quit",
  },
  {
    action: "help",
    scopes: ["global", "help"],
    keys: [{ input: "?" }],
    description: "Show/hide this help",
  },
  { action: "nextTab", scopes: ["global"], keys: [{ special: "tab" }], description: "Next tab" },
  {
    action: "prevTab",
    scopes: ["global"],
    keys: [{ special: "tab", shift: true }],
    description: "Previous tab",
  },
  {
    action: "setup",
    scopes: ["global"],
    keys: [{ input: "S" }],
    description: "Setup: server and token",
  },
  {
    action: "up",
    scopes: LISTS,
    keys: [{ special: "upArrow" }, { input: "k" }],
    description: "Move up",
  },
  {
    action: "down",
    scopes: LISTS,
    keys: [{ special: "downArrow" }, { input: "j" }],
    description: "Move down",
  },
  {
    action: "pageUp",
    scopes: ["find", "mydata", "downloads", "picker"],
    keys: [{ special: "pageUp" }],
    description: "Page up",
  },
  {
    action: "pageDown",
    scopes: ["find", "mydata", "downloads", "picker"],
    keys: [{ special: "pageDown" }],
    description: "Page down",
  },
  {
    action: "open",
    scopes: ["find", "mydata"],
    keys: [{ special: "return" }],
    description: "Open the dataset",
  },
  {
    action: "back",
    scopes: ["dataset", "preview", "help"],
    keys: [{ special: "escape" }],
    description: "Back / close",
  },
  {
    action: "search",
    scopes: ["find"],
    keys: [{ input: "/" }],
    description: "Edit the search text",
  },
  {
    action: "submit",
    scopes: ["input"],
    keys: [{ special: "return" }, { special: "downArrow" }],
    description: "Back to the list",
  },
  {
    action: "back",
    scopes: ["input"],
    keys: [{ special: "escape" }],
    description: "Leave the text field",
  },
  {
    action: "filterCircles",
    scopes: ["find"],
    keys: [{ input: "c" }],
    description: "Filter by circles",
  },
  {
    action: "filterCollections",
    scopes: ["find"],
    keys: [{ input: "o" }],
    description: "Filter by collections",
  },
  {
    action: "clearFilters",
    scopes: ["find"],
    keys: [{ input: "x" }],
    description: "Clear search and filters",
  },
  {
    action: "download",
    scopes: ["dataset"],
    keys: [{ input: "d" }],
    description: "Download the resource",
  },
  {
    action: "downloadCondensed",
    scopes: ["dataset"],
    keys: [{ input: "D" }],
    description: "Download the condensed resource",
  },
  {
    action: "downloadDataset",
    scopes: ["dataset"],
    keys: [{ input: "a" }],
    description: "Download all resources of the dataset",
  },
  {
    action: "preview",
    scopes: ["dataset"],
    keys: [{ input: "p" }],
    description: "Preview the resource (scatter plot)",
  },
  {
    action: "copyId",
    scopes: ["dataset"],
    keys: [{ input: "y" }],
    description: "Copy the resource id (OSC 52)",
  },
  {
    action: "copyDcserv",
    scopes: ["dataset"],
    keys: [{ input: "u" }],
    description: "Copy the dcserv URL (for DCscope, dclab)",
  },
  {
    action: "webUrl",
    scopes: ["dataset"],
    keys: [{ input: "w" }],
    description: "Show the web page URL",
  },
  {
    action: "prevList",
    scopes: ["mydata"],
    keys: [{ special: "leftArrow" }, { input: "h" }],
    description: "Previous list (owned/shared/following)",
  },
  {
    action: "nextList",
    scopes: ["mydata"],
    keys: [{ special: "rightArrow" }, { input: "l" }],
    description: "Next list",
  },
  { action: "refresh", scopes: ["mydata"], keys: [{ input: "r" }], description: "Reload" },
  {
    action: "pauseResume",
    scopes: ["downloads"],
    keys: [{ input: "p" }, { input: " " }],
    description: "Pause / resume",
  },
  { action: "cancel", scopes: ["downloads"], keys: [{ input: "x" }], description: "Cancel" },
  { action: "retry", scopes: ["downloads"], keys: [{ input: "r" }], description: "Retry" },
  {
    action: "chooseX",
    scopes: ["preview"],
    keys: [{ input: "x" }],
    description: "Choose the x axis feature",
  },
  {
    action: "chooseY",
    scopes: ["preview"],
    keys: [{ input: "y" }],
    description: "Choose the y axis feature",
  },
  {
    action: "toggle",
    scopes: ["picker"],
    keys: [{ input: " " }],
    description: "Select / unselect",
  },
  { action: "confirm", scopes: ["picker"], keys: [{ special: "return" }], description: "Apply" },
  { action: "back", scopes: ["picker"], keys: [{ special: "escape" }], description: "Cancel" },
];

/** The subset of Ink's `Key` we look at (so tests can build keys without Ink). */
export type KeyEvent = Partial<
  Pick<
    Key,
    | "tab"
    | "return"
    | "escape"
    | "upArrow"
    | "downArrow"
    | "leftArrow"
    | "rightArrow"
    | "pageUp"
    | "pageDown"
    | "shift"
    | "ctrl"
  >
>;

/** Whether a key event matches a spec. */
export function matches(spec: KeySpec, input: string, key: KeyEvent): boolean {
  if (spec.special) {
    if (!key[spec.special]) return false;
    // Shift-Tab must not also fire Tab, but Shift is irrelevant for other special keys.
    if (spec.special === "tab") return Boolean(spec.shift) === Boolean(key.shift);
    return true;
  }
  if (spec.ctrl) return Boolean(key.ctrl) && input === spec.input;
  if (key.ctrl) return false;
  return input === spec.input;
}

/** The action bound to a key in a scope, if any. */
export function resolveAction(scope: Scope, input: string, key: KeyEvent): Action | undefined {
  for (const binding of KEYMAP) {
    if (!binding.scopes.includes(scope)) continue;
    if (binding.keys.some((spec) => matches(spec, input, key))) return binding.action;
  }
  return undefined;
}

const SPECIAL_LABELS: Record<NonNullable<KeySpec["special"]>, string> = {
  tab: "Tab",
  return: "Enter",
  escape: "Esc",
  upArrow: "↑",
  downArrow: "↓",
  leftArrow: "←",
  rightArrow: "→",
  pageUp: "PgUp",
  pageDown: "PgDn",
};

/** A human label for a key: "Shift-Tab", "Ctrl-C", "Space", "j". */
export function keyLabel(spec: KeySpec): string {
  const base = spec.special
    ? SPECIAL_LABELS[spec.special]
    : spec.input === " "
      ? "Space"
      : spec.ctrl
        ? (spec.input ?? "").toUpperCase()
        : (spec.input ?? "");
  return `${spec.ctrl ? "Ctrl-" : ""}${spec.shift ? "Shift-" : ""}${base}`;
}

export const SCOPE_TITLES: Record<Scope, string> = {
  global: "Everywhere",
  input: "Text fields",
  find: "Find Data",
  dataset: "Dataset view",
  mydata: "My Data",
  downloads: "Downloads",
  preview: "Preview",
  picker: "Lists to choose from",
  help: "Help",
};

export interface HelpSection {
  scope: Scope;
  title: string;
  rows: { keys: string; description: string }[];
}

/** The help text, one section per scope, straight from {@link KEYMAP}. */
export function helpSections(
  scopes: readonly Scope[] = Object.keys(SCOPE_TITLES) as Scope[],
): HelpSection[] {
  return scopes
    .filter((s) => s !== "help")
    .map((scope) => ({
      scope,
      title: SCOPE_TITLES[scope],
      rows: KEYMAP.filter((b) => b.scopes.includes(scope)).map((b) => ({
        keys: b.keys.map(keyLabel).join(" "),
        description: b.description,
      })),
    }))
    .filter((s) => s.rows.length > 0);
}

/** The key table as Markdown (the README's "Keys" section is checked against this by a test). */
export function keymapMarkdown(): string {
  const lines: string[] = [];
  for (const section of helpSections()) {
    lines.push(`**${section.title}**`, "", "| Keys | Action |", "| --- | --- |");
    for (const row of section.rows)
      lines.push(`| ${row.keys.replaceAll("|", "\\|")} | ${row.description} |`);
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}
