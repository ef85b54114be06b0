// Rooms and people, and my profile, in headless Chromium against a real server: the member list with
// power levels, inviting into an existing room, room name/topic/picture, leaving; display name and
// picture, shown as authenticated thumbnails in the room list and the timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import type { MatrixEvent } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, registerAndLogin } from '../helpers/accounts.ts';
import { enc, TestUser } from '../helpers/rooms.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot, type GuardedPage } from '../helpers/browser.ts';
import { startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi, openRoom } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let anna: TestUser;
let bob: Phone;
let carolId: string;
let family: string;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  anna = new TestUser(server, await registerAndLogin(server, 'anna', 'anna-pw'));
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'));
  carolId = await createUser(server, 'carol', 'carol-pw');
  family = await anna.createRoom({ name: 'Family', preset: 'private_chat', invite: [bob.userId] });
  await bob.client.joinRoom(family);
  const power = await anna.ok('GET', `/rooms/${enc(family)}/state/m.room.power_levels/`);
  await anna.ok('PUT', `/rooms/${enc(family)}/state/m.room.power_levels/`, { ...power, users: { ...power.users, [bob.userId]: 50 } });
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  page.on('dialog', (d) => void d.accept());
  await logInThroughUi(page, server.url, 'anna', 'anna-pw');
});
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

const roomButton = (name: string) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(`^${name}`) });
const settings = () => page.getByRole('dialog', { name: 'Room settings' });
const memberRow = (userId: string) => settings().getByRole('list', { name: 'Members' }).locator('li').filter({ hasText: userId });
const stateOf = (type: string) => (ev: MatrixEvent) => ev.getType() === type && ev.getSender() === anna.userId;

function png(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 200, height: 160, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/** The picture shown in `scope`: its mxc:// URL, once the thumbnail has really loaded. */
async function shownPicture(scope: Locator): Promise<string | null> {
  const img = scope.locator('img.avatar').first();
  if ((await img.count()) === 0) return null;
  const loaded = await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0);
  return loaded ? await img.getAttribute('data-mxc') : null;
}

describe('rooms and people', () => {
  it('lists members with their power levels', async () => {
    await openRoom(page, 'Family');
    await page.getByRole('button', { name: 'Room settings' }).click();
    await eventually(() => memberRow(anna.userId).textContent()).toContain('Admin (100)');
    await eventually(() => memberRow(bob.userId).textContent()).toContain('Moderator (50)');
  });

  it('invites someone into the existing room', async () => {
    await settings().getByLabel('Invite people').fill('carol');
    await settings().getByRole('button', { name: 'Invite', exact: true }).click();
    await eventually(async () => (await anna.call('GET', `/rooms/${enc(family)}/state/m.room.member/${enc(carolId)}`)).body?.membership).toBe('invite');
    await eventually(() => memberRow(carolId).textContent()).toContain('Invited');
    expect(await settings().getByLabel('Invite people').inputValue()).toBe('');
  });

  it('renames the room, sets its topic and picture; the phone sees each and the room list shows the picture', async () => {
    await settings().getByLabel('Name').fill('Family home');
    await settings().getByLabel('Topic').fill('Who buys the milk');
    await settings().getByRole('button', { name: 'Save' }).click();
    await bob.waitForEvent(family, (ev) => stateOf('m.room.name')(ev) && ev.getContent().name === 'Family home');
    await bob.waitForEvent(family, (ev) => stateOf('m.room.topic')(ev) && ev.getContent().topic === 'Who buys the milk');

    await settings().getByLabel('Change picture…').setInputFiles({ name: 'house.png', mimeType: 'image/png', buffer: await png(30, 120, 200) });
    const avatar = (await bob.waitForEvent(family, stateOf('m.room.avatar'))).getContent().url as string;
    expect(avatar).toMatch(/^mxc:\/\//);
    await eventually(() => shownPicture(roomButton('Family home'))).toBe(avatar);
    await eventually(() => shownPicture(page.locator('.room-header'))).toBe(avatar);
    await eventually(() => page.locator('.room-header').textContent()).toContain('Who buys the milk');
    await saveScreenshot(page, 'room-settings');
    await settings().getByRole('button', { name: 'Close' }).click();
    await settings().waitFor({ state: 'detached' });
  });
});

describe('my profile', () => {
  it('sets my display name and picture; the phone sees them and the timeline shows the picture', async () => {
    await page.getByRole('button', { name: 'Edit my profile' }).click();
    const dialog = page.getByRole('dialog', { name: 'My profile' });
    await dialog.getByLabel('Display name').fill('Anna K');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('status').waitFor();
    await dialog.getByLabel('Change picture…').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await png(220, 60, 120) });

    await eventually(async () => (await anna.ok('GET', `/profile/${enc(anna.userId)}`)).avatar_url ?? null).toMatch(/^mxc:\/\//);
    const profile = await anna.ok('GET', `/profile/${enc(anna.userId)}`);
    expect(profile.displayname).toBe('Anna K');
    await eventually(() => bob.client.getRoom(family)?.getMember(anna.userId)?.name).toBe('Anna K');
    await eventually(() => bob.client.getRoom(family)?.getMember(anna.userId)?.getMxcAvatarUrl()).toBe(profile.avatar_url);
    await eventually(() => shownPicture(dialog)).toBe(profile.avatar_url);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await eventually(() => page.locator('.me').textContent()).toContain('Anna K');

    const box = page.getByRole('textbox', { name: 'Message' });
    await box.click();
    await box.pressSequentially('Milk is on me');
    await box.press('Enter');
    const row = page.getByRole('log', { name: 'Messages' }).locator('article').filter({ hasText: 'Milk is on me' });
    await row.waitFor();
    await eventually(() => shownPicture(row)).toBe(profile.avatar_url);
    expect(await row.textContent()).toContain('Anna K');
  });

  it('shows initials for people without a picture', async () => {
    await bob.client.sendTextMessage(family, 'no picture here');
    const row = page.getByRole('log', { name: 'Messages' }).locator('article').filter({ hasText: 'no picture here' });
    await row.waitFor();
    expect(await row.locator('img.avatar').count()).toBe(0);
    expect(await row.locator('span.avatar').first().textContent()).toBe('B');
  });
});

describe('in Chinese', () => {
  it('room settings and the profile speak zh-CN', async () => {
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('button', { name: '聊天设置' }).click();
    const dialog = page.getByRole('dialog', { name: '聊天设置' });
    await eventually(() => dialog.getByRole('list', { name: '成员' }).locator('li').filter({ hasText: anna.userId }).textContent()).toContain('管理员（100）');
    expect(await dialog.getByLabel('邀请成员').isVisible()).toBe(true);
    await dialog.getByRole('button', { name: '关闭' }).click();
    await page.getByRole('button', { name: '编辑我的资料' }).click();
    const profile = page.getByRole('dialog', { name: '我的资料' });
    expect(await profile.getByLabel('昵称').inputValue()).toBe('Anna K');
    await profile.getByRole('button', { name: '关闭' }).click();
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('button', { name: 'Room settings' }).waitFor();
  });
});

describe('leaving', () => {
  it('leaves the room from its settings', async () => {
    await page.getByRole('button', { name: 'Room settings' }).click();
    await settings().getByRole('button', { name: 'Leave' }).click();
    await roomButton('Family home').waitFor({ state: 'detached' });
    await bob.waitForEvent(family, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === anna.userId && ev.getContent().membership === 'leave');
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    expect(guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e))).toEqual([]);
  });
});
