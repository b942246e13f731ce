/** The CKAN/DCOR action API: the registry of read and write actions and their handlers. */
import {
  type ActionContext,
  type ActionFn,
  bool,
  type DataDict,
  datasetOrThrow,
  int,
  list,
  notAuthorized,
  notFound,
  requireId,
  resourceOrThrow,
  str,
  validationError,
} from "./action-base.js";
import type { DatasetRecord, GroupRecord, UserRecord } from "./catalog.js";
import { dcserv } from "./dcserv-action.js";
import { RawJson } from "./http-send.js";
import { LICENSES } from "./licenses.js";
import { capacityAllows } from "./permissions.js";
import type { Capacity } from "./sample-catalog.js";
import { packageSearch } from "./search-action.js";

export { type ActionContext, ActionError, type DataDict } from "./action-base.js";

// ---- circles and collections ----

function packageCount(ctx: ActionContext, g: GroupRecord): number {
  let n = 0;
  for (const ds of ctx.catalog.datasets) {
    if (ds.state !== "active") continue;
    if (g.isOrganization ? ds.org !== g : !ds.groups.includes(g)) continue;
    if (ctx.catalog.canRead(ds, ctx.user)) n++;
  }
  return n;
}

function groupList(isOrg: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    const allFields = bool(data, "all_fields", false);
    if (!isOrg && bool(data, "include_users", false)) throw notAuthorized();
    const maxLimit = allFields ? 25 : 1000;
    const limitGiven = int(data, "limit", undefined);
    const limit = limitGiven === undefined || limitGiven > maxLimit ? maxLimit : limitGiven;
    const offset = int(data, "offset", 0) as number;
    const sortText = str(data, "sort") ?? "title asc";
    const [sortField = "title", sortDir = "asc"] = sortText.trim().split(/\s+/);
    if (
      !["title", "name", "package_count", "created"].includes(sortField) ||
      !["asc", "desc"].includes(sortDir)
    ) {
      throw validationError({ sort: [`Cannot sort by field \`${sortField}\``] });
    }
    const q = str(data, "q")?.toLowerCase();
    const only = list(data, isOrg ? "organizations" : "groups");
    let groups = isOrg ? [...ctx.catalog.circles] : [...ctx.catalog.collections];
    if (q)
      groups = groups.filter(
        (g) =>
          g.name.toLowerCase().includes(q) ||
          g.title.toLowerCase().includes(q) ||
          g.description.toLowerCase().includes(q),
      );
    if (only) groups = groups.filter((g) => only.includes(g.name) || only.includes(g.id));
    const counts = new Map(groups.map((g) => [g, packageCount(ctx, g)]));
    const key = (g: GroupRecord): string | number =>
      sortField === "package_count"
        ? (counts.get(g) ?? 0)
        : sortField === "created"
          ? g.created
          : sortField === "name"
            ? g.name
            : g.title.toLowerCase();
    groups.sort((a, b) => {
      const va = key(a);
      const vb = key(b);
      const c = va < vb ? -1 : va > vb ? 1 : a.name < b.name ? -1 : 1;
      return sortDir === "desc" ? -c : c;
    });
    const page = groups.slice(offset, offset + limit);
    if (!allFields) return page.map((g) => g.name);
    return page.map((g) => groupDict(ctx, g, data, counts.get(g) ?? 0));
  };
}

function groupDict(
  ctx: ActionContext,
  g: GroupRecord,
  data: DataDict,
  count: number,
): Record<string, unknown> {
  const dict: Record<string, unknown> = ctx.catalog.groupListDict(g, count);
  if (bool(data, "include_extras", false)) dict.extras = [];
  if (bool(data, "include_tags", false)) dict.tags = [];
  if (bool(data, "include_groups", false)) dict.groups = [];
  return dict;
}

function groupShow(isOrg: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    const id = requireId(data);
    const g = isOrg ? ctx.catalog.circle(id) : ctx.catalog.collection(id);
    if (!g) throw notFound(isOrg ? "Organization was not found." : "Group was not found.");
    const count = packageCount(ctx, g);
    const dict: Record<string, unknown> = {
      ...ctx.catalog.groupListDict(g, count),
      extras: [],
      groups: [],
      tags: [],
      num_followers: 0,
    };
    if (!bool(data, "include_dataset_count", true)) delete dict.package_count;
    if (bool(data, "include_users", false)) {
      if (!ctx.user) throw notAuthorized();
      dict.users = [...g.members].map(([uid, capacity]) => {
        const u = ctx.catalog.user(uid) as UserRecord;
        return { ...ctx.catalog.userDict(u, false), capacity };
      });
    }
    if (bool(data, "include_datasets", false)) {
      dict.packages = ctx.catalog.datasets
        .filter(
          (ds) =>
            ds.state === "active" &&
            (isOrg ? ds.org === g : ds.groups.includes(g)) &&
            ctx.catalog.canRead(ds, ctx.user),
        )
        .slice(0, 10)
        .map((ds) => ctx.catalog.datasetDict(ds));
    }
    return dict;
  };
}

function userFromParam(ctx: ActionContext, data: DataDict): UserRecord | undefined {
  const id = str(data, "id") ?? str(data, "user_id") ?? str(data, "username");
  if (id === undefined || id === "") return ctx.user;
  const u = ctx.catalog.user(id);
  if (!u) throw notFound("User not found");
  return u;
}

function organizationListForUser(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!target) return [];
  if (target !== ctx.user && !ctx.user?.sysadmin) throw notAuthorized();
  const permission = str(data, "permission") ?? "manage_group";
  const withCount = bool(data, "include_dataset_count", false);
  const out: Record<string, unknown>[] = [];
  for (const g of ctx.catalog.circles) {
    const cap: Capacity | undefined = target.sysadmin ? "admin" : g.members.get(target.id);
    if (!capacityAllows(cap, permission)) continue;
    const d: Record<string, unknown> = {
      ...ctx.catalog.orgDict(g),
      display_name: g.title,
      image_display_url: "",
      capacity: cap,
    };
    if (withCount) d.package_count = packageCount(ctx, g);
    out.push(d);
  }
  return out;
}

function groupListAuthz(ctx: ActionContext, data: DataDict): unknown {
  if (!ctx.user) throw notAuthorized();
  const amMember = bool(data, "am_member", false);
  const out: Record<string, unknown>[] = [];
  for (const g of ctx.catalog.collections) {
    const cap = g.members.get(ctx.user.id);
    // DCOR removes manage_group from the member role: only admins (and sysadmins) qualify
    if (!(ctx.user.sysadmin && !amMember) && cap !== "admin") continue;
    out.push({ ...ctx.catalog.groupListDict(g, packageCount(ctx, g)), capacity: cap ?? "admin" });
  }
  return out;
}

// ---- users, follows, collaborators ----

function userShow(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!ctx.user || !target || (target !== ctx.user && !ctx.user.sysadmin))
    throw notAuthorized("Users may only view their own details");
  const dict = ctx.catalog.userDict(target, true);
  if (bool(data, "include_datasets", false)) {
    dict.datasets = ctx.catalog.datasets
      .filter((d) => d.creator === target && ctx.catalog.canRead(d, ctx.user))
      .map((d) => ctx.catalog.datasetDict(d));
  }
  return dict;
}

function followeeTarget(ctx: ActionContext, data: DataDict): UserRecord {
  const id = requireId(data);
  const target = ctx.catalog.user(id);
  if (!ctx.user) throw notAuthorized();
  if (!target) throw notFound("User not found");
  if (target !== ctx.user && !ctx.user.sysadmin) throw notAuthorized();
  return target;
}

function datasetFolloweeList(ctx: ActionContext, data: DataDict): unknown {
  const target = followeeTarget(ctx, data);
  const ids = ctx.follows.get(target.id) ?? new Set<string>();
  return [...ids]
    .map((id) => ctx.catalog.dataset(id))
    .filter((d): d is DatasetRecord => !!d && ctx.catalog.canRead(d, ctx.user))
    .map((d) => ctx.catalog.datasetDict(d));
}

function followeeList(ctx: ActionContext, data: DataDict): unknown {
  const target = followeeTarget(ctx, data);
  const q = str(data, "q")?.toLowerCase();
  return [...(ctx.follows.get(target.id) ?? [])]
    .map((id) => ctx.catalog.dataset(id))
    .filter((d): d is DatasetRecord => !!d && ctx.catalog.canRead(d, ctx.user))
    .filter((d) => !q || d.title.toLowerCase().includes(q) || d.name.includes(q))
    .map((d) => ({ type: "dataset", display_name: d.title, dict: ctx.catalog.datasetDict(d) }));
}

function followDataset(follow: boolean) {
  return (ctx: ActionContext, data: DataDict): unknown => {
    if (!ctx.user) throw notAuthorized();
    const ds = datasetOrThrow(ctx, requireId(data));
    const set = ctx.follows.get(ctx.user.id) ?? new Set<string>();
    ctx.follows.set(ctx.user.id, set);
    if (follow) {
      if (set.has(ds.id))
        throw validationError({ message: ["You are already following {0}".replace("{0}", ds.id)] });
      set.add(ds.id);
      return {
        follower_id: ctx.user.id,
        object_id: ds.id,
        datetime: new Date(ctx.now).toISOString().slice(0, 23),
      };
    }
    if (!set.delete(ds.id)) throw notFound("You are not following {0}.".replace("{0}", ds.id));
    return null;
  };
}

function collaboratorListForUser(ctx: ActionContext, data: DataDict): unknown {
  const target = userFromParam(ctx, data);
  if (!ctx.user || !target || (target !== ctx.user && !ctx.user.sysadmin)) throw notAuthorized();
  const capacity = str(data, "capacity");
  const out: { package_id: string; capacity: string; modified: string }[] = [];
  for (const ds of ctx.catalog.datasets) {
    const c = ds.collaborators?.get(target.id);
    if (c && (!capacity || capacity === c.capacity))
      out.push({ package_id: ds.id, capacity: c.capacity, modified: c.modified });
  }
  return out;
}

function collaboratorList(ctx: ActionContext, data: DataDict): unknown {
  const ds = datasetOrThrow(ctx, requireId(data));
  if (!ctx.catalog.canEdit(ds, ctx.user))
    throw notAuthorized(`User ${ctx.user?.name ?? ""} not authorized to edit package ${ds.id}`);
  return [...(ds.collaborators ?? [])].map(([uid, c]) => ({
    package_id: ds.id,
    user_id: uid,
    capacity: c.capacity,
    modified: c.modified,
  }));
}

// ---- misc ----

function statusShow(ctx: ActionContext): unknown {
  return {
    site_title: "DCOR emulator",
    site_description: "A local DCOR-compatible server for tests and demos (@dcor/emulator).",
    site_url: ctx.siteUrl,
    error_emails_to: null,
    locale_default: "en",
    extensions: [
      "stats",
      "text_view",
      "image_view",
      "dcor_depot",
      "dcor_schemas",
      "dc_serve",
      "dc_view",
      "dc_log_view",
      "dcor_theme",
      "envvars",
    ],
    ckan_version: "2.11.3",
  };
}

function packageList(ctx: ActionContext, data: DataDict): unknown {
  const limit = int(data, "limit", undefined);
  const offset = int(data, "offset", 0) as number;
  const names = ctx.catalog.datasets
    .filter((d) => d.state === "active" && !d.private)
    .map((d) => d.name)
    .sort();
  return names.slice(offset, limit === undefined ? undefined : offset + limit);
}

function tagList(ctx: ActionContext, data: DataDict): unknown {
  const q = str(data, "query") ?? str(data, "q");
  const tags = new Set<string>();
  for (const d of ctx.catalog.datasets)
    if (d.state === "active" && !d.private) for (const t of d.tags) tags.add(t);
  return [...tags].filter((t) => !q || t.toLowerCase().includes(q.toLowerCase())).sort();
}

function userAutocomplete(ctx: ActionContext, data: DataDict): unknown {
  if (!ctx.user) throw notAuthorized();
  const q = (str(data, "q") ?? "").toLowerCase();
  const limit = int(data, "limit", 20) as number;
  return ctx.catalog.users
    .filter((u) => u.name.toLowerCase().includes(q) || u.fullname.toLowerCase().includes(q))
    .slice(0, limit)
    .map((u) => ({ id: u.id, name: u.name, fullname: u.fullname }));
}

const SUFFIXES = [
  ".rtdc",
  ".ini",
  ".csv",
  ".tsv",
  ".pdf",
  ".txt",
  ".jpg",
  ".png",
  ".tif",
  ".py",
  ".ipynb",
  ".poly",
  ".sof",
  ".so2",
];

/** Read ("side-effect-free") actions: GET allowed. */
export const READ_ACTIONS: Record<string, ActionFn> = {
  status_show: statusShow,
  package_show: (ctx, data) =>
    new RawJson(ctx.catalog.datasetJsonBytes(datasetOrThrow(ctx, requireId(data)))),
  package_search: packageSearch,
  package_list: packageList,
  resource_show: (ctx, data) => ctx.catalog.resourceDict(resourceOrThrow(ctx, requireId(data))),
  organization_list: groupList(true),
  organization_show: groupShow(true),
  organization_list_for_user: organizationListForUser,
  group_list: groupList(false),
  group_show: groupShow(false),
  group_list_authz: groupListAuthz,
  user_show: userShow,
  user_list: () => {
    throw notAuthorized();
  },
  user_autocomplete: userAutocomplete,
  dataset_followee_list: datasetFolloweeList,
  followee_list: followeeList,
  package_collaborator_list_for_user: collaboratorListForUser,
  package_collaborator_list: collaboratorList,
  license_list: () => LICENSES.map((l) => ({ ...l })),
  tag_list: tagList,
  dcserv,
  supported_resource_suffixes: () => [...SUFFIXES],
};

/** Write actions (POST only). */
export const WRITE_ACTIONS: Record<string, ActionFn> = {
  follow_dataset: followDataset(true),
  unfollow_dataset: followDataset(false),
};

/** Write actions CKAN/DCOR know but the emulator does not implement (answered 409/403). */
export const UNIMPLEMENTED_ACTIONS = new Set([
  "package_create",
  "package_update",
  "package_patch",
  "package_revise",
  "package_delete",
  "dataset_purge",
  "resource_create",
  "resource_update",
  "resource_patch",
  "resource_delete",
  "organization_create",
  "group_create",
  "member_create",
  "package_collaborator_create",
  "api_token_create",
]);
