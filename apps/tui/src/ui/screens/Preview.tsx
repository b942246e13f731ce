import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { describeError } from "../../lib/errors.js";
import { fit } from "../../lib/text.js";
import type { PreviewSession } from "../../services/types.js";
import { Picker } from "../components/Picker.js";
import { ScatterPlot } from "../components/ScatterPlot.js";
import { useClient } from "../contexts/ClientContext.js";
import { useUIActions } from "../contexts/UIActionsContext.js";
import { useUIState } from "../contexts/UIStateContext.js";
import { useAsync } from "../hooks/useAsync.js";
import { useKeymap } from "../keys/useKeymap.js";
import type { ScreenProps } from "./FindData.js";

export const DEFAULT_AXES: [string, string] = ["area_um", "deform"];

/** Default axes: area_um vs deform, else the first two scalar features. */
export function defaultAxes(features: readonly string[]): [string, string] {
  const [dx, dy] = DEFAULT_AXES;
  const x = features.includes(dx) ? dx : (features[0] ?? dx);
  const y = features.includes(dy) ? dy : (features.find((f) => f !== x) ?? dy);
  return [x, y];
}

export function Preview({ isActive, height, width }: ScreenProps) {
  const client = useClient();
  const { nav, theme } = useUIState();
  const actions = useUIActions();
  const target = nav.preview;
  const [session, setSession] = useState<PreviewSession | undefined>();
  const [openError, setOpenError] = useState<string | undefined>();
  const [axes, setAxes] = useState<[string, string] | undefined>();
  const [picker, setPicker] = useState<"x" | "y" | null>(null);

  useEffect(() => {
    if (!target) return;
    const controller = new AbortController();
    let opened: PreviewSession | undefined;
    setSession(undefined);
    setOpenError(undefined);
    setAxes(undefined);
    client.openPreview(target.resourceId, { signal: controller.signal }).then(
      (s) => {
        opened = s;
        if (controller.signal.aborted) {
          void s.close().catch(() => {});
          return;
        }
        setSession(s);
        setAxes(defaultAxes(s.features));
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setOpenError(describeError(err));
      },
    );
    return () => {
      controller.abort();
      if (opened) void opened.close().catch(() => {});
    };
  }, [client, target]);

  const scatter = useAsync(
    (signal) =>
      session && axes ? session.scatter(axes[0], axes[1], { signal }) : Promise.resolve(undefined),
    [session, axes?.[0], axes?.[1]],
    { enabled: Boolean(session && axes) },
  );

  useKeymap(
    "preview",
    {
      chooseX: () => session && setPicker("x"),
      chooseY: () => session && setPicker("y"),
      back: () => actions.gotoTab("find"),
    },
    { isActive: isActive && !picker },
  );

  if (!target) return <Text dimColor>Open a dataset and press p on an RT-DC resource.</Text>;
  const title = `${target.resourceName}${target.datasetTitle ? ` · ${target.datasetTitle}` : ""}`;
  if (openError) {
    return (
      <Box flexDirection="column" height={height}>
        <Text bold>{fit(title, width)}</Text>
        <Text color={theme.error}>{`Could not open the resource: ${openError}`}</Text>
      </Box>
    );
  }
  if (!session || !axes) {
    return (
      <Box flexDirection="column" height={height}>
        <Text bold>{fit(title, width)}</Text>
        <Text dimColor>Opening the resource remotely…</Text>
      </Box>
    );
  }
  if (picker) {
    return (
      <Picker
        title={`Feature for the ${picker} axis`}
        items={session.features.map((f) => ({ value: f, label: `${session.label(f)}  (${f})` }))}
        multi={false}
        initial={[picker === "x" ? axes[0] : axes[1]]}
        height={height}
        width={width}
        isActive={isActive}
        onCancel={() => setPicker(null)}
        onConfirm={([f]) => {
          if (f) setAxes(picker === "x" ? [f, axes[1]] : [axes[0], f]);
          setPicker(null);
        }}
      />
    );
  }
  const info = `${session.sample ? `sample ${session.sample} · ` : ""}${session.length} events`;
  return (
    <Box flexDirection="column" height={height}>
      <Text>
        <Text bold>{fit(title, Math.max(10, width - info.length - 2))}</Text>
        {"  "}
        {info}
      </Text>
      {scatter.error ? (
        <Text color={theme.error}>{`Could not load the features: ${scatter.error}`}</Text>
      ) : scatter.data ? (
        <ScatterPlot
          data={scatter.data}
          xLabel={session.label(axes[0])}
          yLabel={session.label(axes[1])}
          width={width}
          height={height - 2}
          theme={theme}
        />
      ) : (
        <Text dimColor>{`Loading ${axes[0]} and ${axes[1]}…`}</Text>
      )}
      <Box flexGrow={1} />
      <Text dimColor>{fit("x choose x axis  y choose y axis  Esc back", width)}</Text>
    </Box>
  );
}
