import { Box, Text, useApp } from "ink";
import { useEffect, useMemo, useReducer, useRef } from "react";
import { copyToClipboard } from "../lib/clipboard.js";
import { describeError } from "../lib/errors.js";
import { elideMiddle, fit } from "../lib/text.js";
import type { DcorClient } from "../services/types.js";
import { HelpOverlay } from "./components/HelpOverlay.js";
import { StatusLine } from "./components/StatusLine.js";
import { TabBar } from "./components/TabBar.js";
import { ClientContext } from "./contexts/ClientContext.js";
import { type UIActions, UIActionsContext } from "./contexts/UIActionsContext.js";
import { type UIState, UIStateContext } from "./contexts/UIStateContext.js";
import { useConnection } from "./hooks/useConnection.js";
import { useTerminalSize } from "./hooks/useTerminalSize.js";
import type { Scope } from "./keys/keymap.js";
import { useKeymap } from "./keys/useKeymap.js";
import { initialNavState, navReducer, TABS, type TabId } from "./navigation.js";
import { Downloads } from "./screens/Downloads.js";
import { FindData } from "./screens/FindData.js";
import { MyData } from "./screens/MyData.js";
import { Preview } from "./screens/Preview.js";
import { makeTheme, type Theme } from "./theme.js";

export interface AppProps {
  client: DcorClient;
  demo?: boolean;
  /** Open the setup wizard (handled by the root, which owns the settings). */
  onSetup?: () => void;
  /** Called when the user quits, before Ink exits. */
  onQuit?: () => void;
  /** Where OSC 52 clipboard sequences go. @default process.stdout */
  clipboardOut?: NodeJS.WriteStream;
  connectionRefreshMs?: number;
  theme?: Theme;
  initialTab?: TabId;
  /** A message to show right away (e.g. that the settings could not be saved). */
  initialNotice?: string;
}

/** Notices disappear after this long. */
const NOTICE_MS = 6000;

function scopeOf(tab: TabId, datasetOpen: boolean): Scope {
  if (tab === "find" || tab === "mydata") return datasetOpen ? "dataset" : tab;
  return tab;
}

export function App(props: AppProps) {
  const { client } = props;
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const theme = useMemo(() => props.theme ?? makeTheme(), [props.theme]);
  const [nav, dispatch] = useReducer(
    navReducer,
    initialNavState({ loggedIn: client.hasApiKey, tab: props.initialTab }),
  );
  const connection = useConnection(client, props.connectionRefreshMs);
  const noticeTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  const typingRef = useRef(false);

  useEffect(() => {
    if (connection.state === "bad-token") dispatch({ type: "setLoggedIn", loggedIn: false });
    else if (connection.state === "ok")
      dispatch({ type: "setLoggedIn", loggedIn: Boolean(connection.user) });
  }, [connection]);
  useEffect(() => () => clearTimeout(noticeTimer.current), []);
  const initialNotice = props.initialNotice;
  useEffect(() => {
    if (initialNotice) dispatch({ type: "notify", notice: { text: initialNotice, kind: "error" } });
  }, [initialNotice]);

  const onSetup = props.onSetup;
  const onQuit = props.onQuit;
  const clipboardOut = props.clipboardOut;
  const actions = useMemo<UIActions>(() => {
    const notify = (text: string, kind: "info" | "error" = "info") => {
      dispatch({ type: "notify", notice: { text, kind } });
      clearTimeout(noticeTimer.current);
      noticeTimer.current = setTimeout(
        () => dispatch({ type: "notify", notice: undefined }),
        NOTICE_MS,
      );
      noticeTimer.current.unref?.();
    };
    const queued = (what: string) => (jobs: { destination: string }[]) => {
      if (jobs.length === 0) notify(`Nothing to download for ${what}`);
      else if (jobs.length === 1) notify(`Queued ${jobs[0]?.destination ?? what}`);
      else notify(`Queued ${jobs.length} files of ${what}`);
    };
    const failed = (err: unknown) => notify(`Download failed: ${describeError(err)}`, "error");
    return {
      nextTab: () => {
        typingRef.current = false;
        dispatch({ type: "nextTab" });
      },
      prevTab: () => {
        typingRef.current = false;
        dispatch({ type: "prevTab" });
      },
      gotoTab: (tab) => {
        typingRef.current = false;
        dispatch({ type: "gotoTab", tab });
      },
      openDataset: (id) => dispatch({ type: "openDataset", id }),
      closeDataset: () => dispatch({ type: "closeDataset" }),
      openPreview: (target) => dispatch({ type: "openPreview", target }),
      toggleHelp: () => dispatch({ type: "toggleHelp" }),
      openWizard: () => onSetup?.(),
      closeOverlay: () => dispatch({ type: "closeOverlay" }),
      setTyping: (typing) => {
        typingRef.current = typing;
        dispatch({ type: "setTyping", typing });
      },
      typingRef,
      notify,
      copy: (text, what) => {
        const ok = copyToClipboard(text, clipboardOut ?? process.stdout);
        notify(ok ? `Copied ${what} to the clipboard: ${text}` : `${what}: ${text}`);
      },
      queueResource: (id, opts) => {
        client.downloads.addResource(id, opts).then(queued("the resource"), failed);
      },
      queueDataset: (id, opts) => {
        client.downloads.addDataset(id, opts).then(queued("the dataset"), failed);
      },
      quit: () => {
        onQuit?.();
        exit();
      },
    };
  }, [client, exit, onSetup, onQuit, clipboardOut]);

  const datasetOpen =
    nav.tab === "find"
      ? Boolean(nav.dataset.find)
      : nav.tab === "mydata" && Boolean(nav.dataset.mydata);
  const scope = scopeOf(nav.tab, datasetOpen);
  const overlayOpen = nav.overlay !== null;

  // Letters are text while a field has the keyboard; Tab, Shift-Tab and Ctrl-C still work.
  const unlessTyping = (fn: () => void) => () => {
    if (!typingRef.current) fn();
  };
  useKeymap(
    "global",
    {
      quit: (_input, key) => {
        if (key.ctrl || !typingRef.current) actions.quit();
      },
      help: unlessTyping(actions.toggleHelp),
      nextTab: actions.nextTab,
      prevTab: actions.prevTab,
      setup: unlessTyping(actions.openWizard),
    },
    { isActive: !overlayOpen },
  );
  useKeymap(
    "help",
    { help: actions.toggleHelp, back: actions.closeOverlay },
    { isActive: nav.overlay === "help" },
  );

  const state = useMemo<UIState>(
    () => ({
      nav,
      server: client.server,
      connection,
      columns,
      rows,
      theme,
      demo: Boolean(props.demo),
    }),
    [nav, client.server, connection, columns, rows, theme, props.demo],
  );

  // Leave one line free: Ink redraws the whole screen (flicker) when output fills the terminal.
  const height = Math.max(10, rows - 1);
  const bodyHeight = height - 3;
  const width = columns;
  const screen = (tab: TabId) => {
    const common = { isActive: nav.tab === tab && !overlayOpen, height: bodyHeight, width };
    switch (tab) {
      case "find":
        return <FindData {...common} />;
      case "mydata":
        return <MyData {...common} />;
      case "downloads":
        return <Downloads {...common} />;
      case "preview":
        return <Preview {...common} />;
    }
  };
  const notice = nav.notice;
  return (
    <ClientContext.Provider value={client}>
      <UIStateContext.Provider value={state}>
        <UIActionsContext.Provider value={actions}>
          <Box flexDirection="column" width={width} height={height}>
            <TabBar />
            <Box flexDirection="column" height={bodyHeight}>
              {nav.overlay === "help" ? (
                <HelpOverlay scope={scope} width={width} height={bodyHeight} />
              ) : null}
              {/* Every tab stays mounted (keeping its search, selection and data); only one is shown. */}
              {TABS.map((t) => (
                <Box
                  key={t.id}
                  flexDirection="column"
                  display={nav.tab === t.id && nav.overlay !== "help" ? "flex" : "none"}
                >
                  {t.id === "mydata" && !nav.loggedIn
                    ? null
                    : t.id === "preview" && !nav.preview
                      ? null
                      : screen(t.id)}
                </Box>
              ))}
            </Box>
            <Text color={notice?.kind === "error" ? theme.error : theme.accent}>
              {fit(notice ? elideMiddle(notice.text, width) : "", width)}
            </Text>
            <StatusLine />
          </Box>
        </UIActionsContext.Provider>
      </UIStateContext.Provider>
    </ClientContext.Provider>
  );
}
