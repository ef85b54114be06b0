// The host's live status (GET /_meowtrix/admin/v1/status and its WebSocket): uptime, devices seen
// in the last 5 minutes, messages today, accounts, database and media size, last snapshot.
// Changes mark the status dirty (committed events, used devices, finished requests, database files
// changing on disk); subscribers get at most one update per second, and only when the status differs.
// Nothing runs (no timer, no file watch) while nobody is subscribed.
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import { countUsers } from '../storage/repos/users.ts';
import { countMessagesSince, uploadedMediaBytes } from '../storage/repos/status.ts';
import { MessagesToday, localDayStart } from './messages_today.ts';
import { databaseFiles, watchDatabaseFiles } from './disk.ts';
import type { PersistedEvent } from '../rooms/types.ts';

export const CONNECTED_WINDOW_MS = 5 * 60_000;
export const MIN_UPDATE_INTERVAL_MS = 1_000;
/** Changes arriving together (a send's commit, then its response) go out as one update. */
const COALESCE_MS = 50;

export interface ConnectedDevice {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ts: number;
  last_seen_ip: string;
}

export interface HostStatus {
  server_name: string;
  started_at: number;
  uptime_ms: number;
  /** Devices that made an authenticated request in the last 5 minutes, most recent first. */
  connected_devices: ConnectedDevice[];
  messages_today: number;
  /** The host's local midnight that "today" starts at. */
  day_start_ts: number;
  accounts: number;
  database_bytes: number;
  media_bytes: number;
  last_snapshot_ts: number | null;
}

export interface StatusFeedDeps {
  serverName: string;
  dataDir: string;
  storage: Storage;
  clock: Clock;
  /** Devices used since `sinceTs` (the accounts service's in-memory last-seen table). */
  recentlySeen(sinceTs: number): { userId: string; deviceId: string; ip: string; ts: number }[];
  deviceName(userId: string, deviceId: string): string | null;
}

export type StatusListener = (status: HostStatus) => void;

export class StatusFeed {
  private readonly d: StatusFeedDeps;
  private readonly startedAt: number;
  private readonly messages: MessagesToday;
  private readonly listeners = new Set<StatusListener>();
  private timer: NodeJS.Timeout | null = null;
  /** 'update': an update is due soon; 'expiry': waiting for a device to leave the 5-minute window. */
  private timerKind: 'update' | 'expiry' = 'update';
  private lastSentAt = 0;
  private lastSent = '';
  private building = false;
  private dirtyWhileBuilding = false;
  private closed = false;
  /** Stops watching the data dir; set only while someone is subscribed. */
  private unwatchFiles: (() => void) | null = null;

  constructor(deps: StatusFeedDeps) {
    this.d = deps;
    this.startedAt = deps.clock.now();
    this.messages = new MessagesToday(
      () => deps.clock.now(),
      (dayStart) => deps.storage.read((db) => countMessagesSince(db, dayStart)),
    );
  }

  /** Rooms' commit listener: counts messages. */
  onEventsCommitted(events: readonly PersistedEvent[]): void {
    this.messages.onCommitted(events);
    this.changed();
  }

  /** Something the status shows may have changed (a device was used, a request wrote something). */
  changed(): void {
    if (this.listeners.size === 0 || this.closed) return;
    if (this.building) {
      this.dirtyWhileBuilding = true;
      return;
    }
    if (this.timer && this.timerKind === 'update') return;
    const wait = Math.max(COALESCE_MS, this.lastSentAt + MIN_UPDATE_INTERVAL_MS - this.d.clock.now());
    this.arm(wait, 'update');
  }

  /** Subscribes; the listener gets the current status at once, then changes. Returns the unsubscribe. */
  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    this.unwatchFiles ??= watchDatabaseFiles(this.d.dataDir, () => this.changed());
    void this.current().then((status) => {
      if (this.listeners.has(listener)) listener(status);
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.idle();
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Whether a timer is pending (tests and leak checks). */
  get timerPending(): boolean {
    return this.timer !== null;
  }

  async current(): Promise<HostStatus> {
    const now = this.d.clock.now();
    const { count, dayStart } = this.messages.get();
    const seen = this.d.recentlySeen(now - CONNECTED_WINDOW_MS).sort((a, b) => b.ts - a.ts);
    const { accounts, mediaBytes } = this.d.storage.read((db) => ({ accounts: countUsers(db), mediaBytes: uploadedMediaBytes(db) }));
    const db = await databaseFiles(this.d.dataDir);
    return {
      server_name: this.d.serverName,
      started_at: this.startedAt,
      uptime_ms: now - this.startedAt,
      connected_devices: seen.map((s) => ({ user_id: s.userId, device_id: s.deviceId, display_name: this.d.deviceName(s.userId, s.deviceId), last_seen_ts: s.ts, last_seen_ip: s.ip })),
      messages_today: count,
      day_start_ts: dayStart,
      accounts,
      database_bytes: db.bytes,
      media_bytes: mediaBytes,
      last_snapshot_ts: db.lastSnapshotTs,
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.idle();
  }

  /** Nobody listens: no timer, no file watch. */
  private idle(): void {
    this.disarm();
    this.unwatchFiles?.();
    this.unwatchFiles = null;
  }

  private arm(ms: number, kind: 'update' | 'expiry'): void {
    this.disarm();
    this.timerKind = kind;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    if (this.listeners.size === 0 || this.closed) return;
    this.building = true;
    let status: HostStatus;
    try {
      status = await this.current();
    } finally {
      this.building = false;
    }
    if (this.listeners.size === 0 || this.closed) return;
    // Uptime alone is not news: clients count it from started_at.
    const fingerprint = JSON.stringify({ ...status, uptime_ms: 0 });
    if (fingerprint !== this.lastSent) {
      this.lastSent = fingerprint;
      this.lastSentAt = this.d.clock.now();
      for (const listener of [...this.listeners]) listener(status);
    }
    if (this.dirtyWhileBuilding) {
      this.dirtyWhileBuilding = false;
      this.changed();
      return;
    }
    // Wake up when the status changes by itself: a device drops out of "connected" 5 minutes after
    // its last request, and "messages today" starts again at the host's midnight.
    const oldest = status.connected_devices.at(-1);
    const nextMidnight = localDayStart(status.day_start_ts + 36 * 3_600_000); // DST days are 23–25 h
    const wakeAt = Math.min(oldest ? oldest.last_seen_ts + CONNECTED_WINDOW_MS + 10 : Infinity, nextMidnight + 10);
    // setTimeout holds at most ~24.8 days; the midnight is never further than a day.
    this.arm(Math.max(COALESCE_MS, wakeAt - this.d.clock.now()), 'expiry');
  }
}
