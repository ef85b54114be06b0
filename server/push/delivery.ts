// Push delivery: after events are durable, each notifying push action of a user with pushers
// becomes a POST to their gateway (push gateway API /_matrix/push/v1/notify). Runs off the request
// path: a slow, failing or unreachable gateway never delays or fails a send. Failures are retried
// with exponential backoff; a gateway that rejects a pushkey loses that pusher.
import type { JsonObject, JsonValue } from '../http/body.ts';
import type { Storage, SqlReader } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import type { PersistedEvent } from '../rooms/types.ts';
import type { PusherService } from './pushers.ts';
import * as pushersRepo from '../storage/repos/pushers.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import { unreadCounts } from '../storage/repos/push_rules.ts';
import { ignoredUsers } from '../userdata/ignored_users.ts';

export interface DeliveryTimings {
  /** First retry after this long; doubles each time. */
  retryBaseMs: number;
  attempts: number;
  timeoutMs: number;
}

const DEFAULT_TIMINGS: DeliveryTimings = { retryBaseMs: 2_000, attempts: 6, timeoutMs: 10_000 };

export class PushDelivery {
  private readonly storage: Storage;
  private readonly pushers: PusherService;
  private readonly log: Logger;
  private readonly timings: DeliveryTimings;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Users with pushers, read again only after the pushers table changed (asked for every event sent). */
  private pusherUsers: { version: number; users: string[] } = { version: -1, users: [] };

  constructor(deps: { storage: Storage; pushers: PusherService; log: Logger; timings?: Partial<DeliveryTimings> }) {
    this.storage = deps.storage;
    this.pushers = deps.pushers;
    this.log = deps.log;
    this.timings = { ...DEFAULT_TIMINGS, ...deps.timings };
  }

  /** The rooms service's commit listener: defers all work so the send's response goes out first. */
  onCommitted(events: PersistedEvent[]): void {
    if (!this.closed) setImmediate(() => this.deliver(events));
  }

  private usersWithPushers(db: SqlReader): string[] {
    const version = this.storage.tableVersion('pushers');
    if (version !== this.pusherUsers.version) this.pusherUsers = { version, users: pushersRepo.usersWithPushers(db) };
    return this.pusherUsers.users;
  }

  private deliver(events: PersistedEvent[]): void {
    if (this.closed) return;
    let jobs: { url: string; body: JsonObject; pusher: pushersRepo.PusherRow }[];
    try {
      jobs = this.storage.read((db) => {
        const users = this.usersWithPushers(db);
        if (!users.length) return [];
        const out: { url: string; body: JsonObject; pusher: pushersRepo.PusherRow }[] = [];
        for (const event of events) {
          for (const userId of users) {
            if (userId === event.sender) continue;
            const action = pushersRepo.pushActionFor(db, userId, event.roomId, event.streamPos);
            if (!action || ignoredUsers(db, userId).has(event.sender)) continue;
            const actions = JSON.parse(action.actions) as JsonValue[];
            for (const pusher of pushersRepo.pushersOf(db, userId)) {
              const data = JSON.parse(pusher.data) as JsonObject;
              if (typeof data.url !== 'string') continue;
              out.push({ url: data.url, pusher, body: notifyBody(db, event, userId, pusher, data, actions, action.highlight === 1) });
            }
          }
        }
        return out;
      });
    } catch (err) {
      this.log.error('push delivery: could not read push actions', err);
      return;
    }
    for (const job of jobs) this.attempt(job.url, job.body, job.pusher, 1);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(url: string, body: JsonObject, pusher: pushersRepo.PusherRow, n: number): void {
    void this.post(url, body).then(
      async (rejected) => {
        if (rejected.includes(pusher.pushkey)) {
          this.log.info(`push gateway rejected pushkey of ${pusher.user_id} (${pusher.app_id}); removing the pusher`);
          await this.pushers.reject(pusher.user_id, pusher.app_id, pusher.pushkey).catch((err: unknown) => this.log.error('could not remove a rejected pusher', err));
        }
      },
      (err: unknown) => {
        if (this.closed) return;
        if (n >= this.timings.attempts) {
          this.log.warn(`push to ${new URL(url).host} failed ${n} times, giving up: ${(err as Error).message}`);
          return;
        }
        const delay = this.timings.retryBaseMs * 2 ** (n - 1);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.attempt(url, body, pusher, n + 1);
        }, delay);
        timer.unref();
        this.timers.add(timer);
      },
    );
  }

  /** One POST; resolves with the rejected pushkeys, rejects on a network error or a non-2xx status. */
  private async post(url: string, body: JsonObject): Promise<string[]> {
    await this.storage.durable(); // a push about an event is an output like any answer (storage/types.ts)
    // Only the configured URL: redirects are not followed (they could point anywhere).
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timings.timeoutMs),
    });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) throw new Error(`gateway answered ${res.status}`);
    try {
      const parsed = JSON.parse(text) as { rejected?: unknown };
      return Array.isArray(parsed.rejected) ? parsed.rejected.filter((k): k is string => typeof k === 'string') : [];
    } catch {
      return [];
    }
  }
}

/** The push gateway API's notification (full, or event_id_only when the pusher asks). */
function notifyBody(db: SqlReader, event: PersistedEvent, userId: string, pusher: pushersRepo.PusherRow, data: JsonObject, actions: JsonValue[], highlight: boolean): JsonObject {
  const deviceData: JsonObject = { ...data };
  delete deviceData.url;
  const tweaks: JsonObject = {};
  for (const a of actions) {
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof a.set_tweak === 'string') tweaks[a.set_tweak] = a.value === undefined ? true : a.value;
  }
  const device: JsonObject = { app_id: pusher.app_id, pushkey: pusher.pushkey, pushkey_ts: Math.floor(pusher.created_ts / 1000), data: deviceData, tweaks };
  let unread = 0;
  for (const m of roomsRepo.roomsOfUser(db, userId, 'join')) unread += unreadCounts(db, userId, m.room_id).reduce((n, c) => n + c.notifications, 0);
  const notification: JsonObject = {
    event_id: event.eventId,
    room_id: event.roomId,
    counts: { unread },
    devices: [device],
    prio: highlight || event.type === 'm.room.message' || event.type === 'm.room.encrypted' || event.type === 'm.call.invite' ? 'high' : 'low',
  };
  if (data.format !== 'event_id_only') {
    const content = (type: string, key = '') => {
      const json = roomsRepo.currentStateJson(db, event.roomId, type, key);
      return json ? (((JSON.parse(json) as JsonObject).content ?? {}) as JsonObject) : {};
    };
    notification.type = event.type;
    notification.sender = event.sender;
    notification.content = event.content;
    const senderName = content('m.room.member', event.sender).displayname;
    if (typeof senderName === 'string') notification.sender_display_name = senderName;
    const roomName = content('m.room.name').name;
    if (typeof roomName === 'string') notification.room_name = roomName;
    const alias = content('m.room.canonical_alias').alias;
    if (typeof alias === 'string') notification.room_alias = alias;
    if (event.type === 'm.room.member') notification.user_is_target = event.stateKey === userId;
  }
  return { notification };
}
