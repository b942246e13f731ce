import { createContext, useContext } from "react";
import type { DcorClient } from "../../services/types.js";

export const ClientContext = createContext<DcorClient | null>(null);

/** The DCOR client of this session (all data access goes through it). */
export function useClient(): DcorClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside <ClientContext.Provider>");
  return client;
}
