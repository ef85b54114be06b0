// /keys/upload, /keys/query, /keys/claim, /keys/changes: storing, counting and handing out device keys.
// The server never decrypts; it must count exactly (FluffyChat logs out when the OTK count is off by one).
import type { Storage } from '../storage/types.ts';
import { deleteAllToDevice } from '../storage/repos/to_device.ts';
import type { JsonObject } from '../http/body.ts';
import type { Requester as AuthRequester } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { isObject } from '../http/validate.ts';
import { isValidUserId } from '../ids.ts';
import * as repo from '../storage/repos/device_keys.ts';
import type { ChangeSink, DeviceDirectory, MembershipView } from './deps.ts';
import { mergeSignatures } from './signatures.ts';

/** The device making the request: the authenticated requester's user and device. */
type Requester = Pick<AuthRequester, 'userId' | 'deviceId'>;

export class DeviceKeysService {
  private readonly storage: Storage;
  private readonly devices: DeviceDirectory;
  private readonly members: MembershipView;
  private readonly changes: ChangeSink;

  constructor(deps: { storage: Storage; devices: DeviceDirectory; members: MembershipView; changes: ChangeSink }) {
    this.storage = deps.storage;
    this.devices = deps.devices;
    this.members = deps.members;
    this.changes = deps.changes;
  }

  async upload(me: Requester, body: JsonObject): Promise<{ one_time_key_counts: Record<string, number> }> {
    const deviceKeys = body.device_keys;
    if (deviceKeys !== undefined && deviceKeys !== null) validateDeviceKeys(me, deviceKeys);
    const oneTimeKeys = keyMap(body.one_time_keys, 'one_time_keys');
    const fallbackKeys = keyMap(body.fallback_keys ?? body['org.matrix.msc2732.fallback_keys'], 'fallback_keys');

    const changed = await this.storage.write((db) => {
      let keysChanged = false;
      if (isObject(deviceKeys)) {
        const json = JSON.stringify(deviceKeys);
        if (repo.getDeviceKeys(db, me.userId, me.deviceId) !== json) {
          repo.putDeviceKeys(db, me.userId, me.deviceId, json);
          repo.recordDeviceListChange(db, me.userId);
          keysChanged = true;
        }
      }
      for (const { algorithm, keyId, value } of oneTimeKeys) {
        repo.addOneTimeKey(db, me.userId, me.deviceId, algorithm, keyId, JSON.stringify(value));
      }
      // One fallback key per algorithm: a new one replaces the old and is unused again.
      for (const { algorithm, keyId, value } of fallbackKeys) {
        repo.putFallbackKey(db, me.userId, me.deviceId, algorithm, keyId, JSON.stringify(value));
      }
      return keysChanged;
    });
    if (changed) this.notifyDeviceChange(me.userId);
    return { one_time_key_counts: this.oneTimeKeyCounts(me.userId, me.deviceId) };
  }

  /** Unclaimed one-time keys per algorithm; signed_curve25519 is always present, 0 rather than absent. */
  oneTimeKeyCounts(userId: string, deviceId: string): Record<string, number> {
    const counts = this.storage.read((db) => repo.countOneTimeKeys(db, userId, deviceId));
    return { signed_curve25519: 0, ...counts };
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
    return this.storage.read((db) => repo.unusedFallbackKeyTypes(db, userId, deviceId));
  }

  query(me: Requester, body: JsonObject): JsonObject {
    const wanted = body.device_keys;
    if (!isObject(wanted)) throw errors.badJson('"device_keys" must be an object of user IDs to device ID lists');
    const deviceKeys: JsonObject = {};
    const masterKeys: JsonObject = {};
    const selfSigningKeys: JsonObject = {};
    const userSigningKeys: JsonObject = {};
    this.storage.read((db) => {
      for (const [userId, deviceList] of Object.entries(wanted)) {
        if (!isValidUserId(userId)) continue;
        if (!Array.isArray(deviceList) || deviceList.some((d) => typeof d !== 'string')) {
          throw errors.badJson(`device list for ${userId} must be an array of device IDs`);
        }
        const only = new Set(deviceList as string[]);
        const devices: JsonObject = {};
        for (const row of repo.listDeviceKeys(db, userId)) {
          if (only.size && !only.has(row.device_id)) continue;
          const keys = mergeSignatures(db, JSON.parse(row.json) as JsonObject, userId, row.device_id);
          const name = this.devices.displayName(userId, row.device_id);
          keys.unsigned = { ...(isObject(keys.unsigned) ? keys.unsigned : {}), ...(name ? { device_display_name: name } : {}) };
          devices[row.device_id] = keys;
        }
        deviceKeys[userId] = devices;
        const master = repo.getCrossSigningKey(db, userId, 'master');
        if (master) masterKeys[userId] = mergeSignatures(db, JSON.parse(master.json) as JsonObject, userId, master.public_key);
        const selfSigning = repo.getCrossSigningKey(db, userId, 'self_signing');
        if (selfSigning) selfSigningKeys[userId] = mergeSignatures(db, JSON.parse(selfSigning.json) as JsonObject, userId, selfSigning.public_key);
        // The user-signing key is private to its owner.
        if (userId === me.userId) {
          const userSigning = repo.getCrossSigningKey(db, userId, 'user_signing');
          if (userSigning) userSigningKeys[userId] = JSON.parse(userSigning.json) as JsonObject;
        }
      }
    });
    return {
      failures: {},
      device_keys: deviceKeys,
      master_keys: masterKeys,
      self_signing_keys: selfSigningKeys,
      user_signing_keys: userSigningKeys,
    };
  }

  /** Pops one one-time key per requested device, atomically; falls back to the fallback key (kept, marked used). */
  async claim(body: JsonObject): Promise<JsonObject> {
    const wanted = body.one_time_keys;
    if (!isObject(wanted)) throw errors.badJson('"one_time_keys" must be an object');
    const requests: { userId: string; deviceId: string; algorithm: string }[] = [];
    for (const [userId, devices] of Object.entries(wanted)) {
      if (!isObject(devices)) throw errors.badJson(`one_time_keys.${userId} must be an object`);
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        if (typeof algorithm !== 'string') throw errors.badJson(`one_time_keys.${userId}.${deviceId} must be an algorithm name`);
        requests.push({ userId, deviceId, algorithm });
      }
    }
    const claimed = await this.storage.write((db) => {
      const out: JsonObject = {};
      for (const { userId, deviceId, algorithm } of requests) {
        let keyId: string;
        let value: JsonObject | string;
        const otk = repo.takeOneTimeKey(db, userId, deviceId, algorithm);
        if (otk) {
          keyId = otk.key_id;
          value = JSON.parse(otk.json) as JsonObject | string;
        } else {
          const fallback = repo.getFallbackKey(db, userId, deviceId, algorithm);
          if (!fallback) continue;
          if (!fallback.used) repo.markFallbackKeyUsed(db, userId, deviceId, algorithm);
          keyId = fallback.key_id;
          const parsed = JSON.parse(fallback.json) as JsonObject | string;
          value = isObject(parsed) ? { ...parsed, fallback: true } : parsed;
        }
        const forUser = (out[userId] ??= {}) as JsonObject;
        forUser[deviceId] = { [`${algorithm}:${keyId}`]: value };
      }
      return out;
    });
    return { one_time_keys: claimed, failures: {} };
  }

  notifyDeviceChange(userId: string): void {
    this.changes.notify({ userIds: [userId, ...this.members.usersSharingRoomWith(userId)] });
  }

  /** Devices were deleted: their keys, OTKs, fallback keys and pending to-device messages go, and peers hear of it. */
  async forgetDevices(userId: string, deviceIds: string[]): Promise<void> {
    if (!deviceIds.length) return;
    await this.storage.write((db) => {
      for (const deviceId of deviceIds) {
        repo.deleteDeviceKeys(db, userId, deviceId);
        deleteAllToDevice(db, userId, deviceId);
      }
      repo.recordDeviceListChange(db, userId);
    });
    this.notifyDeviceChange(userId);
  }
}

function validateDeviceKeys(me: Requester, keys: unknown): void {
  if (!isObject(keys)) throw errors.badJson('"device_keys" must be an object');
  if (keys.user_id !== me.userId || keys.device_id !== me.deviceId) {
    throw errors.invalidParam('device_keys.user_id and device_id must match the access token');
  }
  if (!Array.isArray(keys.algorithms) || keys.algorithms.some((a) => typeof a !== 'string')) {
    throw errors.badJson('device_keys.algorithms must be an array of strings');
  }
  if (!isObject(keys.keys) || Object.values(keys.keys).some((k) => typeof k !== 'string')) {
    throw errors.badJson('device_keys.keys must map key IDs to keys');
  }
  if (!isObject(keys.signatures)) throw errors.badJson('device_keys.signatures must be an object');
}

/** Parses {"algorithm:keyId": key} maps of one-time and fallback keys. */
function keyMap(value: unknown, field: string): { algorithm: string; keyId: string; value: unknown }[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw errors.badJson(`"${field}" must be an object`);
  return Object.entries(value).map(([id, key]) => {
    const colon = id.indexOf(':');
    if (colon <= 0 || colon === id.length - 1) throw errors.badJson(`${field}: key ID "${id}" must look like algorithm:id`);
    if (typeof key !== 'string' && !isObject(key)) throw errors.badJson(`${field}.${id} must be a key object`);
    return { algorithm: id.slice(0, colon), keyId: id.slice(colon + 1), value: key };
  });
}
