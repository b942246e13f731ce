import { Box, Text } from "ink";
import { useUIState } from "../contexts/UIStateContext.js";
import { enabledTabs, TABS } from "../navigation.js";

export function TabBar() {
  const { nav, theme, demo } = useUIState();
  const enabled = enabledTabs(nav);
  return (
    <Box>
      {TABS.map((tab) => {
        const active = tab.id === nav.tab;
        const on = enabled.includes(tab.id);
        return (
          <Text
            key={tab.id}
            inverse={active}
            bold={active}
            dimColor={!on}
            color={active ? theme.accent : undefined}
          >
            {` ${tab.title} `}
          </Text>
        );
      })}
      {demo ? <Text color={theme.warn}> DEMO</Text> : null}
    </Box>
  );
}
