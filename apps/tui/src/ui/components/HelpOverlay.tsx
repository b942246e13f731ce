import { Box, Text } from "ink";
import { fit } from "../../lib/text.js";
import { type HelpSection, helpSections, type Scope } from "../keys/keymap.js";

export interface HelpOverlayProps {
  /** The scope of the focused screen; its keys are shown next to the global ones. */
  scope: Scope;
  width: number;
  height: number;
}

const KEY_WIDTH = 12;

function Section({ section, width }: { section: HelpSection; width: number }) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text bold underline>
        {section.title}
      </Text>
      {section.rows.map((row) => (
        <Text key={`${section.scope}-${row.keys}-${row.description}`}>
          <Text bold>{fit(row.keys, KEY_WIDTH)}</Text>
          {fit(row.description, Math.max(4, width - KEY_WIDTH))}
        </Text>
      ))}
    </Box>
  );
}

/** The `?` overlay, generated from the key map: global keys on the left, this screen's on the right. */
export function HelpOverlay({ scope, width, height }: HelpOverlayProps) {
  const [global, ...local] = helpSections([
    "global",
    scope,
    ...(scope === "find" ? (["input"] as Scope[]) : []),
  ]);
  const column = Math.max(20, Math.floor((width - 5) / 2));
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={height}>
      <Text bold>Keys (Esc or ? to close)</Text>
      <Box>
        <Box flexDirection="column" width={column} marginRight={1}>
          {global ? <Section section={global} width={column} /> : null}
        </Box>
        <Box flexDirection="column" width={column}>
          {local.map((s) => (
            <Section key={s.scope} section={s} width={column} />
          ))}
        </Box>
      </Box>
    </Box>
  );
}
