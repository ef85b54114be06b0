// GET /sync: runs every stream provider and, when nothing concerns the user yet, long-polls.
// The check and the registration of the wait happen in the same tick (storage reads are
// synchronous and writes notify only after they are applied), so no change can slip between them.
import type { JsonObject } from '../http/body.ts';
import type { Notifier, PollAbort } from './notifier.ts';
import type { StreamPositions, StreamProvider, SyncRequest, SyncResponse } from './types.ts';
import { emptySyncResponse } from './types.ts';
import { encodeSyncToken } from './token.ts';

export const MAX_SYNC_TIMEOUT_MS = 30_000;

export interface SyncParams {
  userId: string;
  deviceId: string;
  since: StreamPositions | null;
  timeoutMs: number;
  fullState: boolean;
  filter: JsonObject;
}

const NO_POSITIONS: StreamPositions = Object.freeze({ events: 0, account_data: 0, receipts: 0, typing: 0, presence: 0, to_device: 0, device_lists: 0 });

export class SyncService {
  private readonly providers: StreamProvider[];
  private readonly notifier: Notifier;

  constructor(providers: StreamProvider[], notifier: Notifier) {
    this.providers = providers;
    this.notifier = notifier;
  }

  /** `abort`: the client went away (the wait ends at once and the response is dropped). */
  async sync(params: SyncParams, abort?: PollAbort): Promise<SyncResponse> {
    const deadline = Date.now() + Math.min(Math.max(params.timeoutMs, 0), MAX_SYNC_TIMEOUT_MS);
    for (;;) {
      const { res, req } = this.runOnce(params);
      const remaining = deadline - Date.now();
      // full_state asks for the whole state now; an initial sync never waits either.
      if (!params.since || params.fullState || !isEmpty(res) || remaining <= 0 || abort?.aborted) return res;
      await this.notifier.wait(params.userId, new Set(req.joinedRoomIds), remaining, abort);
      if (abort?.aborted) return res;
    }
  }

  /** One synchronous pass over every provider. */
  runOnce(params: SyncParams): { res: SyncResponse; req: SyncRequest } {
    const req: SyncRequest = {
      userId: params.userId,
      deviceId: params.deviceId,
      filter: params.filter,
      since: params.since,
      fullState: params.fullState,
      joinedRoomIds: [],
      newlyJoinedRoomIds: [],
    };
    const providers = this.providers;
    // Positions are taken before any provider runs, so next_batch never skips a change.
    const ends = providers.map((p) => p.latest());
    // A stream without a provider keeps the client's position.
    const next: StreamPositions = { ...(params.since ?? NO_POSITIONS) };
    const res = emptySyncResponse();
    for (let i = 0; i < providers.length; i++) {
      const p = providers[i]!;
      const end = ends[i]!;
      const from = params.since?.[p.stream];
      // A position from before a restart of an in-memory stream (typing) may exceed `end`: resend its current state.
      const result = from === undefined || from > end ? p.completeSync(req, res, end) : p.incrementalSync(req, res, from, end);
      next[p.stream] = typeof result === 'number' ? result : end;
    }
    res.next_batch = encodeSyncToken(next);
    return { res, req };
  }
}

function isEmpty(res: SyncResponse): boolean {
  const { rooms } = res;
  return (
    !hasKeys(rooms.join) &&
    !hasKeys(rooms.invite) &&
    !hasKeys(rooms.leave) &&
    !hasKeys(rooms.knock) &&
    !res.presence.events.length &&
    !res.account_data.events.length &&
    !res.to_device.events.length &&
    !res.device_lists.changed.length &&
    !res.device_lists.left.length
  );
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
