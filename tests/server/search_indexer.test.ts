// The search index is written behind the events (server/search/indexer.ts). Here the delay before
// an index write is made very long, so that every index write seen is one a search, a stop or a
// start-up caused: a search still finds what was sent just before it, text that a kill -9 left
// unindexed is indexed at the next start (redacted and encrypted-room text excepted), and one
// index write holds many events.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';
import { tempDataDir } from '../helpers/server.ts';
import { readJournal } from '../../server/storage/journal.ts';
import { diskFiles } from '../../server/storage/files.ts';
import { listStorageFiles } from '../../server/storage/layout.ts';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, TestUser } from '../helpers/rooms.ts';

const LONG_DELAY = { MEOWTRIX_SEARCH_INDEX_DELAY_MS: '600000' };
const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.dispose();
});
async function server(options: Parameters<typeof startServer>[0] = {}): Promise<ServerProcess> {
  const s = await startServer({ ...options, env: { ...LONG_DELAY, ...options.env } });
  servers.push(s);
  return s;
}

async function search(u: TestUser, term: string): Promise<string[]> {
  const body = await u.ok('POST', '/search', { search_categories: { room_events: { search_term: term, order_by: 'recent', filter: { limit: 100 } } } });
  return body.search_categories.room_events.results.map((r: any) => r.result.event_id);
}

/** Per journal record of the data dir: how many search index rows it inserted. */
function indexInsertsPerRecord(dataDir: string): number[] {
  return listStorageFiles(diskFiles, dataDir).journals.flatMap((j) =>
    readJournal(diskFiles, j.path).records.map((r) => r.statements.filter((s) => /^INSERT (OR REPLACE )?INTO search_fts/.test(s.sql)).length).filter((n) => n > 0),
  );
}

describe('the search index written behind the events', () => {
  it('a search finds messages sent just before it, and their index rows are written together', async () => {
    const s = await server();
    const [ana, ben] = await newUsers(s, ['ana', 'ben']);
    const room = await ana.createRoom({ preset: 'public_chat', name: 'Bird watch' });
    await ben.join(room);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await (i % 2 ? ben : ana).text(room, `heron sighting ${i}`));
    expect(await search(ben, 'heron')).toEqual([...sent].reverse());
    expect(await search(ana, 'watch')).toHaveLength(1); // the room name, stored at creation
    const more = await ana.text(room, 'one more heron');
    expect(await search(ana, 'heron')).toEqual([more, ...[...sent].reverse()]);
    // The room name and 20 messages in the first index write, the last message in the second.
    expect(indexInsertsPerRecord(s.dataDir)).toEqual([21, 1]);
  });

  it('after kill -9, text stored but not yet indexed is indexed at start, except redacted or encrypted-room text', async () => {
    let s = await server();
    const [ana] = await newUsers(s, ['ana']);
    const room = await ana.createRoom({ preset: 'private_chat' });
    const secret = await ana.createRoom({ preset: 'private_chat', initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
    const before = await ana.text(room, 'egret before the search');
    expect(await search(ana, 'egret')).toEqual([before]);
    const kept = [await ana.text(room, 'egret one'), await ana.text(room, 'egret two')];
    const gone = await ana.text(room, 'egret to forget');
    await ana.ok('PUT', `/rooms/${enc(room)}/redact/${enc(gone)}/r1`, {});
    await ana.text(secret, 'egret in plaintext where it should not be');
    await s.stop('SIGKILL');
    expect(indexInsertsPerRecord(s.dataDir)).toEqual([1]); // only what the search needed

    s = await server({ dataDir: s.dataDir });
    const again = new TestUser(s, ana.session);
    expect(await search(again, 'egret')).toEqual([...kept].reverse().concat(before));
    expect(await search(again, 'forget')).toEqual([]);
    expect(await search(again, 'plaintext')).toEqual([]);
    // A redaction of indexed text removes it at once.
    await again.ok('PUT', `/rooms/${enc(room)}/redact/${enc(kept[0]!)}/r2`, {});
    expect(await search(again, 'egret')).toEqual([kept[1], before]);
  });

  it('when the index write fails (full disk), searches still answer, and the text is indexed once it can be', async () => {
    const faultDir = tempDataDir('meowtrix-fault-');
    const control = path.join(faultDir, 'disk');
    try {
      const s = await server({ env: { [FAULT_FILE_ENV]: control } });
      const [ana] = await newUsers(s, ['ana']);
      const room = await ana.createRoom({ preset: 'private_chat' });
      const first = await ana.text(room, 'plover one');
      fs.writeFileSync(control, 'ENOSPC');
      // The message is refused; the index write a search starts fails, and the search answers anyway.
      expect((await ana.call('PUT', `/rooms/${enc(room)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'plover lost' })).status).toBe(500);
      expect(await search(ana, 'plover')).toEqual([]);
      fs.rmSync(control);
      const second = await ana.text(room, 'plover two');
      expect(await search(ana, 'plover')).toEqual([second, first]);
    } finally {
      fs.rmSync(faultDir, { recursive: true, force: true });
    }
  });
});
