// This endpoints as matrix-js-sdk (Element's engine) calls them: people search, the room
// directory, space hierarchy, server-side search, ignoring a user while /sync long-polls,
// room upgrade, reporting, pushers, TURN, third-party protocols, OpenID and mutual rooms.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClient, RoomEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { startSdkClient, stopAll, waitForRoom } from '../helpers/sdk.ts';

let server: ServerProcess;
let ana: MatrixClient;
let bo: MatrixClient;
let cy: MatrixClient;
let boLogin: LoggedIn;

const plainClient = (s: LoggedIn) => createClient({ baseUrl: server.url, accessToken: s.accessToken, userId: s.userId, deviceId: s.deviceId });

beforeAll(async () => {
  server = await startServer();
  const anaLogin = await registerAndLogin(server, 'ana');
  boLogin = await registerAndLogin(server, 'bo');
  const cyLogin = await registerAndLogin(server, 'cy');
  ana = await startSdkClient(server.url, anaLogin);
  bo = plainClient(boLogin);
  cy = plainClient(cyLogin);
  await bo.setDisplayName('小波');
}, 60_000);

afterAll(async () => {
  stopAll(ana, bo, cy);
  await server?.dispose();
});

test('people search, the directory and mutual rooms', async () => {
  const people = await ana.searchUserDirectory({ term: '波' });
  expect(people.results.map((r) => r.user_id)).toEqual([bo.getUserId()]);
  expect(people.results[0]!.display_name).toBe('小波');

  const { room_id: lounge } = await ana.createRoom({ visibility: 'public' as never, preset: 'public_chat' as never, name: 'Lounge' });
  await bo.joinRoom(lounge);
  const directory = await bo.publicRooms({ limit: 10, filter: { generic_search_term: 'loun' } });
  expect(directory.chunk.map((r) => r.room_id)).toEqual([lounge]);
  expect(directory.total_room_count_estimate).toBe(1);
  expect(await ana._unstable_getSharedRooms(bo.getUserId()!)).toEqual([lounge]);
});

test('space hierarchy', async () => {
  const { room_id: space } = await ana.createRoom({ preset: 'public_chat' as never, name: 'Home', creation_content: { type: 'm.space' } });
  const { room_id: child } = await ana.createRoom({ preset: 'public_chat' as never, name: 'Kitchen' });
  await ana.sendStateEvent(space, 'm.space.child' as never, { via: ['test.local'], suggested: true } as never, child);
  const hierarchy = await bo.getRoomHierarchy(space, 10, 2, false);
  expect(hierarchy.rooms.map((r) => r.room_id)).toEqual([space, child]);
  expect(hierarchy.rooms[0]!.children_state[0]!.state_key).toBe(child);
});

test('server-side search, reporting and upgrading a room', async () => {
  const { room_id: room } = await ana.createRoom({ preset: 'public_chat' as never, name: 'Notes' });
  await bo.joinRoom(room);
  const { event_id: note } = await bo.sendTextMessage(room, '明天去超市买牛奶');
  const found = await ana.search({ body: { search_categories: { room_events: { search_term: '超市' } } } });
  expect(found.search_categories.room_events.results!.map((r) => r.result.event_id)).toEqual([note]);

  await expect(ana.reportEvent(room, note, -50, 'testing reports')).resolves.toEqual({});

  const { replacement_room: fresh } = await ana.upgradeRoom(room, '11');
  expect(fresh).not.toBe(room);
  const tombstone = await bo.getStateEvent(room, 'm.room.tombstone', '');
  expect(tombstone.replacement_room).toBe(fresh);
});

test('ignoring a user hides their messages from the live timeline', async () => {
  const { room_id: room } = await ana.createRoom({ preset: 'public_chat' as never });
  await bo.joinRoom(room);
  await cy.joinRoom(room);
  await waitForRoom(ana, room);
  await ana.setIgnoredUsers([bo.getUserId()!]);
  const seen: string[] = [];
  const onTimeline = (e: MatrixEvent) => {
    if (e.getRoomId() === room && e.getType() === 'm.room.message') seen.push(e.getContent().body);
  };
  ana.on(RoomEvent.Timeline, onTimeline);
  try {
    await new Promise<void>((resolve) => {
      const check = () => (ana.getIgnoredUsers().includes(bo.getUserId()!) ? resolve() : setTimeout(check, 25));
      check();
    });
    await bo.sendTextMessage(room, 'from bo');
    await cy.sendTextMessage(room, 'from cy');
    await new Promise<void>((resolve) => {
      const check = () => (seen.includes('from cy') ? resolve() : setTimeout(check, 25));
      check();
    });
    expect(seen).toEqual(['from cy']);
  } finally {
    ana.off(RoomEvent.Timeline, onTimeline);
  }
});

test('pushers, TURN, third-party protocols and OpenID answer in the shapes the SDK expects', async () => {
  await bo.setPusher({
    pushkey: 'up-endpoint',
    kind: 'http',
    app_id: 'org.example.up',
    app_display_name: 'Example',
    device_display_name: 'phone',
    lang: 'en',
    data: { url: 'http://192.168.1.20:2586/_matrix/push/v1/notify', format: 'event_id_only' },
  });
  const { pushers } = await bo.getPushers();
  expect(pushers.map((p) => p.pushkey)).toEqual(['up-endpoint']);
  expect(await bo.turnServer()).toEqual({});
  expect(await bo.getThirdpartyProtocols()).toEqual({});
  const openid = await bo.getOpenIdToken();
  expect(openid.token_type).toBe('Bearer');
  expect(openid.matrix_server_name).toBe('test.local');
});
