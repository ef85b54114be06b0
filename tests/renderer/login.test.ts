// Logging in through the web client served by a real homeserver, in headless Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot, type GuardedPage } from '../helpers/browser.ts';
import { fillLogin, logInThroughUi } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
const opened: GuardedPage[] = [];

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await createUser(server, 'anna', 'correct horse');
});
afterAll(async () => {
  // Every page of the file, checked at the end: nothing left loopback, nothing logged an error.
  const offLoopback = opened.flatMap((p) => p.offLoopback);
  await browser?.close();
  await server?.dispose();
  expect(offLoopback).toEqual([]);
});

async function page(locale?: string) {
  const guarded = await openGuardedPage(browser, { locale });
  opened.push(guarded);
  return guarded;
}

describe('login', () => {
  it('prefills the address of the homeserver that served the page', async () => {
    const { page: p } = await page();
    await p.goto(server.url + '/');
    await eventually(() => p.getByLabel('Homeserver address').inputValue()).toBe(server.url);
  });

  it('asks for http:// when the address has no scheme', async () => {
    const { page: p } = await page();
    await p.goto(server.url + '/');
    await fillLogin(p, { homeserver: `127.0.0.1:${server.port}`, username: 'anna', password: 'correct horse' });
    await eventually(() => p.getByRole('alert').textContent()).toContain('Start the address with http://');
  });

  it('says when the server cannot be reached', async () => {
    const { page: p } = await page();
    await p.goto(server.url + '/');
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    await fillLogin(p, { homeserver: 'http://127.0.0.1:9', username: 'anna', password: 'correct horse' });
    await eventually(() => p.getByRole('alert').textContent(), { timeout: 20_000 }).toContain('Cannot reach http://127.0.0.1:9');
  });

  it('says when the password is wrong, and stays on the login screen', async () => {
    const { page: p, consoleErrors, httpErrors } = await page();
    await p.goto(server.url + '/');
    await fillLogin(p, { username: 'anna', password: 'wrong horse' });
    await eventually(() => p.getByRole('alert').textContent()).toBe('Wrong username or password.');
    expect(await p.getByRole('navigation', { name: 'Chats' }).count()).toBe(0);
    await saveScreenshot(p, 'login-wrong-password');
    expect(httpErrors).toEqual(['403 POST /_matrix/client/v3/login']);
    expect(consoleErrors).toEqual([]);
  });

  it('logs in with the localpart, remembers the session across a reload, and logs out', async () => {
    const { page: p } = await page();
    await logInThroughUi(p, server.url, 'anna', 'correct horse');
    await eventually(() => p.getByText('@anna:test.local').first().isVisible()).toBe(true);
    const stored = await p.evaluate(() => JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null'));
    expect(stored).toMatchObject({ baseUrl: server.url, userId: '@anna:test.local' });

    await p.reload();
    await p.getByRole('navigation', { name: 'Chats' }).waitFor();
    expect(await p.getByLabel('Password').count()).toBe(0);

    await p.getByRole('button', { name: 'Log out' }).click();
    await p.getByLabel('Password').waitFor();
    expect(await p.evaluate(() => localStorage.getItem('meowtrix.session'))).toBeNull();
    // The token is dead on the server too.
    const whoami = await fetch(`${server.url}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${stored.accessToken}` } });
    expect(whoami.status).toBe(401);
  });

  it('accepts a full MXID as the username', async () => {
    const { page: p } = await page();
    await logInThroughUi(p, server.url, '@anna:test.local', 'correct horse');
    await eventually(() => p.getByText('@anna:test.local').first().isVisible()).toBe(true);
  });

  it('is in Chinese for a zh-CN browser', async () => {
    const { page: p } = await page('zh-CN');
    await p.goto(server.url + '/');
    await p.getByLabel('服务器地址').waitFor();
    expect(await p.getByRole('button', { name: '登录' }).isVisible()).toBe(true);
    await fillLogin_zh(p);
    await eventually(() => p.getByRole('alert').textContent()).toBe('用户名或密码错误。');
    await saveScreenshot(p, 'login-zh-CN');
    await p.getByLabel('密码').fill('correct horse');
    await p.getByRole('button', { name: '登录' }).click();
    await p.getByRole('navigation', { name: '聊天' }).waitFor();
    expect(await p.getByRole('button', { name: '退出登录' }).isVisible()).toBe(true);
    expect(await p.getByRole('searchbox', { name: '筛选聊天' }).isVisible()).toBe(true);
  });
});

async function fillLogin_zh(p: import('playwright-core').Page) {
  await p.getByLabel('用户名').fill('anna');
  await p.getByLabel('密码').fill('nope');
  await p.getByRole('button', { name: '登录' }).click();
}
