import { Box, Text, useApp, useInput } from "ink";
import { Component, type ReactNode } from "react";
import { describeError } from "../lib/errors.js";

/** Keeps q and Ctrl-C working on the error screen. */
function QuitKeys() {
  const { exit } = useApp();
  useInput((input, key) => {
    if (input === "q" || (key.ctrl && input === "c")) exit();
  });
  return null;
}

/** Last line of defence: a render error becomes a readable message, not a stack trace. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: unknown }> {
  override state: { error?: unknown } = {};

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    if (this.state.error !== undefined) {
      return (
        <Box flexDirection="column">
          <Text bold>Something went wrong and this screen cannot be shown:</Text>
          <Text>{describeError(this.state.error)}</Text>
          <Text dimColor>Press q to quit.</Text>
          <QuitKeys />
        </Box>
      );
    }
    return this.props.children;
  }
}
