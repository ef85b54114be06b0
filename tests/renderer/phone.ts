// A "phone": a real matrix-js-sdk client running in the test process, as FluffyChat or Element would.
import { ClientEvent, createClient, EventType, MatrixEventEvent, Preset, RoomEvent, SyncState, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { LoggedIn } from '../helpers/accounts.ts';

export interface Phone {
  client: MatrixClient;
  userId: string;
  /** Resolves with the first event in roomId (already seen or arriving; decrypted if encrypted) that matches. */
  waitForEvent(roomId: string, match: (ev: MatrixEvent) => boolean, timeoutMs?: number): Promise<MatrixEvent>;
  stop(): void;
}

/** `crypto: true` gives the phone matrix-js-sdk's Rust crypto (in memory), as FluffyChat or Element have. */
export async function startPhone(baseUrl: string, session: LoggedIn, options: { crypto?: boolean } = {}): Promise<Phone> {
  const client = createClient({ baseUrl, accessToken: session.accessToken, userId: session.userId, deviceId: session.deviceId });
  if (options.crypto) await client.initRustCrypto({ useIndexedDB: false });
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
      // An encrypted event matches once decrypted; until then (or if decryption failed) it is skipped.
      const readable = (ev: MatrixEvent) => !ev.isBeingDecrypted() && !ev.isDecryptionFailure() && ev.getType() !== 'm.room.encrypted';
      const seen = client.getRoom(roomId)?.getLiveTimeline().getEvents().find((ev) => readable(ev) && match(ev));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          client.off(RoomEvent.Timeline, onEvent);
          client.off(MatrixEventEvent.Decrypted, onEvent);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`phone ${session.userId}: no matching event in ${roomId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onEvent = (ev: MatrixEvent) => {
          if (ev.getRoomId() !== roomId || !readable(ev) || !match(ev)) return;
          cleanup();
          resolve(ev);
        };
        client.on(RoomEvent.Timeline, onEvent);
        client.on(MatrixEventEvent.Decrypted, onEvent);
      });
    },
    stop: () => client.stopClient(),
  };
}

/** A private room with encryption on from the start, made by the phone, inviting `invite`; returns its ID. */
export async function createEncryptedRoom(phone: Phone, name: string, invite: string[]): Promise<string> {
  const { room_id } = await phone.client.createRoom({
    name,
    preset: Preset.PrivateChat,
    invite,
    initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  return room_id;
}
