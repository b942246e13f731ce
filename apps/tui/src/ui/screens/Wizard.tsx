import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import {
  PLAYGROUND_SERVER,
  PRODUCTION_SERVER,
  type Scenario,
  type Settings,
} from "../../config/settings.js";
import { describeError } from "../../lib/errors.js";
import { fit, maskSecret } from "../../lib/text.js";
import type { ConnectionStatus } from "../../services/types.js";
import { ListView, moveSelection } from "../components/ListView.js";
import { CONNECTION_LABELS } from "../components/StatusLine.js";
import { TextField } from "../components/TextField.js";
import { useKeymap } from "../keys/useKeymap.js";

/** Check a server/token pair (user_show for a token, else reachability). */
export type VerifyFn = (
  settings: Settings,
  opts: { signal: AbortSignal },
) => Promise<ConnectionStatus>;

export interface WizardProps {
  verify: VerifyFn;
  onDone(settings: Settings): void;
  /** Esc on the first step; absent on first run (nothing to go back to). */
  onCancel?: () => void;
  /** Server hosts for the scenarios. */
  servers?: { production: string; playground: string };
  width: number;
  height: number;
}

export const SCENARIO_CHOICES: readonly { scenario: Scenario; title: string; text: string }[] = [
  {
    scenario: "anonymous",
    title: "Anonymous",
    text: "Browse and download public data on DCOR, no account needed.",
  },
  {
    scenario: "token",
    title: "API token",
    text: "Log in to DCOR with an API token (your private data, My Data).",
  },
  {
    scenario: "playground",
    title: "Playground",
    text: "The DCOR-dev server for trying things out (data purged weekly).",
  },
  {
    scenario: "custom",
    title: "Custom server",
    text: "Another DCOR instance (e.g. your institute's), optional token.",
  },
];

type Step =
  | { kind: "choose" }
  | { kind: "server" }
  | { kind: "token" }
  | { kind: "check"; settings: Settings; status?: ConnectionStatus; error?: string };

/** First-run setup: pick how to connect; a token is checked with user_show before it is saved. */
export function Wizard({ verify, onDone, onCancel, servers, width, height }: WizardProps) {
  const hosts = servers ?? { production: PRODUCTION_SERVER, playground: PLAYGROUND_SERVER };
  const [step, setStep] = useState<Step>({ kind: "choose" });
  const [choice, setChoice] = useState(0);
  const [server, setServer] = useState("");
  const [token, setToken] = useState("");
  const scenario = SCENARIO_CHOICES[choice]?.scenario ?? "anonymous";

  const settingsFor = (): Settings => {
    switch (scenario) {
      case "anonymous":
        return { scenario, server: hosts.production };
      case "playground":
        return { scenario, server: hosts.playground };
      case "token":
        return { scenario, server: hosts.production, apiKey: token.trim() };
      case "custom":
        return token.trim()
          ? { scenario, server: server.trim(), apiKey: token.trim() }
          : { scenario, server: server.trim() };
    }
  };

  const checking = step.kind === "check" ? step.settings : undefined;
  useEffect(() => {
    if (!checking) return;
    const controller = new AbortController();
    verify(checking, { signal: controller.signal }).then(
      (status) => {
        if (!controller.signal.aborted) setStep({ kind: "check", settings: checking, status });
      },
      (err: unknown) => {
        if (!controller.signal.aborted)
          setStep({ kind: "check", settings: checking, error: describeError(err) });
      },
    );
    return () => controller.abort();
  }, [checking, verify]);

  useKeymap(
    "picker",
    {
      up: () => setChoice((c) => moveSelection(c, -1, SCENARIO_CHOICES.length)),
      down: () => setChoice((c) => moveSelection(c, 1, SCENARIO_CHOICES.length)),
      confirm: () => {
        if (scenario === "token") setStep({ kind: "token" });
        else if (scenario === "custom") setStep({ kind: "server" });
        else setStep({ kind: "check", settings: settingsFor() });
      },
      back: () => onCancel?.(),
    },
    { isActive: step.kind === "choose" },
  );
  useKeymap(
    "input",
    {
      submit: () => {
        if (step.kind === "server" && server.trim()) setStep({ kind: "token" });
        else if (step.kind === "token" && (token.trim() || scenario === "custom")) {
          setStep({ kind: "check", settings: settingsFor() });
        }
      },
      back: () =>
        setStep(
          step.kind === "token" && scenario === "custom" ? { kind: "server" } : { kind: "choose" },
        ),
    },
    { isActive: step.kind === "server" || step.kind === "token" },
  );
  const result = step.kind === "check" ? step : undefined;
  // A server that is down for now may be saved for anonymous use; a bad address or token not.
  const OFFLINE_STATES = ["no-connection", "timeout", "maintenance"];
  const accepted =
    result?.status &&
    (result.status.state === "ok" ||
      (!result.settings.apiKey && OFFLINE_STATES.includes(result.status.state)));
  useKeymap(
    "picker",
    {
      confirm: () => {
        if (result && accepted) onDone(result.settings);
      },
      back: () => setStep(result?.settings.apiKey ? { kind: "token" } : { kind: "choose" }),
    },
    { isActive: step.kind === "check" && Boolean(result?.status || result?.error) },
  );

  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={height}>
      <Text bold>DCOR setup</Text>
      {step.kind === "choose" ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>How do you want to use DCOR? (↑/↓, Enter)</Text>
          <ListView
            items={SCENARIO_CHOICES}
            selected={choice}
            height={SCENARIO_CHOICES.length}
            renderRow={(c, _i, selected) => (
              <Text inverse={selected}>
                {fit(`${selected ? "›" : " "} ${c.title.padEnd(14)} ${c.text}`, width - 4)}
              </Text>
            )}
          />
        </Box>
      ) : null}
      {step.kind === "server" ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>Server address (host name or URL), Enter to continue, Esc back:</Text>
          <TextField
            value={server}
            onChange={setServer}
            isActive
            placeholder="e.g. dcor.example.org"
            width={width - 4}
          />
        </Box>
      ) : null}
      {step.kind === "token" ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            {scenario === "custom"
              ? "API token (leave empty for anonymous access), Enter to check, Esc back:"
              : "Paste your API token (from your DCOR user page → API Tokens), Enter to check, Esc back:"}
          </Text>
          <TextField value={token} onChange={setToken} isActive mask width={width - 4} />
        </Box>
      ) : null}
      {result ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>{`Server: ${result.settings.server}`}</Text>
          <Text>{`API token: ${result.settings.apiKey ? maskSecret(result.settings.apiKey) : "none (anonymous)"}`}</Text>
          {!result.status && !result.error ? <Text dimColor>Checking…</Text> : null}
          {result.error ? <Text>{`Check failed: ${result.error}`}</Text> : null}
          {result.status ? (
            <Text bold>
              {result.status.user
                ? `Logged in as ${result.status.user.fullname ? `${result.status.user.fullname} (${result.status.user.name})` : result.status.user.name}`
                : result.status.state === "ok"
                  ? "Server reachable; anonymous access"
                  : `Connection: ${CONNECTION_LABELS[result.status.state]}${result.status.detail ? ` – ${result.status.detail}` : ""}`}
            </Text>
          ) : null}
          {result.status || result.error ? (
            <Text dimColor>
              {accepted ? "Enter save and start · Esc back" : "Esc back and correct it"}
            </Text>
          ) : null}
        </Box>
      ) : null}
    </Box>
  );
}
