// POST /search through real HTTP: English words and Chinese phrases, highlights, ranking and
// recency order, context, grouping, pagination, encrypted rooms, redactions, rooms the searcher
// is not in, and ignored users; responses checked against the spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let mei: TestUser;
let tom: TestUser;
let outsider: TestUser;
let family: string;
let secret: string;
let other: string;

const search = async (u: TestUser, roomEvents: Record<string, unknown>, nextBatch?: string) => {
  const res = await u.call('POST', `/search${nextBatch ? `?next_batch=${enc(nextBatch)}` : ''}`, { search_categories: { room_events: roomEvents } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expectMatchesSpec('search.yaml', '/search', 'post', 200, res.body);
  return res.body.search_categories.room_events;
};
const ids = (r: any) => r.results.map((x: any) => x.result.event_id);

beforeAll(async () => {
  server = await startServer();
  [mei, tom, outsider] = await newUsers(server, ['mei', 'tom', 'outsider']);
  family = await mei.createRoom({ preset: 'private_chat', name: 'Family plans', invite: [tom.userId] });
  await tom.join(family);
  secret = await mei.createRoom({ preset: 'private_chat', initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
  other = await outsider.createRoom({ preset: 'private_chat' });
});
afterAll(async () => {
  await server?.dispose();
});

describe('POST /search', () => {
  it('finds an English word, case-insensitively, with highlights of the words matched', async () => {
    const hit = await tom.text(family, 'The quick brown Fox jumps over the lazy dog');
    await tom.text(family, 'Nothing to see here');
    const r = await search(mei, { search_term: 'fox' });
    expect(ids(r)).toEqual([hit]);
    expect(r.count).toBe(1);
    expect(r.highlights).toContain('fox');
    expect(r.highlights).toContain('Fox');
    expect(r.results[0].result.content.body).toContain('Fox');
    expect(r.results[0].rank).toBeGreaterThan(0);
    // A prefix matches the whole word, and the highlight is that word.
    const prefix = await search(mei, { search_term: 'jum' });
    expect(ids(prefix)).toEqual([hit]);
    expect(prefix.highlights).toContain('jumps');
  });

  it('finds a Chinese phrase inside a sentence without spaces, but not the characters out of order', async () => {
    const hit = await mei.text(family, '我们明天去北京吃烤鸭，好吗？');
    await mei.text(family, '京北是另一个词');
    expect(ids(await search(tom, { search_term: '北京吃' }))).toEqual([hit]);
    expect(ids(await search(tom, { search_term: '烤鸭' }))).toEqual([hit]);
    expect(ids(await search(tom, { search_term: '鸭' }))).toEqual([hit]);
    const both = await search(tom, { search_term: '北京', order_by: 'recent' });
    expect(ids(both)).toEqual([hit]);
    expect(both.highlights).toContain('北京');
    expect((await search(tom, { search_term: '吃北京' })).results).toEqual([]);
  });

  it('matches accents and full-width letters loosely', async () => {
    const hit = await tom.text(family, 'Rendez-vous au café à midi');
    expect(ids(await search(mei, { search_term: 'CAFE' }))).toEqual([hit]);
    expect(ids(await search(mei, { search_term: 'ｃａｆé' }))).toEqual([hit]);
  });

  it('does not search encrypted rooms, even for a plaintext event sent there', async () => {
    await mei.send(secret, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgAEpAB', sender_key: 'k', session_id: 's', device_id: 'D' }, 'm.room.encrypted');
    await mei.text(secret, 'plaintext zebra in an encrypted room');
    expect((await search(mei, { search_term: 'zebra' })).results).toEqual([]);
  });

  it('only searches rooms the searcher is in', async () => {
    await outsider.text(other, 'giraffe outside');
    expect((await search(mei, { search_term: 'giraffe' })).count).toBe(0);
    expect((await search(outsider, { search_term: 'giraffe' })).count).toBe(1);
    expect((await search(outsider, { search_term: 'fox' })).count).toBe(0);
  });

  it('drops a redacted event from the index', async () => {
    const gone = await tom.text(family, 'walrus to be deleted');
    expect(ids(await search(mei, { search_term: 'walrus' }))).toEqual([gone]);
    await tom.ok('PUT', `/rooms/${enc(family)}/redact/${enc(gone)}/r1`, {});
    expect((await search(mei, { search_term: 'walrus' })).results).toEqual([]);
  });

  it('searches room names and topics by key, and filters by room', async () => {
    const byName = await search(mei, { search_term: 'plans', keys: ['content.name'] });
    expect(byName.results.map((r: any) => r.result.type)).toEqual(['m.room.name']);
    expect((await search(mei, { search_term: 'plans', keys: ['content.body'] })).results).toEqual([]);
    expect((await search(mei, { search_term: 'fox', filter: { rooms: [secret] } })).results).toEqual([]);
  });

  it('ranks by occurrences, orders by recency on request, pages with next_batch', async () => {
    const once = await tom.text(family, 'otter');
    const thrice = await tom.text(family, 'otter otter otter');
    const last = await tom.text(family, 'an otter again, in a much longer sentence about rivers and fish and rocks');
    expect(ids(await search(mei, { search_term: 'otter' }))[0]).toBe(thrice);
    expect(ids(await search(mei, { search_term: 'otter', order_by: 'recent' }))).toEqual([last, thrice, once]);
    const first = await search(mei, { search_term: 'otter', order_by: 'recent', filter: { limit: 2 } });
    expect(ids(first)).toEqual([last, thrice]);
    expect(first.count).toBe(3);
    expect(first.next_batch).toBeTruthy();
    // A new match arriving between pages does not shift the next page.
    const newest = await tom.text(family, 'otter news');
    const second = await search(mei, { search_term: 'otter', order_by: 'recent', filter: { limit: 2 } }, first.next_batch);
    expect(ids(second)).toEqual([once]);
    expect(second.next_batch).toBeUndefined();
    const ranked = await search(mei, { search_term: 'otter', filter: { limit: 2 } });
    const rest = await search(mei, { search_term: 'otter', filter: { limit: 2 } }, ranked.next_batch);
    expect([...ids(ranked), ...ids(rest)].sort()).toEqual([once, thrice, last, newest].sort());
  });

  it('returns event context with profiles, room state and groups by room', async () => {
    const before = await mei.text(family, 'before the badger');
    const hit = await tom.text(family, 'badger sighting');
    const after = await mei.text(family, 'after the badger sighting, tea');
    const r = await search(mei, {
      search_term: 'sighting',
      order_by: 'recent',
      event_context: { before_limit: 1, after_limit: 1, include_profile: true },
      include_state: true,
      groupings: { group_by: [{ key: 'room_id' }] },
    });
    const result = r.results.find((x: any) => x.result.event_id === hit);
    expect(result.context.events_before.map((e: any) => e.event_id)).toEqual([before]);
    expect(result.context.events_after.map((e: any) => e.event_id)).toEqual([after]);
    expect(Object.keys(result.context.profile_info)).toEqual(expect.arrayContaining([tom.userId, mei.userId]));
    expect(r.state[family].some((e: any) => e.type === 'm.room.create')).toBe(true);
    expect(r.groups.room_id[family].results).toEqual([after, hit]);
  });

  it('hides messages from ignored users', async () => {
    await tom.text(family, 'pelican from tom');
    expect((await search(mei, { search_term: 'pelican' })).count).toBe(1);
    await mei.ok('PUT', `/user/${enc(mei.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [tom.userId]: {} } });
    expect((await search(mei, { search_term: 'pelican' })).count).toBe(0);
    await mei.ok('PUT', `/user/${enc(mei.userId)}/account_data/m.ignored_user_list`, { ignored_users: {} });
  });

  it('rejects bad requests with Matrix errors', async () => {
    const bad = async (body: unknown, errcode: string, q = '') => {
      const res = await mei.call('POST', `/search${q}`, body);
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe(errcode);
    };
    await bad({}, 'M_BAD_JSON');
    await bad({ search_categories: { room_events: {} } }, 'M_BAD_JSON');
    await bad({ search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } }, 'M_BAD_JSON');
    await bad({ search_categories: { room_events: { search_term: 'x', order_by: 'size' } } }, 'M_BAD_JSON');
    await bad({ search_categories: { room_events: { search_term: 'x' } } }, 'M_INVALID_PARAM', '?next_batch=zzz');
    // Punctuation-only and FTS syntax are just text.
    expect((await search(mei, { search_term: '"*) OR NOT (' })).results).toEqual([]);
    // Very long input is cut to a search box's worth of words, not an error or a slow query.
    expect((await search(mei, { search_term: 'fox '.repeat(20_000) })).count).toBe(1);
    expect((await search(mei, { search_term: '北京'.repeat(5_000) })).count).toBe(0);
  });
});

describe('the search index on disk', () => {
  it('survives snapshots, kill -9 and restart, redactions included', async () => {
    let srv = await startServer({ env: { MEOWTRIX_SNAPSHOT_AFTER_RECORDS: '5' } });
    try {
      const [ana] = await newUsers(srv, ['ana']);
      const room = await ana.createRoom({ preset: 'private_chat' });
      const kept: string[] = [];
      for (let i = 0; i < 12; i++) kept.push(await ana.text(room, `heron number ${i} 白鹭`));
      const gone = await ana.text(room, 'heron to forget');
      await ana.ok('PUT', `/rooms/${enc(room)}/redact/${enc(gone)}/r1`, {});
      const dataDir = srv.dataDir;
      await srv.stop('SIGKILL');
      srv = await startServer({ dataDir });
      const again = new TestUser(srv, ana.session);
      const r = await search(again, { search_term: 'heron', order_by: 'recent', filter: { limit: 50 } });
      expect(ids(r)).toEqual([...kept].reverse());
      expect((await search(again, { search_term: '白鹭' })).count).toBe(12);
    } finally {
      await srv.dispose();
    }
  });
});
