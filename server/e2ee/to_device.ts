// Send-to-device messaging: room keys, verification and secrets travel this way.
// A message is deleted only once its device syncs with a token at or past the batch that carried
// it (CLIENT-COMPAT rule 10); an older token gets it again.
import type { Storage } from '../storage/types.ts';
import type { JsonObject } from '../http/body.ts';
import type { Logger } from '../log.ts';
import { errors } from '../http/errors.ts';
import { isObject } from '../http/validate.ts';
import { isValidUserId } from '../ids.ts';
import * as repo from '../storage/repos/to_device.ts';
import type { ChangeSink, DeviceDirectory } from './deps.ts';

/** Most messages in one /sync response; the rest follow in the next (Synapse uses 100 too). */
export const TO_DEVICE_LIMIT = 100;

export class ToDeviceService {
  private readonly storage: Storage;
  private readonly devices: DeviceDirectory;
  private readonly changes: ChangeSink;
  private readonly log: Logger;
  private latestPos: number;

  constructor(deps: { storage: Storage; devices: DeviceDirectory; changes: ChangeSink; log: Logger }) {
    this.storage = deps.storage;
    this.devices = deps.devices;
    this.changes = deps.changes;
    this.log = deps.log;
    this.latestPos = this.storage.read((db) => repo.latestToDevicePosition(db));
  }

  latest(): number {
    return this.latestPos;
  }

  async send(sender: { userId: string; deviceId: string }, type: string, txnId: string, body: JsonObject): Promise<void> {
    const messages = body.messages;
    if (!isObject(messages)) throw errors.badJson('"messages" must be an object of user IDs to devices');
    const deliveries: { userId: string; deviceId: string; content: string }[] = [];
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!isValidUserId(userId)) throw errors.invalidParam(`"${userId}" is not a user ID`);
      if (!isObject(byDevice)) throw errors.badJson(`messages.${userId} must be an object of device IDs to contents`);
      for (const [deviceId, content] of Object.entries(byDevice)) {
        if (!isObject(content)) throw errors.badJson(`messages.${userId}.${deviceId} must be an object`);
        const targets = deviceId === '*' ? this.devices.deviceIds(userId) : [deviceId];
        for (const target of targets) deliveries.push({ userId, deviceId: target, content: JSON.stringify(content) });
      }
    }
    const recipients = await this.storage.write((db) => {
      // A retried request (same sender device and txn ID) is acknowledged without sending twice.
      if (!repo.claimToDeviceTxn(db, sender.userId, sender.deviceId, txnId)) return [];
      for (const d of deliveries) repo.enqueueToDevice(db, d.userId, d.deviceId, sender.userId, type, d.content);
      return [...new Set(deliveries.map((d) => d.userId))];
    });
    if (recipients.length) {
      this.latestPos = this.storage.read((db) => repo.latestToDevicePosition(db));
      this.changes.notify({ userIds: recipients });
    }
  }

  /**
   * The device's messages in (from, to], at most TO_DEVICE_LIMIT. Returns them with the position
   * reached (the last one delivered when capped, else `to`).
   */
  pending(userId: string, deviceId: string, from: number, to: number): { events: JsonObject[]; reached: number } {
    if (from >= to) return { events: [], reached: to }; // nothing new in the stream: no query (most long-poll wake-ups)
    const rows = this.storage.read((db) => repo.pendingToDevice(db, userId, deviceId, from, to, TO_DEVICE_LIMIT));
    const events = rows.map((r) => ({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as JsonObject }));
    const reached = rows.length === TO_DEVICE_LIMIT ? rows[rows.length - 1]!.pos : to;
    return { events, reached };
  }

  /** The device synced with `since`: what it carried up to there is acknowledged and can go. */
  acknowledge(userId: string, deviceId: string, since: number): void {
    if (since <= 0 || !this.storage.read((db) => repo.hasAcknowledgedToDevice(db, userId, deviceId, since))) return;
    // Not awaited: losing this delete on a crash only means deleting it at the next sync.
    this.storage.write((db) => repo.deleteAcknowledgedToDevice(db, userId, deviceId, since)).catch((err: unknown) => {
      this.log.warn(`could not delete acknowledged to-device messages for ${userId}/${deviceId}`, err);
    });
  }
}
