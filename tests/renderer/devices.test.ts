// My sessions in headless Chromium against a real homeserver: the list, a new session pointed out,
// rename and sign-out (password prompt) seen from the server, the warning before signing out without
// a key backup, and the app returning to login with the reason when another session signs it out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login, registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, type GuardedPage } from '../helpers/browser.ts';
import { createEncryptedRoom, startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let annaId: string;
/** Anna's older session elsewhere (raw HTTP). */
let laptop: LoggedIn;
/** Anna's phone: a new session with encryption, signed in while the app runs. */
let annaPhone: LoggedIn;
let phone: Phone | undefined;
let bob: Phone;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  annaId = await createUser(server, 'anna', 'anna-pw');
  laptop = await login(server, 'anna', 'anna-pw', { initial_device_display_name: 'Old laptop' });
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'));
  guarded = await openGuardedPage(browser);
  page = guarded.page;
});
afterAll(async () => {
  phone?.stop();
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

const sessionsDialog = () => page.getByRole('dialog', { name: 'Your sessions' });
const row = (name: string): Locator => sessionsDialog().getByRole('listitem', { name, exact: true });
const myDeviceId = () => page.evaluate(() => JSON.parse(localStorage.getItem('meowtrix.session')!).deviceId as string);

async function serverDevices(token: string): Promise<{ device_id: string; display_name?: string }[]> {
  const res = await request(server.url, 'GET', '/_matrix/client/v3/devices', { token });
  expect(res.status).toBe(200);
  return res.body.devices;
}

describe('sessions', () => {
  it('points out a new session of mine that signs in while the app runs', async () => {
    // The sessions that exist when the app starts are not news: wait until it has read them.
    const baseline = page.waitForResponse((r) => new URL(r.url()).pathname === '/_matrix/client/v3/devices' && r.request().method() === 'GET');
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    await baseline;
    annaPhone = await login(server, 'anna', 'anna-pw', { initial_device_display_name: 'Anna phone' });
    phone = await startPhone(server.url, annaPhone, { crypto: true });
    const banner = page.getByRole('alert').filter({ hasText: 'A new session signed in to your account: Anna phone. If it was not you, sign it out.' });
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Review sessions' }).click();
    await sessionsDialog().waitFor();
  });

  it('lists my sessions: this one marked, the others with their names, none verified yet', async () => {
    const current = sessionsDialog().locator(`li[data-device-id="${await myDeviceId()}"]`);
    await current.getByText('This session').waitFor();
    await row('Old laptop').waitFor();
    await row('Anna phone').getByText('Not verified').waitFor();
    expect(await sessionsDialog().getByRole('listitem').count()).toBe(3);
    // This session cannot be signed out from here (that is "Log out").
    expect(await current.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('renames a session, and the server has the new name', async () => {
    await row('Anna phone').getByRole('button', { name: 'Rename' }).click();
    const input = sessionsDialog().getByLabel('Name of this session');
    await input.fill('Kitchen tablet');
    await sessionsDialog().getByRole('button', { name: 'Save' }).click();
    await row('Kitchen tablet').waitFor();
    const devices = await serverDevices(laptop.accessToken);
    expect(devices.find((d) => d.device_id === annaPhone.deviceId)?.display_name).toBe('Kitchen tablet');
  });

  it('signs out another session after asking for the password; its token is refused afterwards', async () => {
    await row('Kitchen tablet').getByRole('button', { name: 'Sign out' }).click();
    const prompt = sessionsDialog().getByRole('form', { name: 'Sign out' });
    await prompt.getByText('Sign out Kitchen tablet?').waitFor();
    await prompt.getByLabel('Password').fill('not-my-password');
    await prompt.getByRole('button', { name: 'Sign out' }).click();
    await prompt.getByText('That password is not right. Try again.').waitFor();
    await prompt.getByLabel('Password').fill('anna-pw');
    await prompt.getByRole('button', { name: 'Sign out' }).click();
    await row('Old laptop').waitFor();
    await eventually(() => row('Kitchen tablet').count()).toBe(0);
    phone?.stop();

    const whoami = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: annaPhone.accessToken });
    expect(whoami.status).toBe(401);
    expect(whoami.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await serverDevices(laptop.accessToken)).map((d) => d.device_id)).not.toContain(annaPhone.deviceId);
    // The banner about it goes once the list is closed and re-checked.
    await sessionsDialog().getByRole('button', { name: 'Close' }).click();
    await eventually(() => page.getByText('A new session signed in').count()).toBe(0);
  });

  it('warns before signing out while encrypted chats exist and no key backup is set up', async () => {
    const secrets = await createEncryptedRoom(bob, 'Secrets', [annaId]);
    expect((await request(server.url, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(secrets)}`, { token: laptop.accessToken, body: {} })).status).toBe(200);
    await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: /^Secrets/ }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    const warning = page.getByRole('dialog', { name: 'Sign out without a backup?' });
    await warning.getByText('You may lose access to your encrypted messages.').waitFor();
    await warning.getByRole('button', { name: 'Stay signed in' }).click();
    await warning.waitFor({ state: 'detached' });
    expect(await page.getByRole('navigation', { name: 'Chats' }).isVisible()).toBe(true);
  });

  it('returns to login with the reason, server and name filled in, when another session signs this one out', async () => {
    const deviceId = await myDeviceId();
    const path = `/_matrix/client/v3/devices/${encodeURIComponent(deviceId)}`;
    const challenge = await request(server.url, 'DELETE', path, { token: laptop.accessToken, body: {} });
    expect(challenge.status).toBe(401);
    const done = await request(server.url, 'DELETE', path, {
      token: laptop.accessToken,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'anna' }, password: 'anna-pw', session: challenge.body.session } },
    });
    expect(done.status).toBe(200);

    await page.getByText('You were signed out from another session. Log in again to continue.').waitFor();
    expect(await page.getByLabel('Homeserver address').inputValue()).toBe(server.url);
    expect(await page.getByLabel('Username').inputValue()).toBe(annaId);
    expect(await page.evaluate(() => localStorage.getItem('meowtrix.session'))).toBeNull();
  });

  it('logs in again with the password only, and "sign out anyway" signs out', async () => {
    await page.getByLabel('Password').fill('anna-pw');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: /^Secrets/ }).waitFor();
    const deviceId = await myDeviceId();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('dialog', { name: 'Sign out without a backup?' }).getByRole('button', { name: 'Sign out anyway' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.getByText('You were signed out').count()).toBe(0);
    expect((await serverDevices(laptop.accessToken)).map((d) => d.device_id)).not.toContain(deviceId);
  });

  it('speaks Chinese in a zh-CN browser: sessions and notice settings', async () => {
    const zh = await openGuardedPage(browser, { locale: 'zh-CN' });
    try {
      await zh.page.goto(server.url + '/');
      await zh.page.getByLabel('用户名').fill('anna');
      await zh.page.getByLabel('密码').fill('anna-pw');
      await zh.page.locator('button[type="submit"]').click();
      await zh.page.getByRole('navigation').first().waitFor();
      await zh.page.locator('button.profile').click();
      await zh.page.getByLabel('新消息提醒').waitFor();
      await zh.page.getByRole('button', { name: '会话' }).click();
      const dialog = zh.page.getByRole('dialog', { name: '你的会话' });
      await dialog.getByText('当前会话').waitFor();
      await dialog.getByRole('listitem', { name: 'Old laptop' }).getByRole('button', { name: '退出登录' }).waitFor();
      expect(zh.consoleErrors).toEqual([]);
    } finally {
      await zh.context.close();
    }
  });

  it('kept every request on loopback, logged no errors, and met no HTTP error but the expected ones', () => {
    expect(guarded.offLoopback).toEqual([]);
    // The SDK logs the moment its token is refused (no refresh token to try; the crypto's request in
    // flight failed) and, as the client stops at sign-out, the crypto's requests it aborts: that is
    // this session being signed out, the cases tested above.
    const signedOutNoise = /^Unable to refresh token - no refresh token|M_UNKNOWN_TOKEN|^Failed to process outgoing request \d+: AbortError/;
    expect(guarded.consoleErrors.filter((e) => !signedOutNoise.test(e))).toEqual([]);
    const expected = [
      ...EXPECTED_HTTP_ERRORS,
      // The first sign-out request is answered with the password challenge, the wrong password too.
      '401 POST /_matrix/client/v3/delete_devices',
    ];
    const unexpected = guarded.httpErrors.filter((e) => !expected.includes(e));
    // Once this session was signed out elsewhere, its requests in flight are refused: that is how it learns.
    expect(unexpected.filter((e) => !e.startsWith('401 '))).toEqual([]);
  });
});
