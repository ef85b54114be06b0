// The room service keeps each room's chain head (newest event, depth) and the next stream
// position in memory across writes instead of reading them per event. A write that fails must
// leave no trace in them: here a full disk fails a message and a state event after they were
// built, and the events stored afterwards must still form one unbroken chain (read back from the
// data dir), and reach another member's /sync.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, timelineOf } from '../helpers/rooms.ts';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';
import { openStorage } from '../../server/storage/database.ts';
import { MIGRATIONS } from '../../server/storage/migrations/index.ts';
import { createLogger } from '../../server/log.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Stored {
  pos: number;
  id: string;
  type: string;
  depth: number;
  prev: string[];
  body?: string;
}

async function storedChain(dataDir: string, roomId: string): Promise<{ events: Stored[]; head: { last_pos: number; last_event_id: string; last_depth: number } }> {
  const storage = await openStorage({ dir: dataDir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    return storage.read((db) => ({
      events: db.all<{ stream_pos: number; event_id: string; type: string; json: string }>(`SELECT stream_pos, event_id, type, json FROM events WHERE room_id = ? ORDER BY stream_pos`, [roomId]).map((r) => {
        const pdu = JSON.parse(r.json);
        return { pos: r.stream_pos, id: r.event_id, type: r.type, depth: pdu.depth, prev: pdu.prev_events, body: pdu.content?.body };
      }),
      head: db.get<{ last_pos: number; last_event_id: string; last_depth: number }>(`SELECT last_pos, last_event_id, last_depth FROM rooms WHERE room_id = ?`, [roomId])!,
    }));
  } finally {
    await storage.close();
  }
}

describe('the write path after a failed write', () => {
  it('continues the room’s chain from the last stored event, with no gap or dangling prev_events', async () => {
    const faultDir = tempDataDir('meowtrix-fault-');
    cleanup.push(() => fs.rmSync(faultDir, { recursive: true, force: true }));
    const control = path.join(faultDir, 'disk');
    const s: ServerProcess = await startServer({ env: { [FAULT_FILE_ENV]: control } });
    cleanup.push(() => s.dispose());
    const [ana, ben] = await newUsers(s, ['ana', 'ben']);
    const room = await ana.createRoom({ preset: 'public_chat' });
    await ben.join(room);
    const since = (await ben.sync({ timeout: 0 })).next_batch;
    const first = await ana.text(room, 'first');

    fs.writeFileSync(control, 'ENOSPC');
    expect((await ana.call('PUT', `/rooms/${enc(room)}/send/m.room.message/lost1`, { msgtype: 'm.text', body: 'lost' })).status).toBe(500);
    expect((await ana.call('PUT', `/rooms/${enc(room)}/state/m.room.topic/`, { topic: 'lost topic' })).status).toBe(500);
    fs.rmSync(control);

    const second = await ana.text(room, 'second');
    await ana.ok('PUT', `/rooms/${enc(room)}/state/m.room.topic/`, { topic: 'kept topic' });
    const third = await ben.text(room, 'third');
    const bodies = timelineOf(await ben.sync({ since, timeout: 0 }), room).filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
    expect(bodies).toEqual(['first', 'second', 'third']);

    await s.stop();
    const { events, head } = await storedChain(s.dataDir, room);
    expect(events.some((e) => e.body === 'lost')).toBe(false);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.prev, `prev_events of event ${i}`).toEqual([events[i - 1]!.id]);
      expect(events[i]!.depth).toBe(events[i - 1]!.depth + 1);
      expect(events[i]!.pos).toBeGreaterThan(events[i - 1]!.pos);
    }
    expect(events.filter((e) => e.body !== undefined).map((e) => e.id)).toEqual([first, second, third]);
    expect(head).toEqual({ last_pos: events.at(-1)!.pos, last_event_id: third, last_depth: events.at(-1)!.depth });
  });
});

describe('a repeated transaction ID', () => {
  it('returns the original event, even when the copy differs or would no longer be allowed, and stores nothing', async () => {
    const s: ServerProcess = await startServer();
    cleanup.push(() => s.dispose());
    const [ana, ben] = await newUsers(s, ['ana', 'ben']);
    const room = await ana.createRoom({ preset: 'public_chat' });
    await ben.join(room);
    const path = `/rooms/${enc(room)}/send/m.room.message/retry-1`;
    const original = (await ben.ok('PUT', path, { msgtype: 'm.text', body: 'hello' })).event_id;
    expect((await ben.ok('PUT', path, { msgtype: 'm.text', body: 'a different body' })).event_id).toBe(original);
    await ben.ok('POST', `/rooms/${enc(room)}/leave`, {});
    // ben may no longer send here, but a retry of what he sent before is answered as before.
    expect((await ben.ok('PUT', path, { msgtype: 'm.text', body: 'hello' })).event_id).toBe(original);
    expect((await ben.call('PUT', `/rooms/${enc(room)}/send/m.room.message/retry-2`, { msgtype: 'm.text', body: 'new' })).status).toBe(403);
    const page = await ana.ok('GET', `/rooms/${enc(room)}/messages?dir=b&limit=50`);
    expect(page.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body)).toEqual(['hello']);
    // Positions taken by refused copies are given back: the next event follows the last stored one.
    const next = await ana.text(room, 'after the retries');
    await s.stop();
    const { events } = await storedChain(s.dataDir, room);
    expect(events.at(-1)!.id).toBe(next);
    expect(events.at(-1)!.pos).toBe(events.at(-2)!.pos + 1);
  });
});
