// Per-user data services, built once at start and added to the ServerContext as `userData`.
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import type { ChangeNotice } from '../sync/notifier.ts';
import type { StreamProvider } from '../sync/types.ts';
import type { PersistedEvent } from '../rooms/types.ts';
import { AccountDataService } from './account_data.ts';
import { ReceiptService } from './receipts.ts';
import { TypingService } from './typing.ts';
import { PresenceService, type PresenceTimings } from './presence.ts';
import { roomsViewOf, type RoomsView } from './rooms_view.ts';
import { PushRuleService } from '../push/service.ts';
import { NotificationService } from '../push/notifications.ts';
import { AccountDataStream } from '../sync/streams/account_data.ts';
import { ReceiptsStream } from '../sync/streams/receipts.ts';
import { TypingStream } from '../sync/streams/typing.ts';
import { PresenceStream } from '../sync/streams/presence.ts';

export interface UserData {
  storage: Storage;
  rooms: RoomsView;
  accountData: AccountDataService;
  pushRules: PushRuleService;
  notifications: NotificationService;
  receipts: ReceiptService;
  typing: TypingService;
  presence: PresenceService;
  /** The rooms module's commit listener: leaving a room ends typing there; sending is activity. */
  onEventsCommitted(events: readonly PersistedEvent[]): void;
  /** The account_data, receipts, typing and presence stream providers. */
  streams(): StreamProvider[];
  close(): void;
}

export function createUserData(deps: { storage: Storage; clock: Clock; notify: (change: ChangeNotice) => void }): UserData {
  const { storage, clock, notify } = deps;
  const rooms = roomsViewOf(storage);
  const accountData = new AccountDataService(storage, notify);
  const pushRules = new PushRuleService(accountData);
  const notifications = new NotificationService(pushRules, storage);
  const receipts = new ReceiptService({ storage, clock, rooms, accountData, notify });
  const typing = new TypingService(notify);
  const presence = new PresenceService({ storage, clock, rooms, notify, timings: presenceTimingsFromEnv() });
  const userData: UserData = {
    storage,
    rooms,
    accountData,
    pushRules,
    notifications,
    receipts,
    typing,
    presence,
    // Receipts last: it also sets unread counts on every joined room the others added.
    streams: () => [new AccountDataStream(userData), new TypingStream(userData), new PresenceStream(userData), new ReceiptsStream(userData)],
    onEventsCommitted(events) {
      for (const e of events) {
        presence.active(e.sender);
        if (e.type === 'm.room.member' && e.stateKey !== undefined && e.content.membership !== 'join') typing.set(e.roomId, e.stateKey, false);
      }
    },
    close() {
      typing.close();
      presence.close();
    },
  };
  return userData;
}

/** Presence timeouts may be shortened through the environment (tests); defaults otherwise. */
function presenceTimingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<PresenceTimings> {
  const ms = (name: string) => {
    const value = Number(env[name]);
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  };
  const timings: Partial<PresenceTimings> = {};
  const offline = ms('MEOWTRIX_PRESENCE_OFFLINE_MS');
  const idle = ms('MEOWTRIX_PRESENCE_IDLE_MS');
  if (offline) timings.offlineAfterMs = offline;
  if (idle) timings.idleAfterMs = idle;
  if (offline || idle) timings.sweepMs = Math.max(50, Math.min(offline ?? Infinity, idle ?? Infinity) / 4);
  return timings;
}
