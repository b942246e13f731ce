import { Box, Text } from "ink";
import { useMemo } from "react";
import { brailleScatter, formatTick, runsOf } from "../../lib/braille.js";
import { fit } from "../../lib/text.js";
import type { ScatterData } from "../../services/types.js";
import type { Theme } from "../theme.js";

export interface ScatterPlotProps {
  data: ScatterData;
  xLabel: string;
  yLabel: string;
  /** Total size in cells, axes included. */
  width: number;
  height: number;
  theme: Theme;
}

const Y_AXIS = 8;

/** A braille density scatter with y ticks on the left and x ticks plus the x label below. */
export function ScatterPlot({ data, xLabel, yLabel, width, height, theme }: ScatterPlotProps) {
  const plotWidth = Math.max(4, width - Y_AXIS - 1);
  const plotHeight = Math.max(2, height - 4);
  const plot = useMemo(
    () =>
      brailleScatter({
        x: data.x,
        y: data.y,
        density: data.density,
        width: plotWidth,
        height: plotHeight,
        levels: theme.density.length,
      }),
    [data, plotWidth, plotHeight, theme.density.length],
  );
  const [x0, x1] = plot.xRange;
  const [y0, y1] = plot.yRange;
  const yTick = (r: number): string => {
    if (r === 0) return formatTick(y1);
    if (r === plotHeight - 1) return formatTick(y0);
    if (r === Math.floor(plotHeight / 2)) return formatTick((y0 + y1) / 2);
    return "";
  };
  const xLeft = formatTick(x0);
  const xMid = formatTick((x0 + x1) / 2);
  const xRight = formatTick(x1);
  const half = Math.floor(plotWidth / 2);
  const xTicks =
    xLeft.padEnd(Math.max(xLeft.length + 1, half - Math.floor(xMid.length / 2))) + xMid;
  return (
    <Box flexDirection="column">
      <Text bold>{fit(yLabel, width)}</Text>
      {plot.rows.map((row, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <Box key={r}>
          <Text dimColor>{`${fit(yTick(r), Y_AXIS - 1, "right")}│`}</Text>
          {runsOf(row).map((run, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: runs are positional
            <Text key={i} color={run.level >= 0 ? theme.density[run.level] : undefined}>
              {run.text}
            </Text>
          ))}
        </Box>
      ))}
      <Text dimColor>{`${" ".repeat(Y_AXIS - 1)}└${"─".repeat(plotWidth)}`}</Text>
      <Text dimColor>
        {" ".repeat(Y_AXIS)}
        {fit(xTicks, Math.max(1, plotWidth - xRight.length))}
        {xRight}
      </Text>
      <Text bold>{`${" ".repeat(Y_AXIS)}${fit(xLabel, plotWidth)}`}</Text>
    </Box>
  );
}
