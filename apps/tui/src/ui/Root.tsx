import { useCallback, useEffect, useMemo, useState } from "react";
import type { Settings, SettingsStore } from "../config/settings.js";
import type { DcorClient } from "../services/types.js";
import { App, type AppProps } from "./App.js";
import { useTerminalSize } from "./hooks/useTerminalSize.js";
import { type VerifyFn, Wizard } from "./screens/Wizard.js";

export interface RootProps extends Omit<AppProps, "client" | "onSetup"> {
  /** Effective settings; undefined on first run → the setup wizard. */
  settings?: Settings;
  /** Where the wizard saves; absent in demo mode (nothing is written). */
  store?: SettingsStore;
  createClient(settings: Settings): DcorClient;
  verify: VerifyFn;
  servers?: { production: string; playground: string };
}

/** Owns the settings: shows the wizard when needed and (re)creates the client when they change. */
export function Root(props: RootProps) {
  const { createClient, store } = props;
  const [settings, setSettings] = useState<Settings | undefined>(props.settings);
  const [wizard, setWizard] = useState(!props.settings);
  const [saveError, setSaveError] = useState<string | undefined>();
  // A new App (fresh state) for every settings change, like DCOR-Aid's restart.
  const [generation, setGeneration] = useState(0);
  const { columns, rows } = useTerminalSize();
  const client = useMemo(
    () => (settings ? createClient(settings) : undefined),
    [settings, createClient],
  );
  useEffect(() => () => void client?.close().catch(() => {}), [client]);
  const onDone = useCallback(
    (next: Settings) => {
      const merged: Settings = {
        ...next,
        ...(settings?.downloadDir ? { downloadDir: settings.downloadDir } : {}),
      };
      setWizard(false);
      setSettings(merged);
      setGeneration((g) => g + 1);
      store
        ?.save(merged)
        .catch((err: unknown) =>
          setSaveError(`Settings not saved: ${String((err as Error).message)}`),
        );
    },
    [settings, store],
  );
  if (wizard || !client) {
    return (
      <Wizard
        verify={props.verify}
        servers={props.servers}
        onDone={onDone}
        onCancel={settings ? () => setWizard(false) : undefined}
        width={columns}
        height={Math.max(10, rows - 1)}
      />
    );
  }
  return (
    <App
      {...props}
      key={generation}
      client={client}
      initialNotice={saveError}
      onSetup={() => setWizard(true)}
    />
  );
}
