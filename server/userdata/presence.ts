// Presence: online / unavailable / offline plus a status message. State changes are durable
// (the presence stream); activity times stay in memory. Syncing keeps a user online; a user whose
// clients stopped syncing goes offline, and one idle for a while goes unavailable.
import type { Storage } from '../storage/types.ts';
import type { JsonObject } from '../http/body.ts';
import type { Clock } from '../clock.ts';
import type { ChangeNotice } from '../sync/notifier.ts';
import type { RoomsView } from './rooms_view.ts';
import { latestPresencePos, listPresence, putPresence } from '../storage/repos/presence.ts';

export const PRESENCE_STATES = ['online', 'unavailable', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

export interface PresenceTimings {
  /** No sync for this long → offline. The longest long-poll is 30 s, so the default is 45 s. */
  offlineAfterMs: number;
  /** Online without activity (an online sync or presence PUT) for this long → unavailable. */
  idleAfterMs: number;
  /** How often the timeouts are checked. */
  sweepMs: number;
}

export const DEFAULT_PRESENCE_TIMINGS: PresenceTimings = { offlineAfterMs: 45_000, idleAfterMs: 5 * 60_000, sweepMs: 5_000 };

export interface UserPresence {
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  /** Last sync start; 0 when none since the server started. */
  lastSyncTs: number;
  /** Set by the user (PUT), not inferred from syncing or idleness; a sync does not override it. */
  explicit: boolean;
}

export function isPresenceState(s: unknown): s is PresenceState {
  return typeof s === 'string' && (PRESENCE_STATES as readonly string[]).includes(s);
}

export class PresenceService {
  private latestPos: number;
  private readonly users = new Map<string, UserPresence>();
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly notify: (change: ChangeNotice) => void;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly rooms: RoomsView;
  private readonly timings: PresenceTimings;
  /** Users restored from disk count as last syncing at start, so they time out normally. */
  private readonly startedAt: number;

  constructor(deps: { storage: Storage; clock: Clock; rooms: RoomsView; notify: (change: ChangeNotice) => void; timings?: Partial<PresenceTimings> }) {
    this.rooms = deps.rooms;
    this.timings = { ...DEFAULT_PRESENCE_TIMINGS, ...deps.timings };
    this.storage = deps.storage;
    this.clock = deps.clock;
    this.notify = deps.notify;
    this.latestPos = deps.storage.read(latestPresencePos);
    this.startedAt = deps.clock.now();
    for (const row of deps.storage.read(listPresence)) {
      if (!isPresenceState(row.state)) continue;
      this.users.set(row.user_id, { state: row.state, statusMsg: row.status_msg, lastActiveTs: row.last_active_ts, lastSyncTs: 0, explicit: false });
    }
    this.sweeper = setInterval(() => void this.sweep(), this.timings.sweepMs);
    this.sweeper.unref();
  }

  latest(): number {
    return this.latestPos;
  }

  /** The m.presence content (and GET /presence/{userId}/status body); undefined if never seen. */
  content(userId: string): JsonObject | undefined {
    const p = this.users.get(userId);
    if (!p) return undefined;
    const ago = Math.max(0, this.clock.now() - p.lastActiveTs);
    const content: JsonObject = { presence: p.state, last_active_ago: ago, currently_active: p.state === 'online' && ago < 60_000 };
    if (p.statusMsg !== null) content.status_msg = p.statusMsg;
    return content;
  }

  /** PUT /presence/{userId}/status. */
  async set(userId: string, state: PresenceState, statusMsg: string | null): Promise<void> {
    const now = this.clock.now();
    const current = this.users.get(userId);
    if (current) current.lastActiveTs = now;
    await this.store(userId, state, statusMsg, now, state !== 'online');
  }

  /** Called by /sync at the start of every request with its set_presence (default online). */
  touch(userId: string, setPresence: string | undefined): void {
    const now = this.clock.now();
    const wanted = setPresence ?? 'online';
    // A client in the background (offline) neither keeps the user online nor changes the state.
    if (wanted === 'offline') return;
    const current = this.users.get(userId);
    if (current) current.lastSyncTs = now;
    // A state the user chose (PUT unavailable, say) is not undone by a client that merely syncs.
    const inferred = !current || current.state === 'offline' || !current.explicit;
    if (wanted === 'online') {
      if (current) current.lastActiveTs = now;
      if (current?.state !== 'online' && inferred) this.storeQuietly(userId, 'online', current?.statusMsg ?? null, now, false);
    } else if (wanted === 'unavailable' && current?.state !== 'unavailable' && inferred) {
      this.storeQuietly(userId, 'unavailable', current?.statusMsg ?? null, current?.lastActiveTs ?? now, false);
    }
  }

  /** Records activity (the user sent an event): it delays going idle; it does not change the state. */
  active(userId: string): void {
    const current = this.users.get(userId);
    if (current) current.lastActiveTs = this.clock.now();
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private storeQuietly(userId: string, state: PresenceState, statusMsg: string | null, lastActiveTs: number, explicit: boolean): void {
    this.store(userId, state, statusMsg, lastActiveTs, explicit).catch(() => {
      // Storage closing or failing: presence is best effort; the next sync retries.
    });
  }

  private async store(userId: string, state: PresenceState, statusMsg: string | null, lastActiveTs: number, explicit: boolean): Promise<void> {
    const user = this.users.get(userId) ?? { state, statusMsg, lastActiveTs, lastSyncTs: 0, explicit };
    user.explicit = explicit;
    user.state = state;
    user.statusMsg = statusMsg;
    user.lastActiveTs = lastActiveTs;
    if (state !== 'offline' && user.lastSyncTs === 0) user.lastSyncTs = this.clock.now();
    this.users.set(userId, user);
    const pos = await this.storage.write((db) => putPresence(db, { user_id: userId, state, status_msg: statusMsg, last_active_ts: lastActiveTs }));
    if (pos > this.latestPos) this.latestPos = pos;
    // Presence concerns the user and everyone sharing a room with them.
    this.notify({ userIds: [...new Set([userId, ...this.rooms.usersSharingRooms(userId)])] });
  }

  /** Online users who stopped syncing go offline; online users idle for long go unavailable. */
  private async sweep(): Promise<void> {
    const now = this.clock.now();
    for (const [userId, p] of this.users) {
      if (p.state === 'offline') continue;
      const lastSync = p.lastSyncTs || this.startedAt;
      if (now - lastSync > this.timings.offlineAfterMs) await this.store(userId, 'offline', p.statusMsg, p.lastActiveTs, false).catch(() => {});
      else if (p.state === 'online' && now - p.lastActiveTs > this.timings.idleAfterMs) await this.store(userId, 'unavailable', p.statusMsg, p.lastActiveTs, false).catch(() => {});
    }
  }
}
