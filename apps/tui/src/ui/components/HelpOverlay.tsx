import { Box, Text } from "ink";
import { helpSections, type Scope } from "../keys/keymap.js";

export interface HelpOverlayProps {
  /** The scope of the focused screen; its section is shown with the global one. */
  scope: Scope;
  width: number;
  height: number;
}

/** The `?` overlay, generated from the key map. */
export function HelpOverlay({ scope, width, height }: HelpOverlayProps) {
  const scopes: Scope[] = ["global", scope, ...(scope === "find" ? (["input"] as Scope[]) : [])];
  const sections = helpSections(scopes);
  const keyWidth = 16;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={height}>
      <Text bold>Keys (Esc or ? to close)</Text>
      {sections.map((section) => (
        <Box key={section.scope} flexDirection="column" marginTop={1}>
          <Text bold underline>
            {section.title}
          </Text>
          {section.rows.map((row) => (
            <Text key={`${section.scope}-${row.keys}-${row.description}`}>
              <Text bold>{row.keys.padEnd(keyWidth)}</Text>
              {row.description}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
