// The chat client in headless Chromium, against a real homeserver process, with a matrix-js-sdk
// "phone" (bob) on the other side of every conversation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Preset } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot, type GuardedPage } from '../helpers/browser.ts';
import { startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi, openRoom, sendMessage, isMessage } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let anna: LoggedIn;
let bob: Phone;
let kitchen: string;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  anna = await registerAndLogin(server, 'anna', 'anna-pw');
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'));
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  page.on('dialog', (d) => void d.accept());
});
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

const timeline = () => page.getByRole('log', { name: 'Messages' });
const roomButton = (name: string) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(`^${name}`) });
const messageRow = (text: string) => timeline().locator('article').filter({ hasText: text });

/** The composer's Enter-to-send, on this test's page. */
const send = (text: string) => sendMessage(page, text);

describe('chatting with a phone', () => {
  it('shows an invitation, and accepting it opens the room', async () => {
    kitchen = (await bob.client.createRoom({ name: 'Kitchen', preset: Preset.PrivateChat, invite: [anna.userId] })).room_id;
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    const invites = page.getByRole('region', { name: 'Invitations' });
    await invites.getByText('Kitchen').waitFor();
    expect(await invites.getByText('Invited by @bob:test.local').isVisible()).toBe(true);
    await invites.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('heading', { name: 'Kitchen' }).waitFor();
    await bob.waitForEvent(kitchen, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === anna.userId && ev.getContent().membership === 'join');
    expect(await invites.count()).toBe(0);
  });

  it('shows a message the phone sends in the open room and in the room list preview', async () => {
    await bob.client.sendTextMessage(kitchen, 'Dinner at 7?');
    await messageRow('Dinner at 7?').waitFor();
    await eventually(() => roomButton('Kitchen').textContent()).toContain('Dinner at 7?');
  });

  it('sends with Enter, and Shift+Enter makes a new line', async () => {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.click();
    await box.pressSequentially('Line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    await box.press('Enter');
    const ev = await bob.waitForEvent(kitchen, isMessage('Line one\nline two'));
    expect(ev.getSender()).toBe(anna.userId);
    expect(await box.inputValue()).toBe('');
  });

  it('sends Markdown as sanitised formatted_body', async () => {
    await send('**bold** and `code`');
    const ev = await bob.waitForEvent(kitchen, isMessage('**bold** and `code`'));
    expect(ev.getContent().format).toBe('org.matrix.custom.html');
    expect(ev.getContent().formatted_body).toContain('<strong>bold</strong>');
    expect(ev.getContent().formatted_body).toContain('<code>code</code>');
    await messageRow('bold and').locator('strong').waitFor();
  });

  it('edits my last message with the Up arrow, and the phone receives the edit', async () => {
    await send('See you at 8');
    const original = await bob.waitForEvent(kitchen, isMessage('See you at 8'));
    await messageRow('See you at 8').locator('.state').waitFor({ state: 'detached' });
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.press('ArrowUp');
    await eventually(() => box.inputValue()).toBe('See you at 8');
    await box.fill('See you at 9');
    await box.press('Enter');
    const edit = await bob.waitForEvent(kitchen, (ev) => ev.getWireContent()['m.relates_to']?.rel_type === 'm.replace');
    expect(edit.getWireContent()['m.relates_to']?.event_id).toBe(original.getId());
    expect(edit.getWireContent()['m.new_content'].body).toBe('See you at 9');
    await messageRow('See you at 9').getByText('(edited)').waitFor();
    expect(await messageRow('See you at 8').count()).toBe(0);
  });

  it('reacts with a click and takes the reaction back with another', async () => {
    const target = await bob.waitForEvent(kitchen, isMessage('Dinner at 7?'));
    const row = messageRow('Dinner at 7?');
    await row.hover();
    await row.getByRole('button', { name: 'React with 👍' }).click();
    const reaction = await bob.waitForEvent(kitchen, (ev) => ev.getType() === 'm.reaction' && ev.getSender() === anna.userId);
    expect(reaction.getContent()['m.relates_to']).toEqual({ rel_type: 'm.annotation', event_id: target.getId(), key: '👍' });
    const chip = row.locator('.reactions button', { hasText: '👍' });
    await eventually(() => chip.getAttribute('aria-pressed')).toBe('true');
    expect(await chip.textContent()).toContain('1');

    await chip.click();
    await bob.waitForEvent(kitchen, (ev) => ev.getType() === 'm.room.redaction' && ev.event.redacts === reaction.getId());
    await chip.waitFor({ state: 'detached' });
  });

  it('deletes my message for everyone', async () => {
    await send('oops, wrong room');
    const mine = await bob.waitForEvent(kitchen, isMessage('oops, wrong room'));
    const row = messageRow('oops, wrong room');
    await row.locator('.state').waitFor({ state: 'detached' });
    await row.hover();
    await row.getByRole('button', { name: 'Delete' }).click();
    await bob.waitForEvent(kitchen, (ev) => ev.getType() === 'm.room.redaction' && ev.event.redacts === mine.getId());
    await timeline().locator(`article[data-event-id="${mine.getId()}"]`).getByText('Message deleted').waitFor();
  });

  it("shows the phone's edits, reactions and deletions", async () => {
    const { event_id: id } = await bob.client.sendTextMessage(kitchen, 'Buy milk');
    await messageRow('Buy milk').waitFor();
    await bob.client.sendMessage(kitchen, {
      msgtype: 'm.text',
      body: '* Buy oat milk',
      'm.new_content': { msgtype: 'm.text', body: 'Buy oat milk' },
      'm.relates_to': { rel_type: 'm.replace', event_id: id },
    } as never);
    const row = timeline().locator(`article[data-event-id="${id}"]`);
    await row.getByText('Buy oat milk').waitFor();
    await row.getByText('(edited)').waitFor();
    await bob.client.sendEvent(kitchen, 'm.reaction' as never, { 'm.relates_to': { rel_type: 'm.annotation', event_id: id, key: '❤️' } } as never);
    const chip = row.locator('.reactions button', { hasText: '❤️' });
    await chip.waitFor();
    expect(await chip.getAttribute('aria-pressed')).toBe('false');
    await bob.client.redactEvent(kitchen, id);
    await row.getByText('Message deleted').waitFor();
    expect(await row.locator('.reactions').count()).toBe(0);
  });

  it('renders HTML from others safely: no script, no remote image, no javascript: link', async () => {
    const html = '<b>hello</b> <script>window.__pwned = 1</script><img src="http://192.0.2.9/cat.png" alt="cat picture"> <a href="javascript:window.__pwned=2">click</a> <a href="https://example.org/">site</a>';
    await bob.client.sendMessage(kitchen, { msgtype: 'm.text', body: 'hello', format: 'org.matrix.custom.html', formatted_body: html } as never);
    const row = messageRow('cat picture');
    await row.waitFor();
    expect(await row.locator('b', { hasText: 'hello' }).count()).toBe(1);
    expect(await row.locator('img, script').count()).toBe(0);
    await row.getByText('click').click();
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await row.getByText('click').getAttribute('href')).toBeNull();
    expect(await row.getByRole('link', { name: 'site' }).getAttribute('rel')).toContain('noopener');
    expect(guarded.offLoopback).toEqual([]);
  });

  it('orders rooms by activity, filters them, and shows unread counts in the badge and the title', async () => {
    const garage = (await bob.client.createRoom({ name: 'Garage', preset: Preset.PublicChat })).room_id;
    // anna joins from another of her devices, so the web client sees it arrive by sync.
    const res = await fetch(`${server.url}/_matrix/client/v3/join/${encodeURIComponent(garage)}`, {
      method: 'POST', headers: { Authorization: `Bearer ${anna.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    expect(res.status).toBe(200);
    await roomButton('Garage').waitFor();
    await bob.client.sendTextMessage(garage, 'The bike has a flat tyre');
    await bob.client.sendTextMessage(garage, 'Can you fix it?');
    await eventually(() => roomButton('Garage').locator('.badge').textContent()).toBe('2');
    await eventually(() => page.title()).toBe('(2) Meowtrix');
    const order = await page.getByRole('navigation', { name: 'Chats' }).locator('.list .name').allTextContents();
    expect(order.slice(0, 2)).toEqual(['Garage', 'Kitchen']);
    await saveScreenshot(page, 'room-list');

    const filter = page.getByRole('searchbox', { name: 'Filter chats' });
    await filter.fill('kit');
    await eventually(() => page.locator('.list .name').allTextContents()).toEqual(['Kitchen']);
    await filter.fill('');

    // Opening the room sends a read receipt: the badge and the title clear.
    await openRoom(page, 'Garage');
    await messageRow('Can you fix it?').waitFor();
    // The first message I had not read is marked.
    expect(await timeline().locator('#first-unread + article').textContent()).toContain('The bike has a flat tyre');
    await eventually(() => roomButton('Garage').locator('.badge').count()).toBe(0);
    await eventually(() => page.title()).toBe('Meowtrix');
  });

  it('declines an invitation', async () => {
    const attic = (await bob.client.createRoom({ name: 'Attic', preset: Preset.PrivateChat, invite: [anna.userId] })).room_id;
    const invites = page.getByRole('region', { name: 'Invitations' });
    await invites.getByText('Attic').waitFor();
    await invites.getByRole('button', { name: 'Decline' }).click();
    await bob.waitForEvent(attic, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === anna.userId && ev.getContent().membership === 'leave');
    await invites.waitFor({ state: 'detached' });
    expect(await roomButton('Attic').count()).toBe(0);
  });

  it('scrolls back through /messages with the viewport anchored, never holding more than a window of messages in the DOM', async () => {
    const archive = (await bob.client.createRoom({ name: 'Archive', preset: Preset.PublicChat })).room_id;
    const bobToken = bob.client.getAccessToken()!;
    for (let i = 1; i <= 200; i++) {
      const res = await fetch(`${server.url}/_matrix/client/v3/rooms/${encodeURIComponent(archive)}/send/m.room.message/arch${i}`, {
        method: 'PUT', headers: { Authorization: `Bearer ${bobToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ msgtype: 'm.text', body: `archive message ${i}` }),
      });
      expect(res.status).toBe(200);
    }
    const res = await fetch(`${server.url}/_matrix/client/v3/join/${encodeURIComponent(archive)}`, {
      method: 'POST', headers: { Authorization: `Bearer ${anna.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    expect(res.status).toBe(200);
    await openRoom(page, 'Archive');
    await messageRow('archive message 200').waitFor();
    expect(await page.getByText('archive message 1', { exact: true }).count()).toBe(0);

    // Scroll to the top again and again; each time older messages come in, the message that was
    // at the top stays on screen where it was, and the DOM holds at most a window of messages.
    const scroller = timeline();
    const first = page.getByText('archive message 1', { exact: true });
    let maxInDom = 0;
    for (let round = 0; round < 40 && (await first.count()) === 0; round++) {
      const anchor = scroller.locator('article').first();
      const anchorId = await anchor.getAttribute('data-event-id');
      const before = await anchor.boundingBox();
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await eventually(async () => (await scroller.locator('article').first().getAttribute('data-event-id')) !== anchorId).toBe(true);
      const after = await scroller.locator(`article[data-event-id="${anchorId}"]`).boundingBox();
      // scrollTop = 0 moved it down by the scroll distance; the inserted messages did not move it further.
      expect(after).not.toBeNull();
      expect(after!.y).toBeGreaterThanOrEqual(before!.y - 1);
      maxInDom = Math.max(maxInDom, await scroller.locator('article').count());
    }
    await first.waitFor();
    expect(maxInDom).toBeLessThanOrEqual(120);
    await saveScreenshot(page, 'timeline-scrollback');

    // And back down to the newest message, still windowed.
    const last = page.getByText('archive message 200', { exact: true });
    for (let round = 0; round < 40 && (await last.count()) === 0; round++) {
      await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(30);
      expect(await scroller.locator('article').count()).toBeLessThanOrEqual(120);
    }
    await last.waitFor();
  });

  it('replies to a message, and shows the phone\'s reply as a quote', async () => {
    await openRoom(page, 'Kitchen');
    const { event_id: question } = await bob.client.sendTextMessage(kitchen, 'Who took the scissors?');
    const row = timeline().locator(`article[data-event-id="${question}"]`);
    await row.hover();
    await row.getByRole('button', { name: 'Reply' }).click();
    await page.getByText('Replying to bob').waitFor();
    await page.getByRole('textbox', { name: 'Message' }).pressSequentially('Not me!');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const answer = await bob.waitForEvent(kitchen, isMessage('Not me!'));
    expect(answer.getContent()['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: question } });
    const mine = timeline().locator(`article[data-event-id="${answer.getId()}"]`);
    await mine.getByText('In reply to bob').waitFor();
    expect(await mine.getByText('Who took the scissors?').count()).toBe(1);
    expect(await page.getByText('Replying to bob').count()).toBe(0);

    // The phone reads it: its read receipt shows under my message.
    await bob.client.sendReadReceipt(answer);
    await mine.getByRole('img', { name: 'Read by bob' }).waitFor();

    // The phone's reply carries a rich-reply fallback; only the answer and the quote are shown.
    const { event_id: reply } = await bob.client.sendMessage(kitchen, {
      msgtype: 'm.text',
      body: '> <@anna:test.local> Not me!\n\nOK, sorry',
      'm.relates_to': { 'm.in_reply_to': { event_id: answer.getId() } },
    } as never);
    const theirs = timeline().locator(`article[data-event-id="${reply}"]`);
    await theirs.getByText('In reply to anna').waitFor();
    expect((await theirs.locator('.body').textContent())?.trim()).toBe('OK, sorry');
  });

  it('shows who is typing, and tells the phone when I type', async () => {
    await bob.client.sendTyping(kitchen, true, 20_000);
    await page.getByText('bob is typing…').waitFor();
    await bob.client.sendTyping(kitchen, false, 0);
    await page.getByText('bob is typing…').waitFor({ state: 'detached' });

    const annaTyping = new Promise<void>((resolve) => {
      const onTyping = (_ev: unknown, member: { roomId: string; userId: string; typing: boolean }) => {
        if (member.roomId === kitchen && member.userId === anna.userId && member.typing) {
          bob.client.off('RoomMember.typing' as never, onTyping as never);
          resolve();
        }
      };
      bob.client.on('RoomMember.typing' as never, onTyping as never);
    });
    await page.getByRole('textbox', { name: 'Message' }).pressSequentially('thinking');
    await annaTyping;
    await page.getByRole('textbox', { name: 'Message' }).fill('');
  });

  it('creates a group inviting the phone, switches chats with Ctrl+K, and leaves the group', async () => {
    await page.getByRole('button', { name: '+ New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Holidays');
    await dialog.getByLabel('Topic (optional)').fill('Where shall we go?');
    await dialog.getByLabel('Invite (usernames, separated by commas)').fill('bob');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Holidays' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    await eventually(() => bob.client.getRooms().find((r) => r.name === 'Holidays')?.getMyMembership()).toBe('invite');
    const holidays = bob.client.getRooms().find((r) => r.name === 'Holidays')!.roomId;
    await bob.client.joinRoom(holidays);
    await eventually(() => bob.client.getRoom(holidays)?.hasEncryptionStateEvent()).toBe(true); // private groups: encrypted by default

    await page.keyboard.press('Control+k');
    const switcher = page.getByRole('dialog', { name: 'Switch to a chat' });
    await switcher.getByRole('combobox').pressSequentially('kitch');
    await switcher.getByRole('combobox').press('Enter');
    await page.getByRole('heading', { name: 'Kitchen' }).waitFor();
    await switcher.waitFor({ state: 'detached' });

    await openRoom(page, 'Holidays');
    await page.getByRole('button', { name: 'Leave' }).click();
    await roomButton('Holidays').waitFor({ state: 'detached' });
    await bob.waitForEvent(holidays, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === anna.userId && ev.getContent().membership === 'leave');
  });

  it('starts a direct chat from the user directory, records it in m.direct, and reuses it', async () => {
    const openDm = async () => {
      await page.getByRole('button', { name: '+ New chat' }).click();
      const dialog = page.getByRole('dialog', { name: 'Chat with someone' });
      await dialog.getByRole('searchbox', { name: 'Search people by name' }).pressSequentially('bob');
      await dialog.getByRole('button', { name: /@bob:test\.local/ }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    await openDm();
    await eventually(async () => (await fetch(`${server.url}/_matrix/client/v3/user/${encodeURIComponent(anna.userId)}/account_data/m.direct`, { headers: { Authorization: `Bearer ${anna.accessToken}` } }).then((r) => r.json()))[bob.userId]?.length).toBe(1);
    const direct = await fetch(`${server.url}/_matrix/client/v3/user/${encodeURIComponent(anna.userId)}/account_data/m.direct`, { headers: { Authorization: `Bearer ${anna.accessToken}` } }).then((r) => r.json());
    const dmRoom: string = direct[bob.userId][0];
    await eventually(() => bob.client.getRoom(dmRoom)?.getMyMembership()).toBe('invite');
    const invite = bob.client.getRoom(dmRoom)!.getMember(bob.userId)!.events.member!;
    expect(invite.getContent().is_direct).toBe(true);
    await bob.client.joinRoom(dmRoom);
    // This phone has no encryption (no device keys): a DM it could not read stays unencrypted.
    expect(bob.client.getRoom(dmRoom)!.hasEncryptionStateEvent()).toBe(false);
    await bob.client.sendTextMessage(dmRoom, 'hi anna, just us');
    await messageRow('hi anna, just us').waitFor();

    // Asking again opens the same room instead of making another.
    await openRoom(page, 'Kitchen');
    const roomsBefore = await page.locator('.list .name').count();
    await openDm();
    await messageRow('hi anna, just us').waitFor();
    expect(await page.locator('.list .name').count()).toBe(roomsBefore);
  });

  it('switches to the dark theme and remembers it', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await eventually(() => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())).toBe('#1d1712');
    await page.reload();
    await page.getByRole('navigation', { name: 'Chats' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await openRoom(page, 'Kitchen');
    await messageRow('Dinner at 7?').waitFor();
    await saveScreenshot(page, 'timeline-dark');
    await page.getByLabel('Theme').selectOption('system');
  });

  it('kept every request on loopback, logged no errors, and met no HTTP error but an unstable probe', () => {
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    const unexpected = guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e));
    expect(unexpected).toEqual([]);
  });
});
