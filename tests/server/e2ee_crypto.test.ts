// Real end-to-end encryption between matrix-js-sdk clients with Rust crypto (WASM, in Node) against
// the real server: the server only stores, counts and routes; the clients must still decrypt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixClient } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin } from '../helpers/accounts.ts';
import { startSdkClient, stopAll, waitForMessage, waitForRoom } from '../helpers/sdk.ts';

let server: ServerProcess;
const clients: MatrixClient[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  stopAll(...clients);
  await server?.dispose();
});

async function cryptoClient(localpart: string): Promise<MatrixClient> {
  const client = await startSdkClient(server.url, await registerAndLogin(server, localpart), { crypto: true });
  clients.push(client);
  return client;
}

describe('encrypted room with Rust crypto clients', () => {
  it('both members send and decrypt, and a later joiner decrypts new messages', async () => {
    const anna = await cryptoClient('cr-anna');
    const ben = await cryptoClient('cr-ben');

    const { room_id: roomId } = await anna.createRoom({
      preset: 'private_chat' as never,
      name: 'Family',
      invite: [ben.getUserId()!],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await waitForRoom(ben, roomId);
    await ben.joinRoom(roomId);
    await waitForMessage(anna, roomId, (e) => e.getType() === 'm.room.member' && e.getStateKey() === ben.getUserId() && e.getContent().membership === 'join');

    await anna.sendTextMessage(roomId, 'hello from anna');
    const atBen = await waitForMessage(ben, roomId, (e) => e.getContent().body === 'hello from anna');
    expect(atBen.isEncrypted()).toBe(true);
    expect(atBen.getWireType()).toBe('m.room.encrypted');

    await ben.sendTextMessage(roomId, 'hi anna, ben here');
    const atAnna = await waitForMessage(anna, roomId, (e) => e.getContent().body === 'hi anna, ben here');
    expect(atAnna.isEncrypted()).toBe(true);

    const carol = await cryptoClient('cr-carol');
    await anna.invite(roomId, carol.getUserId()!);
    await waitForRoom(carol, roomId);
    await carol.joinRoom(roomId);
    await waitForMessage(anna, roomId, (e) => e.getType() === 'm.room.member' && e.getStateKey() === carol.getUserId() && e.getContent().membership === 'join');

    await anna.sendTextMessage(roomId, 'welcome carol');
    const atCarol = await waitForMessage(carol, roomId, (e) => e.getContent().body === 'welcome carol');
    expect(atCarol.isEncrypted()).toBe(true);
    const atBen2 = await waitForMessage(ben, roomId, (e) => e.getContent().body === 'welcome carol');
    expect(atBen2.isEncrypted()).toBe(true);
  });
});
