// Server-side search figures: indexing cost per message (inside the send's transaction), and
// POST /search latency over a household's history (English word, Chinese phrase, a word in
// many messages that needs ranking), measured on the search service against real storage.
//   node bench/search.ts [--quick]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage } from '../server/storage/database.ts';
import { MIGRATIONS } from '../server/storage/migrations/index.ts';
import { createLogger } from '../server/log.ts';
import { insertEvent } from '../server/storage/repos/events.ts';
import { insertRoom, setMembership } from '../server/storage/repos/rooms.ts';
import { indexOnPersist, parseCriteria, searchRoomEvents } from '../server/search/service.ts';
import type { PersistedEvent, RoomStateView } from '../server/rooms/types.ts';
import type { SqlWriter } from '../server/storage/types.ts';

const quick = process.argv.includes('--quick');
const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);

const ME = '@me:bench.local';
const ROOMS = 10;
const WORDS = 'the a and dinner school garden homework movie tonight tomorrow shopping list milk bread soccer practice dentist holiday photos grandma birthday cake'.split(' ');
const CHINESE = ['我们今天晚上吃饺子', '明天早上去学校', '奶奶的生日蛋糕', '周末去公园散步', '记得买牛奶和面包'];
const plainState = { content: () => undefined } as unknown as RoomStateView;

function row(pos: number, roomId: string, type: string, content: Record<string, unknown>, stateKey: string | null) {
  return {
    stream_pos: pos, event_id: `$e${pos}`, room_id: roomId, type, state_key: stateKey, sender: ME, origin_server_ts: pos,
    json: JSON.stringify({ type, room_id: roomId, sender: ME, content, ...(stateKey === null ? {} : { state_key: stateKey }) }),
    unsigned_json: null, membership: type === 'm.room.member' ? 'join' : null, redacted_by: null, relates_to: null, rel_type: null, txn_device: null, txn_id: null,
  };
}

function message(i: number): string {
  if (i % 7 === 0) return `${CHINESE[i % CHINESE.length]}，第${i}条`;
  const words = Array.from({ length: 6 + (i % 10) }, (_, k) => WORDS[(i * 31 + k * 17) % WORDS.length]);
  if (i % 997 === 0) words.push('xylophone');
  return words.join(' ');
}

async function run(messages: number): Promise<{ indexUs: number; english: number; chinese: number; common: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-search-'));
  const storage = await openStorage({ dir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    let pos = 0;
    await storage.write((db) => {
      for (let r = 0; r < ROOMS; r++) {
        const roomId = `!room${r}:bench.local`;
        insertRoom(db, { roomId, version: '10', creator: ME, ts: 0, isPublic: false });
        insertEvent(db, row(++pos, roomId, 'm.room.member', { membership: 'join' }, ME));
        setMembership(db, roomId, ME, 'join', `$e${pos}`, pos);
      }
    });
    let indexMs = 0;
    const batch = 1000;
    for (let start = 0; start < messages; start += batch) {
      await storage.write((db: SqlWriter) => {
        for (let i = start; i < Math.min(messages, start + batch); i++) {
          const roomId = `!room${i % ROOMS}:bench.local`;
          const content = { msgtype: 'm.text', body: message(i) };
          insertEvent(db, row(++pos, roomId, 'm.room.message', content, null));
          const event: PersistedEvent = { streamPos: pos, eventId: `$e${pos}`, roomId, type: 'm.room.message', sender: ME, originServerTs: pos, content, pdu: {} };
          const t = performance.now();
          indexOnPersist(db, event, plainState);
          indexMs += performance.now() - t;
        }
      });
    }
    const time = (term: string, orderBy = 'rank') => {
      const criteria = parseCriteria({ search_categories: { room_events: { search_term: term, order_by: orderBy } } });
      const rounds = 20;
      const t = performance.now();
      for (let i = 0; i < rounds; i++) storage.read((db) => searchRoomEvents(db, ME, criteria, undefined, 0));
      return (performance.now() - t) / rounds;
    };
    return { indexUs: (indexMs * 1000) / messages, english: time('xylophone'), chinese: time('生日蛋糕'), common: time('dinner') };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const size = quick ? 20_000 : 100_000;
const runs = quick ? 1 : 3;
const samples = { indexUs: [] as number[], english: [] as number[], chinese: [] as number[], common: [] as number[] };
for (let r = 0; r < runs; r++) {
  const s = await run(size);
  for (const k of Object.keys(samples) as (keyof typeof samples)[]) samples[k].push(s[k]);
}
report('index one message (in its send transaction)', 'µs', samples.indexUs);
report(`search a rare English word, ${size} messages`, 'ms', samples.english);
report(`search a Chinese phrase, ${size} messages`, 'ms', samples.chinese);
report(`search a word in most messages (ranked, capped), ${size} messages`, 'ms', samples.common);
