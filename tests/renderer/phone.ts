// A "phone": a real matrix-js-sdk client running in the test process, as FluffyChat or Element would.
import { ClientEvent, createClient, RoomEvent, SyncState, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { LoggedIn } from '../helpers/accounts.ts';

export interface Phone {
  client: MatrixClient;
  userId: string;
  /** Resolves with the first event in roomId (already seen or arriving) that matches. */
  waitForEvent(roomId: string, match: (ev: MatrixEvent) => boolean, timeoutMs?: number): Promise<MatrixEvent>;
  stop(): void;
}

export async function startPhone(baseUrl: string, session: LoggedIn): Promise<Phone> {
  const client = createClient({ baseUrl, accessToken: session.accessToken, userId: session.userId, deviceId: session.deviceId });
  const ready = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) reject(new Error('phone sync failed'));
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20 });
  await ready;
  return {
    client,
    userId: session.userId,
    waitForEvent(roomId, match, timeoutMs = 15_000) {
      const seen = client.getRoom(roomId)?.getLiveTimeline().getEvents().find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off(RoomEvent.Timeline, onEvent);
          reject(new Error(`phone ${session.userId}: no matching event in ${roomId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onEvent = (ev: MatrixEvent, room: { roomId: string } | undefined) => {
          if (room?.roomId !== roomId || !match(ev)) return;
          clearTimeout(timer);
          client.off(RoomEvent.Timeline, onEvent);
          resolve(ev);
        };
        client.on(RoomEvent.Timeline, onEvent);
      });
    },
    stop: () => client.stopClient(),
  };
}
