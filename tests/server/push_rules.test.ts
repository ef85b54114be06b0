// Push rules through the real server: the spec's defaults, the rules API, and the unread counts
// evaluation gives each member in /sync.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  bob = await newUser(server, 'bob');
}, 30_000);
afterAll(() => server?.dispose());

const DEFAULT_OVERRIDE = [
  '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention',
  '.m.rule.is_room_mention', '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
];
const DEFAULT_UNDERRIDE = ['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted'];

describe('default rules', () => {
  test('GET /pushrules/ has the spec defaults, every event_match with its pattern', async () => {
    const body = await alice.ok('GET', '/pushrules/');
    expectMatchesSpec('pushrules.yaml', '/pushrules/', 'get', 200, body);
    const g = body.global;
    expect(g.override.map((r: any) => r.rule_id)).toEqual(DEFAULT_OVERRIDE);
    expect(g.underride.map((r: any) => r.rule_id)).toEqual(DEFAULT_UNDERRIDE);
    expect(g.content).toEqual([]);
    expect(g.room).toEqual([]);
    expect(g.sender).toEqual([]);
    for (const rule of [...g.override, ...g.underride]) {
      expect(rule.default).toBe(true);
      for (const c of rule.conditions) if (c.kind === 'event_match') expect(typeof c.pattern, `${rule.rule_id} ${c.key}`).toBe('string');
    }
    const invite = g.override.find((r: any) => r.rule_id === '.m.rule.invite_for_me');
    expect(invite.conditions).toContainEqual({ kind: 'event_match', key: 'state_key', pattern: alice.userId });
    const mention = g.override.find((r: any) => r.rule_id === '.m.rule.is_user_mention');
    expect(mention.conditions).toEqual([{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: alice.userId }]);
    expect(g.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: false });

    const globalOnly = await alice.ok('GET', '/pushrules/global/');
    expectMatchesSpec('pushrules.yaml', '/pushrules/global/', 'get', 200, globalOnly);
    expect(globalOnly).toEqual(g);
  });

  test('the initial sync carries m.push_rules equal to GET /pushrules/ (CLIENT-COMPAT rule 5)', async () => {
    const fresh = await newUser(server, 'fresh');
    const sync = await fresh.sync();
    const event = sync.account_data.events.find((e: any) => e.type === 'm.push_rules');
    expect(event).toBeDefined();
    expect(event.content).toEqual(await fresh.ok('GET', '/pushrules/'));
    // Also readable as account data.
    expect(await fresh.ok('GET', `/user/${enc(fresh.userId)}/account_data/m.push_rules`)).toEqual(event.content);
  });
});

describe('editing rules', () => {
  test('PUT/GET/DELETE a content rule, with before/after ordering', async () => {
    const base = '/pushrules/global/content';
    await alice.ok('PUT', `${base}/cake`, { pattern: 'cake', actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] });
    await alice.ok('PUT', `${base}/tea?before=cake`, { pattern: 'tea', actions: ['notify'] });
    await alice.ok('PUT', `${base}/pie?after=cake`, { pattern: 'pie', actions: ['dont_notify'] });
    const rule = await alice.ok('GET', `${base}/cake`);
    expectMatchesSpec('pushrules.yaml', '/pushrules/global/{kind}/{ruleId}', 'get', 200, rule);
    expect(rule).toEqual({ rule_id: 'cake', default: false, enabled: true, pattern: 'cake', actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] });
    const content = (await alice.ok('GET', '/pushrules/')).global.content;
    expect(content.map((r: any) => r.rule_id)).toEqual(['tea', 'cake', 'pie']);
    // Legacy actions are stripped.
    expect(content[2].actions).toEqual([]);

    const unknownAnchor = await alice.call('PUT', `${base}/x?before=nope`, { pattern: 'x', actions: [] });
    expect(unknownAnchor.status).toBe(400);
    const reserved = await alice.call('PUT', `${base}/.m.rule.mine`, { pattern: 'x', actions: [] });
    expect(reserved.status).toBe(400);
    const noPattern = await alice.call('PUT', `${base}/nopattern`, { actions: [] });
    expect(noPattern.status).toBe(400);
    const badAction = await alice.call('PUT', `${base}/bad`, { pattern: 'x', actions: ['explode'] });
    expect(badAction.status).toBe(400);
    const badKind = await alice.call('PUT', '/pushrules/global/sideways/x', { actions: [] });
    expect(badKind.status).toBe(400);

    await alice.ok('DELETE', `${base}/tea`);
    expect((await alice.call('GET', `${base}/tea`)).status).toBe(404);
    const again = await alice.call('DELETE', `${base}/tea`);
    expect(again.status).toBe(404);
    expect(again.body.errcode).toBe('M_NOT_FOUND');
    const deleteDefault = await alice.call('DELETE', '/pushrules/global/override/.m.rule.master');
    expect(deleteDefault.status).toBe(400);
    expect((await alice.ok('GET', '/pushrules/')).global.content.map((r: any) => r.rule_id)).toEqual(['cake', 'pie']);
  });

  test('an event_match condition without a pattern is refused (the Dendrite bug)', async () => {
    const res = await alice.call('PUT', '/pushrules/global/override/nopattern', { conditions: [{ kind: 'event_match', key: 'type' }], actions: [] });
    expect(res.status).toBe(400);
    expect((await alice.call('GET', '/pushrules/global/override/nopattern')).status).toBe(404);
  });

  test('enabled and actions on default rules; changes reach sync and survive a restart', async () => {
    const frank = await newUser(server, 'frank');
    await frank.sync();
    const master = '/pushrules/global/override/.m.rule.master';
    expect(await frank.ok('GET', `${master}/enabled`)).toEqual({ enabled: false });
    await frank.ok('PUT', `${master}/enabled`, { enabled: true });
    const enabled = await frank.ok('GET', `${master}/enabled`);
    expectMatchesSpec('pushrules.yaml', '/pushrules/global/{kind}/{ruleId}/enabled', 'get', 200, enabled);
    expect(enabled).toEqual({ enabled: true });
    const message = '/pushrules/global/underride/.m.rule.message';
    await frank.ok('PUT', `${message}/actions`, { actions: ['notify', { set_tweak: 'highlight', value: false }] });
    const actions = await frank.ok('GET', `${message}/actions`);
    expectMatchesSpec('pushrules.yaml', '/pushrules/global/{kind}/{ruleId}/actions', 'get', 200, actions);
    expect(actions.actions).toEqual(['notify', { set_tweak: 'highlight', value: false }]);
    expect((await frank.call('PUT', `${master}/enabled`, { enabled: 'yes' })).status).toBe(400);
    expect((await frank.call('PUT', '/pushrules/global/override/.m.rule.nope/enabled', { enabled: true })).status).toBe(404);

    const sync = await frank.sync();
    const rules = sync.account_data.events.find((e: any) => e.type === 'm.push_rules');
    expect(rules.content.global.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true });

    const dataDir = server.dataDir;
    await server.stop();
    server = await startServer({ dataDir });
    for (const u of [alice, bob]) (u as { server: unknown }).server = server;
    const again = new TestUser(server, frank.login);
    expect(await again.ok('GET', `${master}/enabled`)).toEqual({ enabled: true });
    expect((await again.ok('GET', '/pushrules/')).global.underride.find((r: any) => r.rule_id === '.m.rule.message').actions).toEqual([
      'notify',
      { set_tweak: 'highlight', value: false },
    ]);
  }, 30_000);
});

describe('unread counts', () => {
  const counts = (sync: any, roomId: string) => sync.rooms.join[roomId]?.unread_notifications;

  test('messages notify the others, mentions highlight, a read receipt clears', async () => {
    const ann = await newUser(server, 'ann');
    const ben = await newUser(server, 'ben');
    const cat = await newUser(server, 'cat');
    const roomId = await sharedRoom(ann, [ben, cat]);
    await ben.sync();
    await ann.sync();

    await ann.text(roomId, 'hello');
    await ann.text(roomId, 'a notice', { msgtype: 'm.notice' });
    const mention = await ann.text(roomId, 'ben, look', { 'm.mentions': { user_ids: [ben.userId] } });
    const benSync = await ben.sync();
    expect(counts(benSync, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, benSync);
    // The sender's own messages never count for her.
    expect(counts(await ann.sync(), roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    const catSync = await cat.sync();
    expect(counts(catSync, roomId)).toEqual({ notification_count: 2, highlight_count: 0 });

    await ben.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(mention)}`, {});
    expect(counts(await ben.sync(), roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    // Cat has not read anything.
    await ann.text(roomId, 'more');
    expect(counts(await cat.sync(), roomId)).toEqual({ notification_count: 3, highlight_count: 0 });
    expect(counts(await ben.sync(), roomId)).toEqual({ notification_count: 1, highlight_count: 0 });

    // A private receipt clears too.
    const last = await ann.text(roomId, 'last');
    await cat.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(last)}`, {});
    expect(counts(await cat.sync(), roomId)).toEqual({ notification_count: 0, highlight_count: 0 });

    const notifications = await ben.ok('GET', '/notifications');
    expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, notifications);
    expect(notifications.notifications.map((n: any) => n.event.content.body)).toEqual(['last', 'more', 'ben, look', 'hello']);
    expect(notifications.notifications.map((n: any) => n.read)).toEqual([false, false, true, true]);
    const highlights = await ben.ok('GET', '/notifications?only=highlight');
    expect(highlights.notifications.map((n: any) => n.event.event_id)).toEqual([mention]);
    const page = await ben.ok('GET', '/notifications?limit=2');
    expect(page.notifications).toHaveLength(2);
    const next = await ben.ok('GET', `/notifications?limit=2&from=${page.next_token}`);
    expect(next.notifications.map((n: any) => n.event.content.body)).toEqual(['ben, look', 'hello']);
  });

  test('1:1 rooms, @room mentions by the powerful, reactions, edits and a muted room', async () => {
    const dan = await newUser(server, 'dan');
    const eli = await newUser(server, 'eli');
    const dm = await sharedRoom(dan, [eli], { is_direct: true });
    await eli.sync();
    const first = await dan.text(dm, 'hi');
    await dan.send(dm, { 'm.relates_to': { rel_type: 'm.annotation', event_id: first, key: '👍' } }, 'm.reaction');
    await dan.text(dm, '* hi!', { 'm.new_content': { msgtype: 'm.text', body: 'hi!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: first } });
    expect(counts(await eli.sync(), dm)).toEqual({ notification_count: 1, highlight_count: 0 });

    // @room from the creator (PL 100) highlights; from Eli (PL 0) it does not.
    await dan.text(dm, 'everyone!', { 'm.mentions': { room: true } });
    expect(counts(await eli.sync(), dm)).toEqual({ notification_count: 2, highlight_count: 1 });
    await dan.sync();
    await eli.text(dm, 'everyone?', { 'm.mentions': { room: true } });
    expect(counts(await dan.sync(), dm)).toEqual({ notification_count: 1, highlight_count: 0 });

    // Sending counts as reading: Eli's own message cleared her counts.
    expect(counts(await eli.sync(), dm)).toEqual({ notification_count: 0, highlight_count: 0 });

    // A room rule with no actions mutes the room for Eli.
    await eli.ok('PUT', `/pushrules/global/room/${enc(dm)}`, { actions: [] });
    await dan.text(dm, 'muted?');
    await dan.text(dm, `eli?`, { 'm.mentions': { user_ids: [eli.userId] } });
    await eli.sync();
    expect(counts(await eli.sync({ fresh: true }), dm)).toEqual({ notification_count: 1, highlight_count: 1 });
    await eli.ok('DELETE', `/pushrules/global/room/${enc(dm)}`);
    await dan.text(dm, 'back');
    expect(counts(await eli.sync(), dm)).toEqual({ notification_count: 2, highlight_count: 1 });
  });

  test('user rules: a content glob at word boundaries, a display-name override, a sender rule, member counts', async () => {
    const ivy = await newUser(server, 'ivy');
    const jo = await newUser(server, 'jo');
    const kit = await newUser(server, 'kit');
    const roomId = await sharedRoom(ivy, [jo, kit]);
    await jo.ok('PUT', `/profile/${enc(jo.userId)}/displayname`, { displayname: 'Jo Anne' });
    const highlight = ['notify', { set_tweak: 'highlight' }];
    await jo.ok('PUT', '/pushrules/global/content/cakes', { pattern: 'ca?e*', actions: highlight });
    await jo.ok('PUT', '/pushrules/global/override/myname', { conditions: [{ kind: 'contains_display_name' }], actions: highlight });
    await jo.ok('PUT', '/pushrules/global/override/small', { conditions: [{ kind: 'room_member_count', is: '<3' }, { kind: 'event_match', key: 'content.body', pattern: 'small' }], actions: highlight });
    await jo.ok('PUT', `/pushrules/global/sender/${enc(kit.userId)}`, { actions: [] });
    await jo.sync();

    const counted = async () => (await jo.sync()).rooms.join[roomId]?.unread_notifications;
    await ivy.text(roomId, 'Cakes for tea!');
    expect(await counted()).toEqual({ notification_count: 1, highlight_count: 1 });
    await ivy.text(roomId, 'pancakes'); // "ca?e*" must start at a word boundary
    expect(await counted()).toEqual({ notification_count: 2, highlight_count: 1 });
    await ivy.text(roomId, 'ask jo anne, please');
    expect(await counted()).toEqual({ notification_count: 3, highlight_count: 2 });
    await ivy.text(roomId, 'small room?'); // three members: the member-count rule does not match
    expect(await counted()).toEqual({ notification_count: 4, highlight_count: 2 });
    await kit.text(roomId, 'cake from kit'); // the sender rule comes after content rules
    expect(await counted()).toEqual({ notification_count: 5, highlight_count: 3 });
    await jo.ok('PUT', '/pushrules/global/content/cakes/enabled', { enabled: false });
    await kit.text(roomId, 'more cake from kit'); // now the sender rule silences Kit
    expect(await counted()).toEqual({ notification_count: 5, highlight_count: 3 });
  });

  test('threaded counts when the filter asks for unread_thread_notifications; a thread receipt clears only its thread', async () => {
    const fay = await newUser(server, 'fay');
    const gus = await newUser(server, 'gus');
    const hal = await newUser(server, 'hal');
    const roomId = await sharedRoom(fay, [gus, hal]);
    const filter = { room: { timeline: { unread_thread_notifications: true } } };
    await gus.sync({ filter });
    const root = await fay.text(roomId, 'root');
    const inThread = await fay.text(roomId, 'in thread', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await fay.text(roomId, 'in thread 2', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    // A reaction to a threaded event counts in that thread (and here notifies nobody).
    await fay.send(roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: inThread, key: 'x' } }, 'm.reaction');

    const threaded = await gus.sync({ filter });
    const section = threaded.rooms.join[roomId];
    expect(section.unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(section.unread_thread_notifications).toEqual({ [root]: { notification_count: 2, highlight_count: 0 } });
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, threaded);

    // Without the option the counts are summed.
    expect(counts(await gus.sync({ fresh: true }), roomId)).toEqual({ notification_count: 3, highlight_count: 0 });

    await gus.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(inThread)}`, { thread_id: root });
    const after = await gus.sync({ fresh: true, filter });
    expect(after.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(after.rooms.join[roomId].unread_thread_notifications).toEqual({ [root]: { notification_count: 1, highlight_count: 0 } });
  });
});
