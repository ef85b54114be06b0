// The receipts stream → rooms.join[r].ephemeral m.receipt events. Private receipts reach only
// their owner. Incremental syncs read only receipts changed since the token.
// Receipts move unread counts, so this provider also sets unread_notifications on every joined
// room in the response; it is registered after every other provider that adds joined rooms.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import { emptyJoinedRoom } from '../types.ts';
import { compileFilter } from '../filter.ts';
import type { UserData } from '../../userdata/index.ts';
import { receiptEvent } from '../../userdata/receipts.ts';
import { receiptChanges, roomReceipts, type ReceiptRow } from '../../storage/repos/receipts.ts';

export class ReceiptsStream implements StreamProvider {
  readonly stream = 'receipts' as const;
  private readonly userData: UserData;

  constructor(userData: UserData) {
    this.userData = userData;
  }

  latest(): number {
    return this.userData.receipts.latest();
  }

  completeSync(req: SyncRequest, res: SyncResponse, to: number): void {
    for (const roomId of req.joinedRoomIds) this.emit(req, res, roomId, this.userData.storage.read((db) => roomReceipts(db, roomId, to)));
    this.fillUnreadCounts(req, res);
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    const byRoom = new Map<string, ReceiptRow[]>();
    const changes = from < to ? this.userData.storage.read((db) => receiptChanges(db, from, to)) : [];
    if (changes.length) {
      const joined = new Set(req.joinedRoomIds);
      const newly = new Set(req.newlyJoinedRoomIds);
      for (const row of changes) {
        if (!joined.has(row.room_id) || newly.has(row.room_id)) continue;
        let list = byRoom.get(row.room_id);
        if (!list) byRoom.set(row.room_id, (list = []));
        list.push(row);
      }
    }
    for (const roomId of req.newlyJoinedRoomIds) byRoom.set(roomId, this.userData.storage.read((db) => roomReceipts(db, roomId, to)));
    for (const [roomId, rows] of byRoom) this.emit(req, res, roomId, rows);
    this.fillUnreadCounts(req, res);
  }

  private fillUnreadCounts(req: SyncRequest, res: SyncResponse): void {
    this.userData.storage.read((db) => this.userData.notifications.fillUnreadCounts(db, req, res));
  }

  private emit(req: SyncRequest, res: SyncResponse, roomId: string, rows: ReceiptRow[]): void {
    const filter = compileFilter(req.filter);
    if (!filter.includesRoom(roomId) || !filter.ephemeral.matches({ type: 'm.receipt', room_id: roomId })) return;
    const event = receiptEvent(rows, req.userId);
    if (!event) return;
    (res.rooms.join[roomId] ??= emptyJoinedRoom()).ephemeral.events.push(event);
  }
}
