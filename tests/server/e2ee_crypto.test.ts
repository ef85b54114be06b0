// Real end-to-end encryption between matrix-js-sdk clients with Rust crypto (WASM, in Node) against
// the real server: the server only stores, counts and routes; the clients must still decrypt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixClient } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { login, registerAndLogin } from '../helpers/accounts.ts';
import { eventually, startSdkClient, stopAll, waitForMessage, waitForRoom } from '../helpers/sdk.ts';

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

describe('cross-signing, secret storage and key backup with Rust crypto', () => {
  it('bootstraps, lets a peer see the master key, and restores history on a fresh device from the backup', async () => {
    const password = 'pw-xs-anna';
    const anna1Session = await registerAndLogin(server, 'xs-anna', password);
    // The recovery key lives only in the test, as it would on paper.
    const secretKeys = new Map<string, Uint8Array<ArrayBuffer>>();
    const cryptoCallbacks = {
      getSecretStorageKey: async ({ keys }: { keys: Record<string, unknown> }): Promise<[string, Uint8Array<ArrayBuffer>] | null> => {
        for (const id of Object.keys(keys)) if (secretKeys.has(id)) return [id, secretKeys.get(id)!];
        return null;
      },
      cacheSecretStorageKey: (keyId: string, _info: unknown, key: Uint8Array<ArrayBuffer>) => void secretKeys.set(keyId, key),
    };
    const anna1 = await startSdkClient(server.url, anna1Session, { crypto: true, cryptoCallbacks });
    clients.push(anna1);
    const ben = await cryptoClient('xs-ben');

    const { room_id: roomId } = await anna1.createRoom({
      invite: [ben.getUserId()!],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await waitForRoom(ben, roomId);
    await ben.joinRoom(roomId);

    const crypto = anna1.getCrypto()!;
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: anna1.getUserId()! }, password });
      },
    });
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: () => crypto.createRecoveryKeyFromPassphrase(),
      setupNewKeyBackup: true,
    });
    expect(await crypto.isCrossSigningReady()).toBe(true);
    expect(await crypto.isSecretStorageReady()).toBe(true);
    const backupVersion = await crypto.getActiveSessionBackupVersion();
    expect(backupVersion).not.toBeNull();

    // Ben learns of Anna's new master key through device_lists.changed in his sync, without asking.
    await eventually("ben sees anna's cross-signing keys", () => ben.getCrypto()!.userHasCrossSigningKeys(anna1.getUserId()!));

    // A message Anna will later need to read on a new device; her backup uploads its key.
    await ben.sendTextMessage(roomId, 'before the new phone');
    await waitForMessage(anna1, roomId, (e) => e.getContent().body === 'before the new phone');
    await eventually('the backup holds the room key', async () => {
      const res = await fetch(`${server.url}/_matrix/client/v3/room_keys/version`, { headers: { Authorization: `Bearer ${anna1Session.accessToken}` } });
      return res.ok && ((await res.json()) as { count: number }).count > 0;
    });

    // A fresh device of Anna's, with the recovery key: restore and read the old message.
    const anna2 = await startSdkClient(server.url, await login(server, 'xs-anna', password), { crypto: true, cryptoCallbacks });
    clients.push(anna2);
    const crypto2 = anna2.getCrypto()!;
    await crypto2.loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto2.checkKeyBackupAndEnable();
    const restored = await crypto2.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThan(0);
    const old = await waitForMessage(anna2, roomId, (e) => e.getContent().body === 'before the new phone');
    expect(old.isEncrypted()).toBe(true);
  });

  it('stops encrypting to a deleted device once the peer syncs the change', async () => {
    const anna = await cryptoClient('del-anna');
    const benSession1 = await registerAndLogin(server, 'del-ben', 'pw-del-ben');
    const ben1 = await startSdkClient(server.url, benSession1, { crypto: true });
    const ben2Session = await login(server, 'del-ben', 'pw-del-ben');
    const ben2 = await startSdkClient(server.url, ben2Session, { crypto: true });
    clients.push(ben1, ben2);

    const { room_id: roomId } = await anna.createRoom({
      invite: [ben1.getUserId()!],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await waitForRoom(ben1, roomId);
    await ben1.joinRoom(roomId);
    await anna.sendTextMessage(roomId, 'to both phones');
    await waitForMessage(ben2, roomId, (e) => e.getContent().body === 'to both phones');
    const annaCrypto = anna.getCrypto()!;
    expect((await annaCrypto.getUserDeviceInfo([ben1.getUserId()!])).get(ben1.getUserId()!)?.has(ben2Session.deviceId)).toBe(true);

    // Ben signs out his second phone (with the UIA password step).
    ben2.stopClient();
    await ben1.deleteDevice(ben2Session.deviceId).catch(async (err: { data?: { session?: string } }) => {
      await ben1.deleteDevice(ben2Session.deviceId, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: ben1.getUserId()! },
        password: 'pw-del-ben',
        session: err.data?.session,
      } as never);
    });

    await eventually("anna's crypto forgets ben's deleted device", async () => {
      const devices = (await annaCrypto.getUserDeviceInfo([ben1.getUserId()!])).get(ben1.getUserId()!);
      return devices !== undefined && !devices.has(ben2Session.deviceId);
    });
    await anna.sendTextMessage(roomId, 'only to the first phone');
    const got = await waitForMessage(ben1, roomId, (e) => e.getContent().body === 'only to the first phone');
    expect(got.isEncrypted()).toBe(true);
  });
});
