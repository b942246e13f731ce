/**
 * Helpers for the tests of this package (not exported from the package entry): API clients for
 * the emulator's users and ground-truth helpers.
 */
import { CKANAPI } from "@dcor/api";

/** The parts of a running emulator the tests use. */
export interface EmulatorLike {
  url: string;
  users: { name: string; token: string; id: string }[];
}

/** A dataset as the emulator's ground truth lists it. */
export interface TruthDataset {
  id: string;
  name: string;
  organization?: { name: string } | null;
  groups?: { name: string }[];
  creator_user_id?: string;
  metadata_created?: string;
  metadata_modified?: string;
  private?: boolean;
}

/** A client for `user` (`null`: anonymous) of the emulator; no retries, short timeouts. */
export function apiFor(emu: EmulatorLike, user: string | null): CKANAPI {
  const token = user === null ? undefined : emu.users.find((u) => u.name === user)?.token;
  if (user !== null && !token) throw new Error(`no emulator user ${user}`);
  return new CKANAPI({ server: emu.url, apiKey: token, timeout: 60_000, retry: false });
}

/** Sorted ids, for comparing result sets. */
export function ids(datasets: Iterable<{ id: string }>): string[] {
  return [...datasets].map((d) => d.id).sort();
}

/** The emulator user id of `name`. */
export function userId(emu: EmulatorLike, name: string): string {
  const u = emu.users.find((x) => x.name === name);
  if (!u) throw new Error(`no emulator user ${name}`);
  return u.id;
}

export const inCircle = (names: string[]) => (d: TruthDataset) =>
  names.includes(d.organization?.name ?? "");
export const inCollection = (names: string[]) => (d: TruthDataset) =>
  (d.groups ?? []).some((g) => names.includes(g.name));
