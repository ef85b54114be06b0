// Desktop notifications in headless Chromium against a real homeserver, with a matrix-js-sdk phone
// (bob, with Rust crypto) sending. The page's window.Notification is replaced, before the app loads,
// by a recorder that grants permission and keeps every notification constructed (the browser's own
// surface, not the app's code); window.meowtrix is a recording stand-in for Electron's preload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Preset } from 'matrix-js-sdk';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, type GuardedPage } from '../helpers/browser.ts';
import { createEncryptedRoom, startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi, openRoom } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let anna: LoggedIn;
let bob: Phone;
const rooms: Record<'kitchen' | 'garden' | 'hall' | 'secrets', string> = { kitchen: '', garden: '', hall: '', secrets: '' };

interface Recorded {
  title: string;
  body: string;
  tag: string;
  data: { roomId: string; eventId: string; highlight: boolean };
}

/** Runs in the page before the app: records notifications and unread counts. */
function installRecorders() {
  const w = window as unknown as Record<string, unknown>;
  const notices: unknown[] = [];
  const unread: number[] = [];
  w.__notices = notices;
  w.__unread = unread;
  let windowShown = 0;
  w.__windowShown = () => windowShown;
  class RecordingNotification {
    static permission = 'granted';
    static requestPermission() {
      return Promise.resolve('granted');
    }
    title: string;
    body: string;
    tag: string;
    data: unknown;
    onclick: (() => void) | null = null;
    onclose: (() => void) | null = null;
    closed = false;
    constructor(title: string, options: { body?: string; tag?: string; data?: unknown } = {}) {
      this.title = title;
      this.body = options.body ?? '';
      this.tag = options.tag ?? '';
      this.data = options.data;
      notices.push(this);
    }
    close() {
      this.closed = true;
    }
  }
  w.Notification = RecordingNotification;
  // Electron's preload stand-in: the badge channel records; the host panel's calls never answer.
  w.meowtrix = {
    setUnreadCount: (n: number) => {
      unread.push(n);
      return Promise.resolve();
    },
    showWindow: () => {
      windowShown += 1;
      return Promise.resolve();
    },
    getSettings: () => new Promise(() => {}),
    getHosting: () => new Promise(() => {}),
    onHostingChanged: () => () => {},
  };
}

const notices = () =>
  page.evaluate(() => ((window as unknown as { __notices: Recorded[] }).__notices).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));
const lastUnread = () => page.evaluate(() => (window as unknown as { __unread: number[] }).__unread.at(-1) ?? null);
const roomButton = (name: string) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(`^${name}`) });


/** Waits for the notification of this event, and returns it with all notifications seen so far. */
async function noticeFor(eventId: string) {
  await eventually(async () => (await notices()).some((n) => n.data.eventId === eventId)).toBe(true);
  const all = await notices();
  return { notice: all.find((n) => n.data.eventId === eventId)!, all };
}

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  anna = await registerAndLogin(server, 'anna', 'anna-pw');
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'), { crypto: true });
  for (const [key, name] of [['kitchen', 'Kitchen'], ['garden', 'Garden'], ['hall', 'Hall']] as const) {
    rooms[key] = (await bob.client.createRoom({ name, preset: Preset.PrivateChat, invite: [anna.userId] })).room_id;
  }
  rooms.secrets = await createEncryptedRoom(bob, 'Secrets', [anna.userId]);
  // Anna joins from another session of hers, so the app starts with the rooms already joined.
  for (const roomId of Object.values(rooms)) {
    const res = await request(server.url, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: anna.accessToken, body: {} });
    expect(res.status).toBe(200);
  }
  await bob.client.sendTextMessage(rooms.garden, 'Sent before the app started');
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  await page.addInitScript(installRecorders);
}, 120_000);
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

describe('desktop notifications', () => {
  it('raises none for history, and one for a message in a background room, titled by the room, tagged with its ID', async () => {
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    await openRoom(page, 'Kitchen');
    const { event_id } = await bob.client.sendTextMessage(rooms.garden, 'The tomatoes are ripe');
    const { notice, all } = await noticeFor(event_id);
    expect(notice).toEqual({ title: 'Garden', body: 'bob: The tomatoes are ripe', tag: rooms.garden, data: { roomId: rooms.garden, eventId: event_id, highlight: false } });
    expect(all.filter((n) => n.body.includes('Sent before the app started'))).toEqual([]);
  });

  it('raises none for a message in the room on screen while the window has focus', async () => {
    expect(await page.evaluate(() => document.hasFocus())).toBe(true);
    const onScreen = await bob.client.sendTextMessage(rooms.kitchen, 'Kettle is on');
    await page.getByRole('log', { name: 'Messages' }).getByText('Kettle is on').waitFor();
    // A later message elsewhere is notified, so the first one had its chance.
    const later = await bob.client.sendTextMessage(rooms.hall, 'Shoes off please');
    const { all } = await noticeFor(later.event_id);
    expect(all.filter((n) => n.data.eventId === onScreen.event_id)).toEqual([]);
  });

  it('notifies an encrypted message once decrypted, with its text', async () => {
    // The phone encrypts for the devices it knows: wait until it knows the app's.
    const deviceId = await page.evaluate(() => JSON.parse(localStorage.getItem('meowtrix.session')!).deviceId as string);
    await eventually(async () => (await bob.client.getCrypto()!.getUserDeviceInfo([anna.userId], true)).get(anna.userId)?.has(deviceId)).toBe(true);
    const { event_id } = await bob.client.sendTextMessage(rooms.secrets, 'The code is 1234');
    const { notice } = await noticeFor(event_id);
    expect(notice.title).toBe('Secrets');
    expect(notice.body).toBe('bob: The code is 1234');
  });

  it('a muted room raises none, and the mute is a push rule on the server (so the phone is muted too)', async () => {
    await openRoom(page, 'Garden');
    await page.getByRole('button', { name: 'Room settings' }).click();
    const settings = page.getByRole('dialog');
    await settings.getByLabel('Notices for this chat').selectOption('muted');
    await settings.getByText('Saved.').waitFor();
    const rule = await request(server.url, 'GET', `/_matrix/client/v3/pushrules/global/override/${encodeURIComponent(rooms.garden)}`, { token: anna.accessToken });
    expect(rule.status).toBe(200);
    expect(rule.body).toMatchObject({ rule_id: rooms.garden, enabled: true, actions: [], conditions: [{ kind: 'event_match', key: 'room_id', pattern: rooms.garden }] });
    await settings.getByRole('button', { name: 'Close' }).click();
    await roomButton('Garden').getByRole('img', { name: 'Muted' }).waitFor();
    await openRoom(page, 'Kitchen');

    const muted = await bob.client.sendTextMessage(rooms.garden, 'Nobody hears this');
    const later = await bob.client.sendTextMessage(rooms.hall, 'Coats on the hook');
    const { all } = await noticeFor(later.event_id);
    expect(all.filter((n) => n.data.eventId === muted.event_id)).toEqual([]);
  });

  it('highlights a mention', async () => {
    const { event_id } = await bob.client.sendMessage(rooms.hall, { msgtype: 'm.text', body: 'anna: dinner is ready', 'm.mentions': { user_ids: [anna.userId] } } as never);
    const { notice } = await noticeFor(event_id);
    expect(notice.title).toBe('bob mentioned you in Hall');
    expect(notice.body).toBe('anna: dinner is ready');
    expect(notice.data.highlight).toBe(true);
  });

  it('a click on a notification brings the desktop window back and opens its room', async () => {
    const all = await notices();
    const hallIndex = all.findLastIndex((n) => n.tag === rooms.hall);
    const windowShown = () => page.evaluate(() => (window as unknown as { __windowShown: () => number }).__windowShown());
    expect(await windowShown()).toBe(0);
    await page.evaluate((i) => (window as unknown as { __notices: { onclick: () => void }[] }).__notices[i]!.onclick(), hallIndex);
    await page.getByRole('heading', { name: 'Hall' }).waitFor();
    // window.focus() cannot show a window hidden in the tray; the desktop bridge's showWindow can.
    expect(await windowShown()).toBe(1);
  });

  it('account "mentions only" and "off" are push rules on the server, and the app follows them', async () => {
    const rule = async (kind: string, id: string) =>
      (await request(server.url, 'GET', `/_matrix/client/v3/pushrules/global/${kind}/${id}`, { token: anna.accessToken })).body;
    await openRoom(page, 'Kitchen');
    await page.getByRole('button', { name: 'Edit my profile' }).click();
    const profile = page.getByRole('dialog', { name: 'My profile' });
    const level = profile.getByLabel('Notices for new messages');
    await level.selectOption('mentions');
    const messageRules = ['.m.rule.message', '.m.rule.encrypted', '.m.rule.room_one_to_one', '.m.rule.encrypted_room_one_to_one'];
    await eventually(async () => Promise.all(messageRules.map(async (id) => (await rule('underride', id)).actions))).toEqual([[], [], [], []]);
    await profile.getByRole('button', { name: 'Close' }).click();

    const plain = await bob.client.sendTextMessage(rooms.hall, 'Just chatting');
    const mention = await bob.client.sendMessage(rooms.hall, { msgtype: 'm.text', body: 'anna: your turn', 'm.mentions': { user_ids: [anna.userId] } } as never);
    const { all } = await noticeFor(mention.event_id);
    expect(all.filter((n) => n.data.eventId === plain.event_id)).toEqual([]);

    await page.getByRole('button', { name: 'Edit my profile' }).click();
    await level.selectOption('off');
    await eventually(async () => (await rule('override', '.m.rule.master')).enabled).toBe(true);
    const quiet = await bob.client.sendMessage(rooms.hall, { msgtype: 'm.text', body: 'anna: even this?', 'm.mentions': { user_ids: [anna.userId] } } as never);
    await eventually(() => roomButton('Hall').textContent()).toContain('even this?');
    await level.selectOption('all');
    await eventually(async () => (await rule('override', '.m.rule.master')).enabled).toBe(false);
    expect((await rule('underride', '.m.rule.message')).actions).toEqual(['notify']);
    expect((await rule('underride', '.m.rule.room_one_to_one')).actions).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
    await profile.getByRole('button', { name: 'Close' }).click();
    const loud = await bob.client.sendTextMessage(rooms.hall, 'Back to normal');
    const after = await noticeFor(loud.event_id);
    expect(after.all.filter((n) => n.data.eventId === quiet.event_id)).toEqual([]);
    await openRoom(page, 'Hall');
  });

  it('tells the desktop badge the unread count, and 0 once read', async () => {
    await openRoom(page, 'Secrets');
    await openRoom(page, 'Kitchen');
    await eventually(lastUnread).toBe(0);
    await bob.client.sendTextMessage(rooms.hall, 'One');
    await bob.client.sendTextMessage(rooms.hall, 'Two');
    await eventually(lastUnread).toBe(2);
    await openRoom(page, 'Hall');
    await eventually(lastUnread).toBe(0);
  });

  it('in a browser that has not decided, asks for permission only when the person chooses to', async () => {
    const second = await openGuardedPage(browser);
    try {
      await second.page.addInitScript(() => {
        const w = window as unknown as Record<string, unknown>;
        const asked: string[] = [];
        w.__asked = asked;
        class UndecidedNotification {
          static permission = 'default';
          static requestPermission() {
            asked.push('asked');
            UndecidedNotification.permission = 'granted';
            return Promise.resolve('granted');
          }
        }
        w.Notification = UndecidedNotification;
      });
      await logInThroughUi(second.page, server.url, 'anna', 'anna-pw');
      const ask = second.page.getByRole('region', { name: 'Turn on notices' });
      await ask.getByText('Get a notice on this computer when a message arrives?').waitFor();
      expect(await second.page.evaluate(() => (window as unknown as { __asked: string[] }).__asked)).toEqual([]);
      await ask.getByRole('button', { name: 'Turn on notices' }).click();
      await ask.waitFor({ state: 'detached' });
      expect(await second.page.evaluate(() => (window as unknown as { __asked: string[] }).__asked)).toEqual(['asked']);
      expect(second.consoleErrors).toEqual([]);
    } finally {
      await second.context.close();
    }
  });

  it('kept every request on loopback, logged no errors, and met no unexpected HTTP error', () => {
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    expect(guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e))).toEqual([]);
  });
});
