/**
 * DCOR's permission rules. CKAN gives every dataset permission labels (`public`, `member-<org>`,
 * `collaborator-<ds>`; DCOR adds `group-<collection>`) and every user the labels of their
 * memberships; a user may read a dataset when the label sets intersect. Sysadmins bypass them.
 */
import type { DatasetRecord, UserRecord } from "./catalog.js";
import type { Capacity } from "./sample-catalog.js";

/** What each circle capacity allows (DCOR removes `manage_group` from the member role). */
export const CAPACITY_PERMISSIONS: Record<Capacity, readonly string[]> = {
  admin: ["read", "create_dataset", "update_dataset", "delete_dataset", "manage_group"],
  editor: ["read", "create_dataset", "update_dataset", "delete_dataset"],
  member: ["read"],
};

/**
 * Whether `user` (undefined = anonymous) may read `ds`: public active datasets for everyone;
 * private ones for members of the circle or of a collection holding it, collaborators and the
 * creator; drafts only for those who may edit; deleted ones for sysadmins.
 */
export function canReadDataset(ds: DatasetRecord, user: UserRecord | undefined): boolean {
  if (ds.state === "deleted") return !!user?.sysadmin;
  if (user?.sysadmin) return true;
  if (ds.state === "draft") return canEditDataset(ds, user);
  if (!ds.private) return true;
  if (!user) return false;
  if (ds.org.members.has(user.id) || ds.creator.id === user.id || ds.collaborators?.has(user.id))
    return true;
  return ds.groups.some((g) => g.members.has(user.id));
}

/** Editors and admins of the circle, the creator and sysadmins may edit a dataset. */
export function canEditDataset(ds: DatasetRecord, user: UserRecord | undefined): boolean {
  if (!user) return false;
  if (user.sysadmin || ds.creator.id === user.id) return true;
  const cap = ds.org.members.get(user.id);
  return cap === "admin" || cap === "editor";
}

/** Whether a circle capacity grants a CKAN permission such as `create_dataset`. */
export function capacityAllows(capacity: Capacity | undefined, permission: string): boolean {
  return !!capacity && CAPACITY_PERMISSIONS[capacity].includes(permission);
}
