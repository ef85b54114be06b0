// The household story of issue 5, end to end with four real matrix-js-sdk clients long-polling a
// real server process: names, a group, talk in order exactly once, unread counts, typing,
// receipts, an edit, a reaction, a deletion, a device offline for a while, a server restart in
// the middle, and a new member reading the history the room allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientEvent, EventType, NotificationCountType, PendingEventOrdering, RoomEvent, SyncState, createClient,
  type MatrixClient, type MatrixEvent, type Room,
} from 'matrix-js-sdk';
import { logger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login, type LoggedIn } from '../helpers/accounts.ts';
import { enc, newUser } from '../helpers/rooms.ts';

// The SDK logs every request; keep test output readable.
(logger as unknown as { setLevel(level: string): void }).setLevel('silent');
const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };

const NAMES = ['phone3', 'phone6', 'phone9', 'pc4'] as const;
type Name = (typeof NAMES)[number];

let server: ServerProcess;
const sessions = {} as Record<Name, LoggedIn>;
const clients = {} as Record<Name, MatrixClient>;
/** Every live event each client received from sync, in arrival order (to prove exactly-once). */
const received = {} as Record<Name, string[]>;
let roomId = '';

async function waitFor<T>(what: string, fn: () => T | undefined | false | null, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function startClient(name: Name): Promise<void> {
  const s = sessions[name];
  const client = createClient({ baseUrl: server.url, accessToken: s.accessToken, userId: s.userId, deviceId: s.deviceId, logger: quiet });
  clients[name] = client;
  received[name] ??= [];
  client.on(RoomEvent.Timeline, (event: MatrixEvent, _room, toStart, _removed, data) => {
    if (!toStart && data?.liveEvent && event.getId()?.startsWith('$') && event.getSender() !== s.userId) received[name].push(event.getId()!);
  });
  const prepared = new Promise<void>((resolve) => {
    client.on(ClientEvent.Sync, (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) resolve();
    });
  });
  // Detached: local echoes wait aside, so the timeline shows the server's order, not send order.
  void client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true, pendingEventOrdering: PendingEventOrdering.Detached });
  return prepared;
}

function room(name: Name): Room | null {
  return clients[name].getRoom(roomId);
}

/** Remote-echoed message events in a client's live timeline. */
function messages(name: Name): MatrixEvent[] {
  return (room(name)?.getLiveTimeline().getEvents() ?? []).filter((e) => e.getType() === 'm.room.message' && !e.isRelation() && e.getId()?.startsWith('$'));
}

beforeAll(async () => {
  server = await startServer();
  for (const name of NAMES) {
    await createUser(server, name, `pw-${name}`);
    sessions[name] = await login(server, name, `pw-${name}`);
  }
  await Promise.all(NAMES.map(startClient));
});

afterAll(async () => {
  for (const c of Object.values(clients)) c.stopClient();
  await server?.dispose();
});

describe('a household chats through Meowtrix', () => {
  it('each device sets a name; phone3 creates a group, invites, and everyone joins', async () => {
    await Promise.all(NAMES.map((n) => clients[n].setDisplayName(`${n[0]!.toUpperCase()}${n.slice(1)}`)));
    const created = await clients.phone3.createRoom({
      name: 'Household',
      topic: 'Dinner, cats, and who took the charger',
      preset: 'private_chat' as never,
      invite: NAMES.filter((n) => n !== 'phone3').map((n) => sessions[n].userId),
    });
    roomId = created.room_id;
    for (const n of NAMES.filter((n) => n !== 'phone3')) {
      await waitFor(`${n} sees the invite`, () => room(n)?.getMyMembership() === 'invite');
      expect(room(n)!.name).toBe('Household');
      await clients[n].joinRoom(roomId);
    }
    for (const n of NAMES) {
      await waitFor(`${n} sees four members`, () => room(n)?.getJoinedMemberCount() === 4);
      expect(room(n)!.currentState.getStateEvents('m.room.topic', '')?.getContent().topic).toBe('Dinner, cats, and who took the charger');
    }
    // Names went into the member events.
    await waitFor('names', () => room('phone6')?.getMember(sessions.pc4.userId)?.name === 'Pc4');
  });

  it('everyone talks at once; every device sees every message exactly once, in the same order', async () => {
    await Promise.all(
      NAMES.map(async (n) => {
        for (let i = 0; i < 5; i++) await clients[n].sendTextMessage(roomId, `${n} says ${i}`);
      }),
    );
    for (const n of NAMES) await waitFor(`${n} has 20 messages`, () => messages(n).length >= 20);
    const orders = NAMES.map((n) => messages(n).map((e) => e.getId()));
    for (const order of orders) expect(order).toEqual(orders[0]);
    expect(new Set(orders[0]).size).toBe(20);
    // Each sender's messages keep their order.
    for (const n of NAMES) {
      const mine = messages('pc4').filter((e) => e.getSender() === sessions[n].userId).map((e) => e.getContent().body);
      expect(mine).toEqual([0, 1, 2, 3, 4].map((i) => `${n} says ${i}`));
    }
    // Delivered live exactly once.
    for (const n of NAMES) {
      expect(new Set(received[n]).size).toBe(received[n].length);
      for (const id of orders[0]!) {
        const fromOthers = messages(n).find((e) => e.getId() === id)!.getSender() !== sessions[n].userId;
        if (fromOthers) expect(received[n].filter((x) => x === id).length, `${n} got ${id}`).toBe(1);
      }
    }
    // The server's own history has the same order.
    const history = await newHistory();
    expect(history.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.event_id)).toEqual(orders[0]);
  });

  it('unread counts rise and clear; receipts and typing reach the others', async () => {
    // Sending counts as reading: after the concurrent burst phone6's own message may be the last one,
    // so someone else speaks last to make phone6's unread count certain.
    await clients.phone3.sendTextMessage(roomId, 'dinner at seven');
    await waitFor('phone6 receives it', () => messages('phone6').at(-1)?.getContent().body === 'dinner at seven');
    await waitFor('phone6 has unread messages', () => (room('phone6')!.getUnreadNotificationCount(NotificationCountType.Total) ?? 0) > 0);
    const last = messages('phone6').at(-1)!;
    await clients.phone6.sendReadReceipt(last);
    await waitFor('phone6 unread clears', () => room('phone6')!.getUnreadNotificationCount(NotificationCountType.Total) === 0);
    await waitFor('phone3 sees phone6 read up to the last message', () => room('phone3')!.getUsersReadUpTo(last).includes(sessions.phone6.userId));
    await clients.phone3.sendTextMessage(roomId, 'who wants pasta?');
    await waitFor('phone6 unread rises to 1', () => room('phone6')!.getUnreadNotificationCount(NotificationCountType.Total) === 1);
    await clients.phone9.sendTyping(roomId, true, 10_000);
    await waitFor('phone3 sees phone9 typing', () => room('phone3')!.getMember(sessions.phone9.userId)?.typing === true);
    await clients.phone9.sendTyping(roomId, false, 0);
    await waitFor('phone3 sees phone9 stop typing', () => room('phone3')!.getMember(sessions.phone9.userId)?.typing === false);
  });

  it('an edit, a reaction and a deletion are seen by the others', async () => {
    const original = messages('phone6').find((e) => e.getContent().body === 'phone6 says 0')!;
    const edit = await clients.phone6.sendEvent(roomId, EventType.RoomMessage, {
      msgtype: 'm.text', body: '* phone6 says zero', 'm.new_content': { msgtype: 'm.text', body: 'phone6 says zero' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original.getId()! },
    } as never);
    const target = messages('phone9').find((e) => e.getContent().body === 'phone3 says 0')!;
    const reaction = await clients.phone9.sendEvent(roomId, EventType.Reaction, { 'm.relates_to': { rel_type: 'm.annotation', event_id: target.getId()!, key: '🐈' } } as never);
    const doomed = messages('pc4').find((e) => e.getContent().body === 'pc4 says 4')!;
    await clients.pc4.redactEvent(roomId, doomed.getId()!);
    for (const n of NAMES) {
      await waitFor(`${n} sees the edit`, () => room(n)!.findEventById(original.getId()!)?.replacingEventId() === edit.event_id);
      expect(room(n)!.findEventById(original.getId()!)!.getContent().body).toBe('phone6 says zero');
      await waitFor(`${n} sees the reaction`, () => room(n)!.findEventById(reaction.event_id)?.getRelation()?.event_id === target.getId());
      await waitFor(`${n} sees the deletion`, () => room(n)!.findEventById(doomed.getId()!)?.isRedacted());
    }
    const redacted = (await newHistory()).find((e: any) => e.event_id === doomed.getId());
    expect(redacted.content).toEqual({});
  });

  it('a device offline for a while catches up with nothing lost or doubled', async () => {
    clients.phone9.stopClient();
    const missed: string[] = [];
    for (let i = 0; i < 40; i++) missed.push((await clients.phone3.sendTextMessage(roomId, `while phone9 slept ${i}`)).event_id);
    await startClient('phone9');
    await waitFor('phone9 sees the newest', () => messages('phone9').some((e) => e.getId() === missed.at(-1)));
    // The gap (more than the timeline limit) is filled by paginating back.
    const r = room('phone9')!;
    await waitFor('phone9 back-fills the gap', () => {
      const ids = new Set(messages('phone9').map((e) => e.getId()));
      if (missed.every((id) => ids.has(id))) return true;
      void clients.phone9.scrollback(r, 30);
      return false;
    });
    const ids = messages('phone9').map((e) => e.getId()!);
    expect(new Set(ids).size).toBe(ids.length);
    const missedInOrder = ids.filter((id) => missed.includes(id));
    expect(missedInOrder).toEqual(missed);
  });

  it('the server restarts mid-story; every client continues from its token', async () => {
    const before = await newHistory();
    const { port, dataDir } = server;
    await server.stop();
    server = await startServer({ dataDir, args: ['--port', String(port)] });
    expect(server.port).toBe(port);
    const after: string[] = [];
    for (const n of NAMES) after.push((await clients[n].sendTextMessage(roomId, `${n} is back`)).event_id);
    for (const n of NAMES) await waitFor(`${n} sees everyone back`, () => after.every((id) => messages(n).some((e) => e.getId() === id)), 60_000);
    const history = await newHistory();
    expect(history.slice(0, before.length).map((e: any) => e.event_id)).toEqual(before.map((e: any) => e.event_id));
    const allMessages = history.filter((e: any) => e.type === 'm.room.message' && !e.content['m.relates_to']).map((e: any) => e.event_id);
    for (const n of NAMES) {
      const seen = messages(n).map((e) => e.getId());
      expect(new Set(seen).size, n).toBe(seen.length);
      // What the client holds is a contiguous, ordered tail of the server's history.
      expect(allMessages.slice(allMessages.length - seen.length), n).toEqual(seen);
      expect(new Set(received[n]).size, `${n} received duplicates`).toBe(received[n].length);
    }
  });

  it('a new member sees the history the room allows (shared)', async () => {
    const tab = await newUser(server, 'tab5');
    await clients.phone3.invite(roomId, tab.userId);
    await tab.join(roomId);
    const page = await tab.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=1000`);
    const bodies = page.chunk.map((e: any) => e.content?.body);
    expect(bodies).toContain('phone3 says 0');
    expect(bodies).toContain('pc4 is back');
  });
});

/** The room's whole history as the server stores it, oldest first (raw HTTP as phone3). */
async function newHistory(): Promise<any[]> {
  const res = await fetch(`${server.url}/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1000`, {
    headers: { Authorization: `Bearer ${sessions.phone3.accessToken}` },
  });
  const body = (await res.json()) as { chunk: any[] };
  return body.chunk.reverse();
}
