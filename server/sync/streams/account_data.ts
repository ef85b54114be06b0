// The account_data stream: global entries → res.account_data, room entries (incl. m.tag,
// m.fully_read) → rooms.join[r].account_data for joined rooms. Push rules appear here too.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import { emptyJoinedRoom } from '../types.ts';
import { compileFilter } from '../filter.ts';
import type { JsonObject } from '../../http/body.ts';
import type { UserData } from '../../userdata/index.ts';
import type { SqlReader } from '../../storage/types.ts';
import { accountDataChanges, listAccountData, listRoomAccountData, type AccountDataRow } from '../../storage/repos/account_data.ts';

export class AccountDataStream implements StreamProvider {
  readonly stream = 'account_data' as const;
  private readonly userData: UserData;

  constructor(userData: UserData) {
    this.userData = userData;
  }

  latest(): number {
    return this.userData.accountData.latest();
  }

  completeSync(req: SyncRequest, res: SyncResponse, to: number): void {
    const rows = this.read((db) => listAccountData(db, req.userId, to));
    // Types served from server defaults until first changed (m.push_rules) belong in every initial sync.
    const globalTypes = new Set(rows.filter((r) => r.room_id === '').map((r) => r.type));
    for (const type of this.userData.accountData.fallbackTypes()) {
      if (globalTypes.has(type)) continue;
      const content = this.userData.accountData.fallbackFor(type, req.userId)!;
      rows.unshift({ room_id: '', type, content: JSON.stringify(content), stream_pos: 0 });
    }
    this.emit(req, res, rows);
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    const newly = req.newlyJoinedRoomIds;
    const rows = from < to ? this.read((db) => accountDataChanges(db, req.userId, from, to)).filter((r) => !newly.includes(r.room_id)) : [];
    for (const roomId of newly) rows.push(...this.read((db) => listRoomAccountData(db, req.userId, roomId, to)));
    if (rows.length) this.emit(req, res, rows);
  }

  private read<T>(fn: (db: SqlReader) => T): T {
    return this.userData.storage.read(fn);
  }

  private emit(req: SyncRequest, res: SyncResponse, rows: AccountDataRow[]): void {
    const filter = compileFilter(req.filter);
    const joined = new Set(req.joinedRoomIds);
    for (const row of rows) {
      const event = { type: row.type, content: JSON.parse(row.content) as JsonObject };
      if (row.room_id === '') {
        if (filter.accountData.matches(event)) res.account_data.events.push(event);
        continue;
      }
      if (!joined.has(row.room_id) || !filter.includesRoom(row.room_id)) continue;
      if (!filter.roomAccountData.matches({ ...event, room_id: row.room_id })) continue;
      (res.rooms.join[row.room_id] ??= emptyJoinedRoom()).account_data.events.push(event);
    }
  }
}
