// E2EE key handling over raw HTTP against a real server: the exact counts FluffyChat depends on,
// query/claim shapes, cross-signing with UIA, signatures, key backup and device deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login } from '../helpers/accounts.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { newKeyPair } from '../helpers/ed25519.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
  await createUser(server, 'anna', 'anna-password');
  await createUser(server, 'ben', 'ben-password');
});
afterAll(async () => {
  await server?.dispose();
});

type Session = { accessToken: string; userId: string; deviceId: string };
const call = (s: Session, method: string, path: string, body?: unknown) =>
  request(server.url, method, `/_matrix/client/v3${path}`, { token: s.accessToken, body });

function deviceKeys(s: Session) {
  return {
    user_id: s.userId,
    device_id: s.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${s.deviceId}`]: `curve-${s.deviceId}`, [`ed25519:${s.deviceId}`]: `ed-${s.deviceId}` },
    signatures: { [s.userId]: { [`ed25519:${s.deviceId}`]: `sig-${s.deviceId}` } },
  };
}

function oneTimeKeys(s: Session, count: number, offset = 0) {
  const keys: Record<string, unknown> = {};
  for (let i = offset; i < offset + count; i++) {
    keys[`signed_curve25519:AAAA${i}`] = { key: `otk-${s.deviceId}-${i}`, signatures: { [s.userId]: { [`ed25519:${s.deviceId}`]: `s${i}` } } };
  }
  return keys;
}

/** The signature a signed key object carries from one key. */
const sigOf = (signed: { signatures?: unknown }, userId: string, keyId: string): string =>
  (signed.signatures as Record<string, Record<string, string>>)[userId]![keyId]!;

const fallbackKey = (s: Session, id = 'FB1') => ({
  [`signed_curve25519:${id}`]: { key: `fallback-${s.deviceId}-${id}`, fallback: true, signatures: { [s.userId]: { [`ed25519:${s.deviceId}`]: 'fs' } } },
});

describe('keys/upload and keys/claim count exactly', () => {
  it('follows FluffyChat first login: 33 OTKs + a fallback key, then claims down past zero', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    const ben = await login(server, 'ben', 'ben-password');

    const up = await call(anna, 'POST', '/keys/upload', {
      device_keys: deviceKeys(anna),
      one_time_keys: oneTimeKeys(anna, 33),
      fallback_keys: fallbackKey(anna),
    });
    expect(up.status).toBe(200);
    expectMatchesSpec('keys.yaml', '/keys/upload', 'post', 200, up.body);
    expect(up.body.one_time_key_counts).toEqual({ signed_curve25519: 33 });

    // The same upload again (a retry) changes no count: duplicates are ignored.
    const again = await call(anna, 'POST', '/keys/upload', { one_time_keys: oneTimeKeys(anna, 33) });
    expect(again.body.one_time_key_counts).toEqual({ signed_curve25519: 33 });

    // An empty upload still reports the count, 0-free of surprises.
    const empty = await call(ben, 'POST', '/keys/upload', {});
    expect(empty.body.one_time_key_counts).toEqual({ signed_curve25519: 0 });

    const claim = await call(ben, 'POST', '/keys/claim', { one_time_keys: { [anna.userId]: { [anna.deviceId]: 'signed_curve25519' } } });
    expect(claim.status).toBe(200);
    expectMatchesSpec('keys.yaml', '/keys/claim', 'post', 200, claim.body);
    const claimed = claim.body.one_time_keys[anna.userId][anna.deviceId];
    expect(Object.keys(claimed)).toEqual(['signed_curve25519:AAAA0']);
    expect(claimed['signed_curve25519:AAAA0'].key).toBe(`otk-${anna.deviceId}-0`);
    expect(claim.body.failures).toEqual({});

    const counts = await call(anna, 'POST', '/keys/upload', {});
    expect(counts.body.one_time_key_counts.signed_curve25519).toBe(32);

    for (let i = 1; i < 33; i++) {
      await call(ben, 'POST', '/keys/claim', { one_time_keys: { [anna.userId]: { [anna.deviceId]: 'signed_curve25519' } } });
    }
    expect((await call(anna, 'POST', '/keys/upload', {})).body.one_time_key_counts.signed_curve25519).toBe(0);

    // Past zero: the fallback key, marked as such, kept for the next claimer.
    for (let i = 0; i < 2; i++) {
      const fb = await call(ben, 'POST', '/keys/claim', { one_time_keys: { [anna.userId]: { [anna.deviceId]: 'signed_curve25519' } } });
      const key = fb.body.one_time_keys[anna.userId][anna.deviceId]['signed_curve25519:FB1'];
      expect(key.key).toBe(`fallback-${anna.deviceId}-FB1`);
      expect(key.fallback).toBe(true);
    }

    // A device with no keys at all is simply absent from the answer.
    const none = await call(anna, 'POST', '/keys/claim', { one_time_keys: { [ben.userId]: { [ben.deviceId]: 'signed_curve25519' } } });
    expect(none.body.one_time_keys).toEqual({});
  });

  it('rejects device keys that do not match the token, and malformed key maps, changing nothing', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    const wrong = await call(anna, 'POST', '/keys/upload', { device_keys: { ...deviceKeys(anna), device_id: 'SOMEONEELSE' } });
    expect(wrong.status).toBe(400);
    expect(typeof wrong.body.errcode).toBe('string');
    const badMap = await call(anna, 'POST', '/keys/upload', { one_time_keys: { nocolon: 'x' } });
    expect(badMap.status).toBe(400);
    const badType = await call(anna, 'POST', '/keys/upload', { one_time_keys: [1, 2] });
    expect(badType.status).toBe(400);
    const q = await call(anna, 'POST', '/keys/query', { device_keys: { [anna.userId]: [anna.deviceId] } });
    expect(q.body.device_keys[anna.userId]).toEqual({});
    expect((await call(anna, 'POST', '/keys/upload', {})).body.one_time_key_counts).toEqual({ signed_curve25519: 0 });
    const unauth = await request(server.url, 'POST', '/_matrix/client/v3/keys/upload', { body: {} });
    expect(unauth.status).toBe(401);
    expect(unauth.body.errcode).toBe('M_MISSING_TOKEN');
  });
});

describe('keys/query, cross-signing and signatures', () => {
  it('returns device keys with display names, cross-signing keys, and user-signing keys only to their owner', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    const ben = await login(server, 'ben', 'ben-password');
    await call(anna, 'PUT', `/devices/${anna.deviceId}`, { display_name: "Anna's phone" });
    const deviceKey = newKeyPair();
    const annaDeviceKeys = deviceKey.signObject(
      { ...deviceKeys(anna), keys: { [`curve25519:${anna.deviceId}`]: 'curve', [`ed25519:${anna.deviceId}`]: deviceKey.publicKey }, signatures: {} },
      anna.userId,
      `ed25519:${anna.deviceId}`,
    );
    expect((await call(anna, 'POST', '/keys/upload', { device_keys: annaDeviceKeys })).status).toBe(200);

    const masterKey = newKeyPair();
    const selfKey = newKeyPair();
    const userKey = newKeyPair();
    const M = `ed25519:${masterKey.publicKey}`;
    const master = { user_id: anna.userId, usage: ['master'], keys: { [M]: masterKey.publicKey } };
    const selfSigning = masterKey.signObject({ user_id: anna.userId, usage: ['self_signing'], keys: { [`ed25519:${selfKey.publicKey}`]: selfKey.publicKey } }, anna.userId, M);
    const userSigning = masterKey.signObject({ user_id: anna.userId, usage: ['user_signing'], keys: { [`ed25519:${userKey.publicKey}`]: userKey.publicKey } }, anna.userId, M);

    // Sub-keys not signed by the master key are refused.
    const forged = await call(anna, 'POST', '/keys/device_signing/upload', {
      master_key: master,
      self_signing_key: newKeyPair().signObject({ ...selfSigning, signatures: {} }, anna.userId, M),
    });
    expect(forged.status).toBe(400);
    expect(forged.body.errcode).toBe('M_INVALID_SIGNATURE');

    // The first upload needs no UIA (MSC3967).
    const first = await call(anna, 'POST', '/keys/device_signing/upload', { master_key: master, self_signing_key: selfSigning, user_signing_key: userSigning });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({});

    // Replacing them does: 401 with the password flow, then a wrong password, then success.
    const other = newKeyPair();
    const replacement = { master_key: { ...master, keys: { [`ed25519:${other.publicKey}`]: other.publicKey } } };
    const challenge = await call(anna, 'POST', '/keys/device_signing/upload', replacement);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    expect(typeof challenge.body.session).toBe('string');
    const identifier = { type: 'm.id.user', user: anna.userId };
    const wrongPassword = await call(anna, 'POST', '/keys/device_signing/upload', {
      ...replacement,
      auth: { type: 'm.login.password', identifier, password: 'nope', session: challenge.body.session },
    });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body.errcode).toBe('M_FORBIDDEN');
    const ok = await call(anna, 'POST', '/keys/device_signing/upload', {
      ...replacement,
      auth: { type: 'm.login.password', identifier, password: 'anna-password', session: challenge.body.session },
    });
    expect(ok.status).toBe(200);

    // Put the original master key back (with UIA) for the signature checks below.
    const c2 = await call(anna, 'POST', '/keys/device_signing/upload', { master_key: master });
    await call(anna, 'POST', '/keys/device_signing/upload', {
      master_key: master,
      auth: { type: 'm.login.password', identifier, password: 'anna-password', session: c2.body.session },
    });

    // Anna's self-signing key signs her device; an unknown key and a forged signature are failures, not errors.
    const S = `ed25519:${selfKey.publicKey}`;
    const signedDevice = selfKey.signObject({ ...annaDeviceKeys, signatures: {} }, anna.userId, S);
    const forgedDevice = { ...annaDeviceKeys, signatures: { [anna.userId]: { [S]: sigOf(signedDevice, anna.userId, S).replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) } } };
    const sigs = await call(anna, 'POST', '/keys/signatures/upload', {
      [anna.userId]: { [anna.deviceId]: signedDevice, NOSUCHDEVICE: signedDevice },
    });
    expect(sigs.status).toBe(200);
    expectMatchesSpec('cross_signing.yaml', '/keys/signatures/upload', 'post', 200, sigs.body);
    expect(Object.keys(sigs.body.failures[anna.userId])).toEqual(['NOSUCHDEVICE']);
    const bad = await call(anna, 'POST', '/keys/signatures/upload', { [anna.userId]: { [anna.deviceId]: forgedDevice } });
    expect(bad.body.failures[anna.userId][anna.deviceId].errcode).toBe('M_INVALID_SIGNATURE');

    const asBen = await call(ben, 'POST', '/keys/query', { device_keys: { [anna.userId]: [] }, timeout: 10000 });
    expect(asBen.status).toBe(200);
    expectMatchesSpec('keys.yaml', '/keys/query', 'post', 200, asBen.body);
    const annaDevice = asBen.body.device_keys[anna.userId][anna.deviceId];
    expect(annaDevice.signatures[anna.userId]).toEqual({
      [`ed25519:${anna.deviceId}`]: sigOf(annaDeviceKeys, anna.userId, `ed25519:${anna.deviceId}`),
      [S]: sigOf(signedDevice, anna.userId, S),
    });
    expect(annaDevice.unsigned.device_display_name).toBe("Anna's phone");
    expect(asBen.body.master_keys[anna.userId].keys).toEqual(master.keys);
    expect(asBen.body.self_signing_keys[anna.userId].keys).toEqual(selfSigning.keys);
    expect(asBen.body.user_signing_keys).toEqual({});
    expect(asBen.body.failures).toEqual({});

    const asAnna = await call(anna, 'POST', '/keys/query', { device_keys: { [anna.userId]: [anna.deviceId] } });
    expect(asAnna.body.user_signing_keys[anna.userId].keys).toEqual(userSigning.keys);
  });

  it('forgets a deleted device\'s keys', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    const spare = await login(server, 'anna', 'anna-password');
    await call(spare, 'POST', '/keys/upload', { device_keys: deviceKeys(spare), one_time_keys: oneTimeKeys(spare, 5) });
    const before = await call(anna, 'POST', '/keys/query', { device_keys: { [anna.userId]: [spare.deviceId] } });
    expect(Object.keys(before.body.device_keys[anna.userId])).toEqual([spare.deviceId]);

    const challenge = await call(anna, 'DELETE', `/devices/${spare.deviceId}`, {});
    expect(challenge.status).toBe(401);
    const del = await call(anna, 'DELETE', `/devices/${spare.deviceId}`, {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'anna' }, password: 'anna-password', session: challenge.body.session },
    });
    expect(del.status).toBe(200);
    // Key removal follows the device's deletion; poll briefly for it.
    let after: any;
    for (let i = 0; i < 50; i++) {
      after = await call(anna, 'POST', '/keys/query', { device_keys: { [anna.userId]: [spare.deviceId] } });
      if (Object.keys(after.body.device_keys[anna.userId]).length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(after.body.device_keys[anna.userId]).toEqual({});
  });
});

describe('key backup', () => {
  it('creates versions, stores keys by the replacement rules, and refuses the wrong version', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    const none = await call(anna, 'GET', '/room_keys/version');
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');

    const authData = { public_key: 'backup-pub', signatures: {} };
    const created = await call(anna, 'POST', '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: authData });
    expect(created.status).toBe(200);
    expectMatchesSpec('key_backup.yaml', '/room_keys/version', 'post', 200, created.body);
    const v1 = created.body.version as string;

    const key = (index: number, forwarded: number, verified: boolean, tag: string) => ({
      first_message_index: index,
      forwarded_count: forwarded,
      is_verified: verified,
      session_data: { ephemeral: tag, ciphertext: tag, mac: tag },
    });
    const room = '!room:test.local';
    const put = await call(anna, 'PUT', `/room_keys/keys?version=${v1}`, { rooms: { [room]: { sessions: { s1: key(5, 1, false, 'a'), s2: key(0, 0, true, 'b') } } } });
    expect(put.status).toBe(200);
    expectMatchesSpec('key_backup.yaml', '/room_keys/keys', 'put', 200, put.body);
    expect(put.body.count).toBe(2);
    const etag1 = put.body.etag;

    // Worse keys are ignored; a better one (lower first index) replaces.
    await call(anna, 'PUT', `/room_keys/keys/${encodeURIComponent(room)}/s2?version=${v1}`, key(0, 0, false, 'worse'));
    await call(anna, 'PUT', `/room_keys/keys/${encodeURIComponent(room)}/s1?version=${v1}`, key(2, 3, false, 'better'));
    const s1 = await call(anna, 'GET', `/room_keys/keys/${encodeURIComponent(room)}/s1?version=${v1}`);
    expectMatchesSpec('key_backup.yaml', '/room_keys/keys/{roomId}/{sessionId}', 'get', 200, s1.body);
    expect(s1.body.session_data.ciphertext).toBe('better');
    const s2 = await call(anna, 'GET', `/room_keys/keys/${encodeURIComponent(room)}/s2?version=${v1}`);
    expect(s2.body.session_data.ciphertext).toBe('b');

    const info = await call(anna, 'GET', '/room_keys/version');
    expectMatchesSpec('key_backup.yaml', '/room_keys/version', 'get', 200, info.body);
    expect(info.body).toMatchObject({ version: v1, count: 2, auth_data: authData });
    expect(info.body.etag).not.toBe(etag1);

    const all = await call(anna, 'GET', `/room_keys/keys?version=${v1}`);
    expectMatchesSpec('key_backup.yaml', '/room_keys/keys', 'get', 200, all.body);
    expect(Object.keys(all.body.rooms[room].sessions).sort()).toEqual(['s1', 's2']);

    // A newer version makes the old one read-only for writes.
    const v2 = (await call(anna, 'POST', '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: authData })).body.version;
    const stale = await call(anna, 'PUT', `/room_keys/keys?version=${v1}`, { rooms: {} });
    expect(stale.status).toBe(403);
    expect(stale.body).toMatchObject({ errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: v2 });
    const missingVersion = await call(anna, 'PUT', '/room_keys/keys', { rooms: {} });
    expect(missingVersion.status).toBe(400);

    const del = await call(anna, 'DELETE', `/room_keys/keys/${encodeURIComponent(room)}?version=${v1}`);
    expect(del.body.count).toBe(0);
    expect((await call(anna, 'DELETE', `/room_keys/version/${v2}`)).status).toBe(200);
    expect((await call(anna, 'GET', `/room_keys/version/${v2}`)).status).toBe(404);

    // Another user never sees Anna's backup.
    const ben = await login(server, 'ben', 'ben-password');
    expect((await call(ben, 'GET', `/room_keys/version/${v1}`)).status).toBe(404);
  });
});

describe('dehydrated devices', () => {
  it('answers JSON 404 so FluffyChat skips them cleanly', async () => {
    const anna = await login(server, 'anna', 'anna-password');
    for (const method of ['GET', 'PUT']) {
      const res = await request(server.url, method, '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device', {
        token: anna.accessToken,
        body: method === 'PUT' ? { device_data: {} } : undefined,
      });
      expect(res.status).toBe(404);
      expect(res.body.errcode).toBe('M_UNRECOGNIZED');
    }
  });
});
