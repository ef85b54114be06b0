// Pushers (spec "Push Notifications": GET /pushers, POST /pushers/set): where a user's devices
// want to be woken. Only "http" pushers exist here (no mail); their gateway URL must be http(s)
// with the push gateway path. Private-range hosts are fine: this is a LAN product, and a
// UnifiedPush distributor such as a self-hosted ntfy lives on the LAN.
import type { JsonObject } from '../http/body.ts';
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import { errors } from '../http/errors.ts';
import * as pushersRepo from '../storage/repos/pushers.ts';

export const NOTIFY_PATH = '/_matrix/push/v1/notify';

/** The spec's Pusher object. */
export function pusherForClient(row: pushersRepo.PusherRow): JsonObject {
  const out: JsonObject = {
    pushkey: row.pushkey,
    kind: row.kind,
    app_id: row.app_id,
    app_display_name: row.app_display_name,
    device_display_name: row.device_display_name,
    lang: row.lang,
    data: JSON.parse(row.data) as JsonObject,
  };
  if (row.profile_tag !== null) out.profile_tag = row.profile_tag;
  return out;
}

export class PusherService {
  private readonly storage: Storage;
  private readonly clock: Clock;

  constructor(storage: Storage, clock: Clock) {
    this.storage = storage;
    this.clock = clock;
  }

  list(userId: string): JsonObject[] {
    return this.storage.read((db) => pushersRepo.pushersOf(db, userId)).map(pusherForClient);
  }

  /** POST /pushers/set: creates, updates or (kind null) deletes one pusher. */
  async set(userId: string, deviceId: string, body: JsonObject): Promise<void> {
    const pushkey = requiredString(body, 'pushkey', 512);
    const appId = requiredString(body, 'app_id', 64);
    if (body.kind === null) {
      await this.storage.write((db) => pushersRepo.deletePusher(db, userId, appId, pushkey));
      return;
    }
    const kind = requiredString(body, 'kind', 64);
    if (kind !== 'http') throw errors.invalidParam(`Only "http" pushers are supported, not "${kind}"`);
    const data = body.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw errors.missingParam('data must be an object');
    if (typeof data.url !== 'string') throw errors.missingParam('data.url is required for http pushers');
    checkGatewayUrl(data.url);
    if (data.format !== undefined && data.format !== 'event_id_only') throw errors.invalidParam('data.format may only be "event_id_only"');
    if (body.profile_tag !== undefined && typeof body.profile_tag !== 'string') throw errors.badJson('profile_tag must be a string');
    if (body.append !== undefined && typeof body.append !== 'boolean') throw errors.badJson('append must be a boolean');
    const row: pushersRepo.PusherRow = {
      user_id: userId,
      app_id: appId,
      pushkey,
      kind,
      app_display_name: requiredString(body, 'app_display_name', 256),
      device_display_name: requiredString(body, 'device_display_name', 256),
      profile_tag: typeof body.profile_tag === 'string' ? body.profile_tag.slice(0, 256) : null,
      lang: requiredString(body, 'lang', 64),
      data: JSON.stringify(data),
      device_id: deviceId,
      created_ts: this.clock.now(),
    };
    await this.storage.write((db) => {
      if (body.append !== true) pushersRepo.deletePushkeyOfOtherUsers(db, userId, appId, pushkey);
      pushersRepo.upsertPusher(db, row);
    });
  }

  /** A logged-out or deleted device stops being woken (as Synapse does). */
  async forgetDevices(userId: string, deviceIds: string[]): Promise<void> {
    await this.storage.write((db) => {
      for (const deviceId of deviceIds) pushersRepo.deletePushersOfDevice(db, userId, deviceId);
    });
  }

  /** The gateway said these pushkeys are dead (rejected): forget them. */
  async reject(userId: string, appId: string, pushkey: string): Promise<void> {
    await this.storage.write((db) => pushersRepo.deletePusher(db, userId, appId, pushkey));
  }
}

function checkGatewayUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw errors.invalidParam('data.url is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.invalidParam('data.url must be http or https');
  if (url.username || url.password) throw errors.invalidParam('data.url may not carry credentials');
  if (url.pathname !== NOTIFY_PATH) throw errors.invalidParam(`data.url must end in ${NOTIFY_PATH}`);
}

function requiredString(body: JsonObject, key: string, maxLength: number): string {
  const v = body[key];
  if (v === undefined || v === null) throw errors.missingParam(`${key} is required`);
  if (typeof v !== 'string') throw errors.badJson(`${key} must be a string`);
  if (Buffer.byteLength(v) > maxLength) throw errors.invalidParam(`${key} is longer than ${maxLength} bytes`);
  return v;
}
