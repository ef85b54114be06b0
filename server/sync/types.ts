// The sync contract, after Dendrite's syncapi/streams: one provider per stream, each able to do a
// complete sync and an incremental sync since a position. The token is the tuple of all positions.
// Adding a stream = one provider file + its entry in STREAMS and the two token functions (token.ts).
import type { JsonObject } from '../http/body.ts';

export type StreamName = 'events' | 'account_data' | 'receipts' | 'typing' | 'presence' | 'to_device' | 'device_lists';

export type StreamPositions = Record<StreamName, number>;

/** A client event as sent to clients (the client-server "ClientEvent" format). */
export type ClientEvent = JsonObject;

/** What one provider may read about the request; filled in before providers run. */
export interface SyncRequest {
  userId: string;
  deviceId: string;
  /** The resolved filter (stored by ID or inline JSON), already parsed. */
  filter: JsonObject;
  /** null for an initial sync. */
  since: StreamPositions | null;
  fullState: boolean;
  /**
   * Rooms the user is joined to at the end of this sync, set by the events provider (which runs first).
   * Room-scoped providers (receipts, typing, room account data) only report for these rooms, plus
   * `newlyJoinedRoomIds` which need a complete (not incremental) view.
   */
  joinedRoomIds: string[];
  newlyJoinedRoomIds: string[];
}

export interface JoinedRoomSection {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch?: string };
  state: { events: ClientEvent[] };
  ephemeral: { events: ClientEvent[] };
  account_data: { events: ClientEvent[] };
  unread_notifications: { notification_count: number; highlight_count: number };
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
  summary: { 'm.heroes'?: string[]; 'm.joined_member_count'?: number; 'm.invited_member_count'?: number };
}

/** The /sync response under construction. Every section always carries its events array (nheko, nio). */
export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoomSection>;
    invite: Record<string, { invite_state: { events: ClientEvent[] } }>;
    leave: Record<string, { timeline: { events: ClientEvent[]; limited: boolean; prev_batch?: string }; state: { events: ClientEvent[] }; account_data: { events: ClientEvent[] } }>;
    knock: Record<string, { knock_state: { events: ClientEvent[] } }>;
  };
  presence: { events: ClientEvent[] };
  account_data: { events: ClientEvent[] };
  to_device: { events: ClientEvent[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

export function emptyJoinedRoom(): JoinedRoomSection {
  return {
    timeline: { events: [], limited: false },
    state: { events: [] },
    ephemeral: { events: [] },
    account_data: { events: [] },
    unread_notifications: { notification_count: 0, highlight_count: 0 },
    summary: {},
  };
}

export function emptySyncResponse(): SyncResponse {
  return {
    next_batch: '',
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    presence: { events: [] },
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: { signed_curve25519: 0 },
    device_unused_fallback_key_types: [],
  };
}

export interface StreamProvider {
  readonly stream: StreamName;
  /** The newest position of this stream right now. */
  latest(): number;
  /**
   * Fill `res` with everything up to and including `to` (initial sync, or a room newly joined).
   * Returns the position actually reached when the provider had to stop early (to_device sends at
   * most 100 messages per response); next_batch then carries that position. void means `to`.
   */
  completeSync(req: SyncRequest, res: SyncResponse, to: number): number | void;
  /** Fill `res` with what changed in (from, to]. Must cost O(changes), never O(history). Return as completeSync. */
  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): number | void;
}
