// Shared types of the room service and its extension points.
import type { JsonObject } from '../http/body.ts';
import type { SqlWriter } from '../storage/types.ts';
import type { PowerLevels } from './power_levels.ts';
import type { RoomVersion } from './versions.ts';

/** An event as stored, handed to hooks and listeners. */
export interface PersistedEvent {
  streamPos: number;
  eventId: string;
  roomId: string;
  type: string;
  stateKey?: string;
  sender: string;
  originServerTs: number;
  content: JsonObject;
  /** The full signed PDU. */
  pdu: JsonObject;
}

/** The room's state right after the event, read lazily inside the same transaction. */
export interface RoomStateView {
  readonly roomId: string;
  readonly version: RoomVersion;
  readonly creator: string;
  /** Shared, cached objects: read them, never change them. */
  content(type: string, stateKey: string): JsonObject | undefined;
  joinedMembers(): readonly string[];
  powerLevels(): PowerLevels;
}

/** Runs inside the write transaction of each persisted event (push rules → unread counts). Must be synchronous and deterministic. */
export type PersistHook = (db: SqlWriter, event: PersistedEvent, state: RoomStateView) => void;

/** Runs once a batch of events has committed (outputs wait for storage.durable(), see storage/types.ts). */
export type CommitListener = (events: PersistedEvent[]) => void;

/** What a caller asks to send. */
export interface EventDraft {
  type: string;
  content: JsonObject;
  stateKey?: string;
  sender: string;
  /** m.room.redaction target. */
  redacts?: string;
  /** Client transaction (idempotency per device). */
  txn?: { deviceId: string; txnId: string };
  /** State only: if the current content is identical, return that event instead of sending. */
  skipIfUnchanged?: boolean;
}

export interface Profile {
  displayname?: string | null;
  avatar_url?: string | null;
}
