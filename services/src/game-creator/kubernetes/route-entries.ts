/**
 * What an Ingress rule's paths and an HTTPRoute's rules have in common, pure: a list of entries, some
 * of which route `/game-<id>`. This module reads which games a list routes and plans the JSON patch
 * (RFC 6902) that leaves exactly one correct entry per wanted id: removals by index, highest first,
 * each guarded by a `test` of the entry's path, then additions at the end. Entries that are not
 * game routes are never touched. The first operation pins `metadata.resourceVersion`, so the API
 * server answers 409 Conflict when someone changed the object since it was read.
 */

export type JsonPatchOperation =
  | { readonly op: "add"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "replace"; readonly path: string; readonly value: unknown }
  | { readonly op: "test"; readonly path: string; readonly value: unknown };

const GAME_PATH = /^\/game-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/;

/** The game id of a viewer path `/game-<id>`, or undefined for any other path. */
export const gameIdOfPath = (path: string | undefined): string | undefined => GAME_PATH.exec(path ?? "")?.[1];

/** How one kind of list names its entries' games. */
export interface GameEntryKind<Entry> {
  /** The viewer path of the entry (undefined when it has none or several). */
  pathOf(entry: Entry): string | undefined;
  /** Whether the entry is exactly the route the creator writes for `id` (type, backend, port). */
  isExact(entry: Entry, id: string): boolean;
  /** JSON pointer, relative to the entry, of the path a `test` checks before removing it. */
  readonly pathPointer: string;
}

/** Game ids the list routes, and whether any entry is a duplicate or points elsewhere. */
export function routedGameIds<Entry>(entries: readonly Entry[], kind: GameEntryKind<Entry>): { ids: Set<string>; dirty: boolean } {
  const ids = new Set<string>();
  let dirty = false;
  for (const entry of entries) {
    const id = gameIdOfPath(kind.pathOf(entry));
    if (id === undefined) continue;
    if (ids.has(id) || !kind.isExact(entry, id)) dirty = true;
    else ids.add(id);
  }
  return { ids, dirty };
}

export interface EntryChanges {
  /** Indexes to remove, highest first (so earlier indexes stay valid). */
  readonly removals: readonly number[];
  /** Ids to append, sorted. */
  readonly additions: readonly string[];
}

/** Which entries go (unwanted, duplicate, pointing elsewhere) and which ids are missing. */
export function planEntryChanges<Entry>(entries: readonly Entry[], wanted: readonly string[], kind: GameEntryKind<Entry>): EntryChanges {
  const want = new Set(wanted);
  const kept = new Set<string>();
  const removals: number[] = [];
  entries.forEach((entry, index) => {
    const id = gameIdOfPath(kind.pathOf(entry));
    if (id === undefined) return;
    if (want.has(id) && !kept.has(id) && kind.isExact(entry, id)) kept.add(id);
    else removals.push(index);
  });
  return { removals: removals.reverse(), additions: [...want].filter((id) => !kept.has(id)).sort() };
}

/** The resourceVersion precondition every patch starts with. */
export const pinResourceVersion = (resourceVersion: string | undefined): JsonPatchOperation => ({ op: "replace", path: "/metadata/resourceVersion", value: resourceVersion ?? "" });

/** `test` + `remove` of each removal under the list at `listPointer`. */
export function removalOperations<Entry>(entries: readonly Entry[], listPointer: string, changes: EntryChanges, kind: GameEntryKind<Entry>): JsonPatchOperation[] {
  return changes.removals.flatMap((index) => [
    { op: "test" as const, path: `${listPointer}/${index}${kind.pathPointer}`, value: kind.pathOf(entries[index]!) },
    { op: "remove" as const, path: `${listPointer}/${index}` },
  ]);
}
