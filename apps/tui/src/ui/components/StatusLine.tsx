import { Box, Text } from "ink";
import { elideMiddle } from "../../lib/text.js";
import type { ConnectionState } from "../../services/types.js";
import { useUIState } from "../contexts/UIStateContext.js";

export const CONNECTION_LABELS: Record<ConnectionState, string> = {
  checking: "checking…",
  ok: "ok",
  "no-connection": "no connection",
  maintenance: "under maintenance",
  "bad-token": "API token incorrect",
  timeout: "connection timeout",
  error: "server error",
};

/** The always-visible bottom line: connection state, server, user. */
export function StatusLine() {
  const { server, connection, columns, theme } = useUIState();
  const color =
    connection.state === "ok"
      ? theme.ok
      : connection.state === "checking"
        ? theme.muted
        : theme.error;
  const user = connection.user
    ? connection.user.fullname
      ? `${connection.user.fullname} (${connection.user.name})`
      : connection.user.name
    : connection.state === "bad-token"
      ? "not logged in"
      : "anonymous";
  const hints = "? help  q quit";
  const label = CONNECTION_LABELS[connection.state];
  const room = Math.max(10, columns - label.length - user.length - hints.length - 10);
  return (
    <Box width={columns}>
      <Text color={color}>{`● ${label}`}</Text>
      <Text>{`  ${elideMiddle(server.replace(/^https?:\/\//, ""), room)}  `}</Text>
      <Text bold>{user}</Text>
      <Box flexGrow={1} />
      <Text dimColor>{hints}</Text>
    </Box>
  );
}
