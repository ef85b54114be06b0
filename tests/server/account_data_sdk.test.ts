// Per-user data as matrix-js-sdk (Element's engine) sees it through real /sync long-polling:
// push rules loaded at start, account data and tags from another device, presence of a room-mate.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ClientEvent, EventType, type MatrixClient } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { login } from '../helpers/accounts.ts';
import { newUser, sharedRoom } from '../helpers/userdata.ts';
import { startSdkClient, stopAll, waitForRoom } from '../helpers/sdk.ts';

let server: ServerProcess;
let laptop: MatrixClient;
let phone: MatrixClient;
let friend: MatrixClient;
let roomId: string;

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  server = await startServer();
  const alice = await newUser(server, 'alice');
  const bob = await newUser(server, 'bob');
  roomId = await sharedRoom(alice, [bob], { name: 'Kitchen' });
  const secondDevice = await login(server, 'alice', 'pw-alice');
  laptop = await startSdkClient(server.url, alice.login);
  phone = await startSdkClient(server.url, secondDevice);
  friend = await startSdkClient(server.url, bob.login);
  await waitForRoom(phone, roomId);
  await waitForRoom(friend, roomId);
}, 60_000);

afterAll(async () => {
  stopAll(laptop, phone, friend);
  await server?.dispose();
});

test('the SDK loads the default push rules and evaluates them like the server', async () => {
  const rules = laptop.pushRules?.global;
  expect(rules?.override?.map((r) => r.rule_id)).toContain('.m.rule.is_user_mention');
  expect(rules?.underride?.map((r) => r.rule_id)).toContain('.m.rule.message');
});

test('account data and a tag set on one device reach the other device', async () => {
  const changed = new Promise<void>((resolve) =>
    phone.on(ClientEvent.AccountData, (event) => {
      if (event.getType() === 'm.direct') resolve();
    }),
  );
  await laptop.setAccountData(EventType.Direct, { '@bob:test.local': [roomId] });
  await changed;
  expect(phone.getAccountData(EventType.Direct)?.getContent()).toEqual({ '@bob:test.local': [roomId] });

  await laptop.setRoomTag(roomId, 'm.favourite', { order: 0.5 });
  await waitFor('the phone sees the favourite tag', () => phone.getRoom(roomId)?.tags['m.favourite']?.order === 0.5);
  // Bob shares the room but never sees Alice's tags.
  expect(friend.getRoom(roomId)?.tags).toEqual({});
});

test('a push rule change on one device reaches the other', async () => {
  await laptop.setPushRuleEnabled('global', 'override' as never, '.m.rule.master', true);
  await waitFor('the phone sees the master rule enabled', () => phone.pushRules?.global.override?.find((r) => r.rule_id === '.m.rule.master')?.enabled === true);
  await laptop.setPushRuleEnabled('global', 'override' as never, '.m.rule.master', false);
  await waitFor('the phone sees it disabled again', () => phone.pushRules?.global.override?.find((r) => r.rule_id === '.m.rule.master')?.enabled === false);
});

test('presence set by Alice reaches Bob', async () => {
  await laptop.setPresence({ presence: 'unavailable', status_msg: 'cooking' });
  await waitFor('Bob sees Alice cooking', () => {
    const user = friend.getUser(laptop.getUserId()!);
    return user?.presence === 'unavailable' && user.presenceStatusMsg === 'cooking';
  });
});
