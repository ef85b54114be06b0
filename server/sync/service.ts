// GET /sync: runs every stream provider and, when nothing concerns the user yet, long-polls.
// The check and the registration of the wait happen in the same tick (storage reads are
// synchronous and writes notify only after they are applied), so no change can slip between them.
import type { JsonObject } from '../http/body.ts';
import type { Notifier } from './notifier.ts';
import type { StreamPositions, StreamProvider, SyncRequest, SyncResponse } from './types.ts';
import { emptySyncResponse } from './types.ts';
import { STREAMS, encodeSyncToken } from './token.ts';

export const MAX_SYNC_TIMEOUT_MS = 30_000;

export interface SyncParams {
  userId: string;
  deviceId: string;
  since: StreamPositions | null;
  timeoutMs: number;
  fullState: boolean;
  filter: JsonObject;
}

export class SyncService {
  private readonly providers: StreamProvider[];
  private readonly notifier: Notifier;

  constructor(providers: StreamProvider[], notifier: Notifier) {
    this.providers = providers;
    this.notifier = notifier;
  }

  async sync(params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
    const deadline = Date.now() + Math.min(Math.max(params.timeoutMs, 0), MAX_SYNC_TIMEOUT_MS);
    for (;;) {
      const { res, req } = this.runOnce(params);
      const remaining = deadline - Date.now();
      // full_state asks for the whole state now; an initial sync never waits either.
      if (!params.since || params.fullState || !isEmpty(res) || remaining <= 0 || signal?.aborted) return res;
      await this.notifier.wait(params.userId, new Set(req.joinedRoomIds), remaining, signal);
      if (signal?.aborted) return res;
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
    // Positions are taken before any provider runs, so next_batch never skips a change.
    const to = new Map(this.providers.map((p) => [p.stream, p.latest()]));
    const reached: Partial<StreamPositions> = {};
    const res = emptySyncResponse();
    for (const p of this.providers) {
      const end = to.get(p.stream)!;
      const from = params.since?.[p.stream];
      // A position from before a restart of an in-memory stream (typing) may exceed `end`: resend its current state.
      const result = from === undefined || from > end ? p.completeSync(req, res, end) : p.incrementalSync(req, res, from, end);
      reached[p.stream] = typeof result === 'number' ? result : end;
    }
    const positions = Object.fromEntries(STREAMS.map((s) => [s, reached[s] ?? params.since?.[s] ?? 0])) as StreamPositions;
    res.next_batch = encodeSyncToken(positions);
    return { res, req };
  }
}

function isEmpty(res: SyncResponse): boolean {
  const { rooms } = res;
  return (
    !Object.keys(rooms.join).length &&
    !Object.keys(rooms.invite).length &&
    !Object.keys(rooms.leave).length &&
    !Object.keys(rooms.knock).length &&
    !res.presence.events.length &&
    !res.account_data.events.length &&
    !res.to_device.events.length &&
    !res.device_lists.changed.length &&
    !res.device_lists.left.length
  );
}
