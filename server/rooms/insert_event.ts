// Building one event: its PDU from the room's chain head and the draft, the auth rules against
// the current state, the content hash, reference-hash event ID and signature, and the insert
// into events. The room service calls this inside its write and then updates the room's state.
import type { JsonObject } from '../http/body.ts';
import type { SqlReader, SqlWriter } from '../storage/types.ts';
import { errors } from '../http/errors.ts';
import { CanonicalJsonError } from './canonical_json.ts';
import { checkAuth, AuthError, type AuthState } from './auth_rules.ts';
import { hashAndSign } from './hashing.ts';
import { effectivePowerLevels, userLevel } from './power_levels.ts';
import type { RoomVersion } from './versions.ts';
import type { SigningKey } from './signing_key.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import type { EventDraft } from './types.ts';
import { authEventIds, relationOf, type StateReader } from './building.ts';

/** The spec's limit on a whole event (PDU), in bytes of canonical JSON. */
export const MAX_EVENT_BYTES = 65_536;

/** The columns of a room's row that building an event needs. */
export type ChainHead = Pick<roomsRepo.RoomRow, 'room_id' | 'room_version' | 'creator' | 'last_pos' | 'last_event_id' | 'last_depth'>;

/** An event insertEvent() stored, before the state updates and hooks. */
export interface Inserted {
  pos: number;
  eventId: string;
  content: JsonObject;
  pdu: JsonObject;
  /** The event a redaction redacts. */
  target: eventsRepo.EventRow | undefined;
}

/** Who signs the event, and where its stream position comes from. */
export interface EventSigner {
  serverName: string;
  signingKey: SigningKey;
  takePos(db: SqlReader): number;
}

/**
 * Builds, authorises, hashes and signs the event and inserts it: the only write before the room
 * service's state updates. `takePos` hands out the event's stream position.
 */
export function insertEvent(db: SqlWriter, deps: EventSigner, room: ChainHead, state: StateReader, draft: EventDraft, ts: number, version: RoomVersion): Inserted {
  const content: JsonObject = { ...draft.content };
  if (draft.redacts !== undefined && version.redactsInContent) content.redacts = draft.redacts;
  const pdu: JsonObject = {
    auth_events: [],
    content,
    depth: room.last_depth + 1,
    origin_server_ts: ts,
    prev_events: room.last_event_id ? [room.last_event_id] : [],
    room_id: room.room_id,
    sender: draft.sender,
    type: draft.type,
  };
  if (draft.stateKey !== undefined) pdu.state_key = draft.stateKey;
  if (draft.redacts !== undefined && !version.redactsInContent) pdu.redacts = draft.redacts;

  const authState: AuthState = {
    content: (type, key) => state.content(type, key),
    creator: room.creator,
    onlyCreateSoFar: room.last_depth === 1,
  };
  try {
    checkAuth({ type: draft.type, room_id: room.room_id, sender: draft.sender, state_key: draft.stateKey, content, prev_events: pdu.prev_events as string[] }, authState, version);
  } catch (err) {
    if (err instanceof AuthError) throw errors.forbidden(err.message);
    throw err;
  }
  pdu.auth_events = authEventIds(state, draft);

  let eventId: string;
  try {
    eventId = hashAndSign(pdu, version, deps.serverName, deps.signingKey);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw errors.badJson(`Event content is not canonical JSON: ${err.message}`);
    throw err;
  }
  const json = JSON.stringify(pdu);
  // Same length as the canonical form: same escaping, no whitespace, only key order differs.
  if (Buffer.byteLength(json) > MAX_EVENT_BYTES) throw errors.tooLarge(`Events may be at most ${MAX_EVENT_BYTES} bytes`);

  let target: eventsRepo.EventRow | undefined;
  if (draft.type === 'm.room.redaction') {
    target = draft.redacts === undefined ? undefined : eventsRepo.getEvent(db, draft.redacts);
    if (!target || target.room_id !== room.room_id) throw errors.notFound('The event to redact is not in this room');
    const pl = effectivePowerLevels(state.content('m.room.power_levels', ''), room.creator);
    if (target.sender !== draft.sender && userLevel(pl, draft.sender) < pl.redact) throw errors.forbidden('Not enough power to redact other people\'s events');
  }

  const pos = deps.takePos(db);
  let unsigned: JsonObject | null = null;
  if (draft.stateKey !== undefined) {
    const prevId = state.eventId(draft.type, draft.stateKey);
    const prev = prevId && eventsRepo.getEvent(db, prevId);
    if (prev) {
      const prevPdu = JSON.parse(prev.json) as JsonObject;
      unsigned = { prev_content: prevPdu.content ?? {}, replaces_state: prev.event_id, prev_sender: prev.sender };
    }
  }
  const relation = relationOf(content);
  eventsRepo.insertEvent(db, {
    stream_pos: pos,
    event_id: eventId,
    room_id: room.room_id,
    type: draft.type,
    state_key: draft.stateKey ?? null,
    sender: draft.sender,
    origin_server_ts: ts,
    json,
    unsigned_json: unsigned ? JSON.stringify(unsigned) : null,
    membership: draft.type === 'm.room.member' && typeof content.membership === 'string' ? content.membership : null,
    redacted_by: null,
    relates_to: relation?.eventId ?? null,
    rel_type: relation?.relType ?? null,
    txn_device: draft.txn?.deviceId ?? null,
    txn_id: draft.txn?.txnId ?? null,
  });
  return { pos, eventId, content, pdu, target };
}
