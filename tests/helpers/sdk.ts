// matrix-js-sdk clients in Node for tests: real /sync long-polling, optional Rust crypto (WASM, in-memory store).
import { createClient, ClientEvent, MatrixEventEvent, RoomEvent, type ICreateClientOpts, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { LoggedIn } from './accounts.ts';

export async function startSdkClient(
  baseUrl: string,
  session: LoggedIn,
  options: { crypto?: boolean; cryptoCallbacks?: ICreateClientOpts['cryptoCallbacks'] } = {},
): Promise<MatrixClient> {
  const client = createClient({
    baseUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    cryptoCallbacks: options.cryptoCallbacks,
  });
  if (options.crypto) await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    const onSync = (state: string) => {
      if (state === 'PREPARED' || state === 'SYNCING') {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === 'ERROR') {
        reject(new Error(`${session.userId}: first sync failed`));
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

/** Resolves with the first timeline event in `roomId` (decrypted, if it was encrypted) that matches. */
export function waitForMessage(client: MatrixClient, roomId: string, match: (e: MatrixEvent) => boolean, timeoutMs = 20_000): Promise<MatrixEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${client.getUserId()}: no matching event in ${roomId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (event: MatrixEvent) => {
      if (event.getRoomId() !== roomId || event.isDecryptionFailure() || event.isBeingDecrypted()) return;
      if (match(event)) {
        cleanup();
        resolve(event);
      }
    };
    const onTimeline = (event: MatrixEvent) => check(event);
    const onDecrypted = (event: MatrixEvent) => check(event);
    const cleanup = () => {
      clearTimeout(timer);
      client.off(RoomEvent.Timeline, onTimeline);
      client.off(MatrixEventEvent.Decrypted, onDecrypted);
    };
    client.on(RoomEvent.Timeline, onTimeline);
    client.on(MatrixEventEvent.Decrypted, onDecrypted);
    // Already there?
    for (const event of client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? []) check(event);
  });
}

/** Resolves once `client` knows `roomId` (e.g. after an invite arrived by sync). */
export async function waitForRoom(client: MatrixClient, roomId: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!client.getRoom(roomId)) {
    if (Date.now() > deadline) throw new Error(`${client.getUserId()} never saw ${roomId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function stopAll(...clients: (MatrixClient | undefined)[]): void {
  for (const c of clients) c?.stopClient();
}

/** Polls `condition` every 100 ms until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
