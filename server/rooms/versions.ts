// The room versions Meowtrix creates and reads: 10 (the default) and 11.
// Both use reference-hash event IDs (v4 format) and integer-only power levels (v10).
export interface RoomVersion {
  id: '10' | '11';
  /** Which redaction algorithm applies. */
  redactionRules: 10 | 11;
  /** v11 dropped content.creator from m.room.create: the creator is its sender. */
  createHasCreator: boolean;
  /** v11 moved `redacts` from the top level into content. */
  redactsInContent: boolean;
}

export const ROOM_VERSIONS: Readonly<Record<string, RoomVersion>> = {
  '10': { id: '10', redactionRules: 10, createHasCreator: true, redactsInContent: false },
  '11': { id: '11', redactionRules: 11, createHasCreator: false, redactsInContent: true },
};

export const DEFAULT_ROOM_VERSION = '10';

export function roomVersion(id: string): RoomVersion | undefined {
  return Object.hasOwn(ROOM_VERSIONS, id) ? ROOM_VERSIONS[id] : undefined;
}
