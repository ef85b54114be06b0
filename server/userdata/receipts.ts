// Read receipts (m.read, m.read.private, threaded) and read markers. A receipt also moves the
// user's read position, which clears unread notifications up to its event.
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import type { ChangeNotice } from '../sync/notifier.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isValidEventId } from '../ids.ts';
import { advanceReadPosition, getReceiptEventId, latestReceiptPos, putReceipt, type ReceiptRow } from '../storage/repos/receipts.ts';
import { pruneReadNotifications } from '../storage/repos/push_rules.ts';
import type { RoomsView } from './rooms_view.ts';
import type { AccountDataService } from './account_data.ts';

/** How long read notifications stay listed in GET /notifications. */
const KEEP_READ_NOTIFICATIONS_MS = 30 * 24 * 3600_000;

export const RECEIPT_TYPES = ['m.read', 'm.read.private'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export function isReceiptType(t: string): t is ReceiptType {
  return (RECEIPT_TYPES as readonly string[]).includes(t);
}

export class ReceiptService {
  private latestPos: number;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly rooms: RoomsView;
  private readonly accountData: AccountDataService;
  private readonly notify: (change: ChangeNotice) => void;

  constructor(deps: { storage: Storage; clock: Clock; rooms: RoomsView; accountData: AccountDataService; notify: (change: ChangeNotice) => void }) {
    this.storage = deps.storage;
    this.clock = deps.clock;
    this.rooms = deps.rooms;
    this.accountData = deps.accountData;
    this.notify = deps.notify;
    this.latestPos = deps.storage.read(latestReceiptPos);
  }

  latest(): number {
    return this.latestPos;
  }

  /** Members only; the event must be one of the room's. Returns the event's stream position. */
  checkTarget(userId: string, roomId: string, eventId: string): number {
    if (!this.rooms.isJoined(roomId, userId)) throw errors.forbidden('You are not joined to this room');
    if (!isValidEventId(eventId)) throw errors.invalidParam('Malformed event ID');
    const pos = this.rooms.eventPosition(roomId, eventId);
    if (pos === null) throw errors.notFound('No such event in this room');
    return pos;
  }

  /**
   * Sets the user's receipt. A receipt older than the one it replaces is accepted but changes
   * nothing (receipts never move backwards). threadId undefined = unthreaded.
   */
  async setReceipt(userId: string, roomId: string, type: ReceiptType, eventId: string, threadId: string | undefined): Promise<void> {
    if (threadId !== undefined && (threadId === '' || (threadId !== 'main' && !isValidEventId(threadId)))) {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id must be "main" or an event ID');
    }
    const pos = this.checkTarget(userId, roomId, eventId);
    const thread = threadId ?? '';
    // Whether the event really is in that thread is not checked: clients disagree at the edges
    // (matrix-js-sdk counts a redacted threaded event as main), and a refused receipt would
    // leave their unread counts stuck. A mismatched receipt only affects that thread's count.
    const previous = this.storage.read((db) => getReceiptEventId(db, roomId, userId, type, thread));
    const ts = this.clock.now();
    const moves = previous !== eventId && (previous === undefined || (this.rooms.eventPosition(roomId, previous) ?? 0) < pos);
    const written = await this.storage.write((db) => {
      advanceReadPosition(db, userId, roomId, thread, pos);
      // GET /notifications shows read ones too, for a while; older read ones are dropped here.
      if (thread === '') pruneReadNotifications(db, userId, roomId, pos, ts - KEEP_READ_NOTIFICATIONS_MS);
      return moves ? putReceipt(db, { room_id: roomId, user_id: userId, receipt_type: type, thread_id: thread, event_id: eventId, ts }) : 0;
    });
    if (written > this.latestPos) this.latestPos = written;
    if (written) this.notify(type === 'm.read.private' ? { userIds: [userId] } : { roomId, userIds: [userId] });
  }

  /** m.fully_read: the read marker, kept as room account data. */
  async setFullyRead(userId: string, roomId: string, eventId: string): Promise<void> {
    this.checkTarget(userId, roomId, eventId);
    await this.accountData.put(userId, roomId, 'm.fully_read', { event_id: eventId });
  }
}

/** Builds the m.receipt ephemeral event of one room; private receipts only for their owner. */
export function receiptEvent(rows: readonly ReceiptRow[], viewer: string): { type: string; content: Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>> } | null {
  const content: Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>> = {};
  let any = false;
  for (const r of rows) {
    if (r.receipt_type === 'm.read.private' && r.user_id !== viewer) continue;
    const byType = (content[r.event_id] ??= {});
    const byUser = (byType[r.receipt_type] ??= {});
    byUser[r.user_id] = r.thread_id ? { ts: r.ts, thread_id: r.thread_id } : { ts: r.ts };
    any = true;
  }
  return any ? { type: 'm.receipt', content } : null;
}
