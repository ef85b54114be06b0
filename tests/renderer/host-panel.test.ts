// The host panel in headless Chromium, with window.meowtrix provided by a harness that calls the REAL
// main-side IPC handlers (settings, supervisor forking the real server entry, host admin, backup):
// first run hosts a server and logs the window in; an account made in the panel logs in with
// matrix-js-sdk at once; a token made in the panel registers an account; the QR decodes to the shown URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsQRModule from 'jsqr';
import { createClient } from 'matrix-js-sdk';
import type { Browser, Page } from 'playwright-core';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot, type GuardedPage } from '../helpers/browser.ts';
import { desktopHarness, serveRenderer, type DesktopHarness } from '../helpers/host.ts';
import { request } from '../helpers/server.ts';
import { createUser, login } from '../helpers/accounts.ts';
import { TestUser } from '../helpers/rooms.ts';
import type { IpcChannel } from '../../main/ipc-contract.ts';

// jsqr is CommonJS built from `export default`: under Node's ESM loader the function sits on .default.
const jsQR = jsQRModule.default;

let browser: Browser;
let h: DesktopHarness;
let guarded: GuardedPage;
let page: Page;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;

/** Every IPC call the pages made, in order (to prove nothing is polled). */
const invoked: IpcChannel[] = [];

/** Installs the preload's API shape on window.meowtrix, each call going to the real handler. */
async function installDesktopBridge(p: Page, harness: DesktopHarness): Promise<void> {
  await p.exposeFunction('__meowtrixInvoke', (channel: IpcChannel, args: unknown[]) => {
    invoked.push(channel);
    return harness.handlers[channel](args);
  });
  await p.addInitScript(() => {
    const invoke = (window as any).__meowtrixInvoke as (channel: string, args: unknown[]) => Promise<unknown>;
    const listeners = new Set<(view: unknown) => void>();
    const liveListeners = new Set<(status: unknown) => void>();
    (window as any).__meowtrixHostingChanged = (view: unknown) => listeners.forEach((l) => l(view));
    (window as any).__meowtrixLiveStatus = (status: unknown) => liveListeners.forEach((l) => l(status));
    (window as any).meowtrix = {
      getAppInfo: () => invoke('app:get-info', []),
      setUnreadCount: (count: unknown) => invoke('app:set-unread', [count]),
      showWindow: () => invoke('app:show-window', []),
      getSettings: () => invoke('settings:get', []),
      setSettings: (patch: unknown) => invoke('settings:set', [patch]),
      getHosting: () => invoke('hosting:get', []),
      setHosting: (on: unknown) => invoke('hosting:set', [on]),
      createHostAdmin: (u: unknown, pw: unknown) => invoke('hosting:create-admin', [u, pw]),
      getHostAdminSession: () => invoke('hosting:admin-session', []),
      backupNow: () => invoke('hosting:backup', []),
      getHostingStats: () => invoke('hosting:stats', []),
      restoreBackup: () => invoke('hosting:restore', []),
      checkReachability: () => invoke('hosting:reachability', []),
      onHostingChanged: (l: (view: unknown) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      watchHostStatus: (l: (status: unknown) => void) => {
        liveListeners.add(l);
        void invoke('hosting:watch-status', [true]);
        return () => {
          liveListeners.delete(l);
          void invoke('hosting:watch-status', [false]);
        };
      },
      signInHostAdmin: (u: unknown, pw: unknown) => invoke('hosting:admin-sign-in', [u, pw]),
    };
  });
  // Main relays the server's live status to the window (webContents.send in the app).
  harness.host.onLiveStatus((status) => {
    void p.evaluate((s) => (window as any).__meowtrixLiveStatus?.(s), status).catch(() => {});
  });
  // Main pushes status changes to the window (webContents.send in the app).
  harness.supervisor.on('status', () => {
    void p.evaluate((view) => (window as any).__meowtrixHostingChanged?.(view), harness.host.view()).catch(() => {});
  });
}

beforeAll(async () => {
  assertRendererBuilt();
  // "Phones and PCs on the home network" is chosen, but tests listen on 127.0.0.1 only, so the bind
  // address and the machine's LAN listing (both unit-tested in tests/main) are swapped for loopback:
  // what is under test here is that the QR encodes exactly the shown text.
  const harness = desktopHarness({ bind: 'lan', bindAddress: () => '127.0.0.1', listPhoneUrls: (port) => [`http://127.0.0.1:${port}`] });
  [browser, h, renderer] = await Promise.all([launchBrowser(), harness, serveRenderer()]);
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  await installDesktopBridge(page, h);
});
afterAll(async () => {
  await browser?.close();
  await h?.dispose();
  await renderer?.close();
  expect(guarded?.offLoopback ?? []).toEqual([]);
});

describe('host panel', () => {
  it('first run: "host one here" starts the server, makes the admin account and logs the window in', async () => {
    await page.goto(renderer.url);
    const welcome = page.getByRole('dialog', { name: 'Welcome to Meowtrix' });
    await welcome.getByRole('button', { name: 'Host the server on this PC' }).click();
    await welcome.getByLabel('Name').fill('mum');
    await welcome.getByLabel('Password').fill('mum-secret-pass');
    await welcome.getByRole('button', { name: 'Start hosting' }).click();
    await page.getByRole('navigation', { name: 'Chats' }).waitFor({ timeout: 30_000 });
    expect(h.supervisor.status.state).toBe('running');
    expect(h.settings.get()).toMatchObject({ hosting: true, serverNameLocked: true });
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null'));
    expect(stored).toMatchObject({ userId: '@mum:host.test', baseUrl: h.supervisor.status.url });
  }, 60_000);

  it('shows the phone address with a QR code that decodes to exactly that text', async () => {
    await page.getByRole('button', { name: 'Host server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    await eventually(() => dialog.locator('.state').getAttribute('data-state')).toBe('running');
    // Status (live from the server): accounts and disk use of the data dir.
    await eventually(() => dialog.getByText('1 accounts').isVisible()).toBe(true);
    await eventually(() => dialog.getByText(/^Storage: database \d+ KiB/).isVisible()).toBe(true);
    const shown = (await dialog.getByTestId('phone-url').first().textContent())!.trim();
    expect(shown).toBe(h.supervisor.status.url);
    const pixels = await dialog.getByLabel(`QR code for ${shown}`).evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return { width: data.width, height: data.height, rgba: Array.from(data.data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(pixels.rgba), pixels.width, pixels.height);
    expect(decoded?.data).toBe(shown);
    // Reachability self-check: each address probed from main.
    await dialog.getByRole('button', { name: 'Check the connection' }).click();
    await eventually(() => dialog.getByText(`${shown}: answers`).isVisible()).toBe(true);
    // The three FluffyChat steps: type http://, name only.
    await expect.poll(() => dialog.getByText('starting with http://').isVisible()).toBe(true);
    expect(await dialog.getByText('not @anna:host.test').isVisible()).toBe(true);
  }, 30_000);

  it('creates an account with a generated password that logs in with matrix-js-sdk at once', async () => {
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    const accounts = dialog.getByRole('region', { name: 'Accounts' });
    await eventually(() => accounts.locator('[data-user="@mum:host.test"]').isVisible()).toBe(true);
    // The window's own session (and the panel's) have just been used.
    await eventually(() => accounts.getByTestId('active-devices').textContent()).toMatch(/: [1-9]\d*$/);
    await accounts.getByLabel('Name').fill('bob');
    await accounts.getByRole('button', { name: 'Create account' }).click();
    const password = (await accounts.getByTestId('shown-password').textContent({ timeout: 20_000 }))!.trim();
    expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    await eventually(() => accounts.locator('[data-user="@bob:host.test"]').isVisible()).toBe(true);

    const client = createClient({ baseUrl: h.supervisor.status.url! });
    const login = await client.loginWithPassword('bob', password);
    expect(login.user_id).toBe('@bob:host.test');

    // A typed password is used as typed; the new account shows in the list.
    await accounts.getByLabel('Name').fill('carol');
    await accounts.getByLabel('Password').fill('carol typed this');
    await accounts.getByRole('button', { name: 'Create account' }).click();
    await eventually(() => accounts.getByTestId('shown-password').textContent()).toBe('carol typed this');
    expect((await createClient({ baseUrl: h.supervisor.status.url! }).loginWithPassword('carol', 'carol typed this')).user_id).toBe('@carol:host.test');

    // Devices: bob's session is listed and can be signed out from the panel.
    const bob = accounts.locator('[data-user="@bob:host.test"]');
    await bob.getByRole('button', { name: 'Devices' }).click();
    await bob.getByRole('button', { name: 'Sign out' }).first().click();
    await eventually(() => bob.getByText('No devices signed in.').isVisible()).toBe(true);
    const whoami = await request(h.supervisor.status.url!, 'GET', '/_matrix/client/v3/account/whoami', { token: login.access_token });
    expect(whoami.status).toBe(401);
    await saveScreenshot(page, 'host-panel-accounts');
  }, 60_000);

  it('creates a registration token that lets someone register, and revokes one', async () => {
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    const tokens = dialog.getByRole('region', { name: 'Registration tokens' });
    await tokens.getByLabel('Uses (empty: unlimited)').fill('1');
    await tokens.getByLabel('Valid for days (empty: no expiry)').fill('7');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const token = (await tokens.getByTestId('registration-token').first().textContent({ timeout: 20_000 }))!.trim();
    expect(token.length).toBeGreaterThan(0);

    const url = h.supervisor.status.url!;
    const first = await request(url, 'POST', '/_matrix/client/v3/register', { body: { username: 'dora', password: 'dora-password' } });
    expect(first.status).toBe(401);
    expect(first.body.flows).toContainEqual({ stages: ['m.login.registration_token'] });
    const done = await request(url, 'POST', '/_matrix/client/v3/register', {
      body: { username: 'dora', password: 'dora-password', auth: { type: 'm.login.registration_token', token, session: first.body.session } },
    });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe('@dora:host.test');

    await tokens.getByRole('button', { name: 'Revoke' }).first().click();
    await eventually(() => tokens.getByText('No tokens.').isVisible()).toBe(true);
    const admin = (await h.host.adminSession())!;
    const gone = await request(url, 'GET', `/_synapse/admin/v1/registration_tokens/${encodeURIComponent(token)}`, { token: admin.accessToken });
    expect(gone.status).toBe(404);
  }, 60_000);

  it('status changes live when a phone sends a message, and nothing is polled', async () => {
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    const messages = dialog.getByTestId('status-messages');
    await eventually(() => messages.textContent()).toMatch(/^Messages today: \d+$/);
    const before = Number((await messages.textContent())!.match(/\d+/)![0]);

    // A phone (raw HTTP, as FluffyChat would) signs in, makes a room and says something.
    const url = h.supervisor.status.url!;
    const server = { url, dataDir: h.dataDir };
    await createUser(server, 'phone', 'phone-password');
    const phone = new TestUser(server, await login(server, 'phone', 'phone-password', { initial_device_display_name: 'Kitchen phone' }));
    const roomId = await phone.createRoom({ name: 'Groceries' });
    await phone.text(roomId, 'we need milk');
    await eventually(() => messages.textContent()).toBe(`Messages today: ${before + 1}`);
    await eventually(() => dialog.getByTestId('status-connected').textContent()).toContain('Kitchen phone');
    await eventually(() => dialog.getByTestId('status-accounts').textContent()).toMatch(/^\d+ accounts$/);
    await dialog.getByTestId('status-messages').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'host-panel-status');

    // Quiet for 3.5 s: no IPC call and no admin request from the page (only the uptime clock ticks).
    const adminRequests: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (/\/_meowtrix\/|\/_synapse\/admin\//.test(r.url())) adminRequests.push(r.url());
    };
    page.on('request', onRequest);
    const calls = invoked.length;
    await new Promise((r) => setTimeout(r, 3_500));
    expect(invoked.slice(calls)).toEqual([]);
    expect(adminRequests).toEqual([]);
    // ...yet the next message still arrives, pushed.
    await phone.text(roomId, 'and eggs');
    await eventually(() => messages.textContent()).toBe(`Messages today: ${before + 2}`);
    page.off('request', onRequest);
    expect(invoked.slice(calls)).toEqual([]);
    expect(invoked.filter((c) => c === 'hosting:watch-status' || c === 'hosting:stats')).toEqual(['hosting:watch-status']);
  }, 60_000);

  it('when the panel\'s admin token is revoked, the next panel action still works (token re-minted)', async () => {
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    const accounts = dialog.getByRole('region', { name: 'Accounts' });
    const url = h.supervisor.status.url!;
    const old = (await h.host.adminSession())!;
    // Another client signs the panel's device out (what "sign out all other sessions" does).
    expect((await request(url, 'POST', '/_matrix/client/v3/logout', { token: old.accessToken, body: {} })).status).toBe(200);
    await accounts.getByLabel('Name').fill('erin');
    await accounts.getByLabel('Password').fill('erin typed this');
    await accounts.getByRole('button', { name: 'Create account' }).click();
    await eventually(() => accounts.getByTestId('shown-password').textContent()).toBe('erin typed this');
    await eventually(() => accounts.locator('[data-user="@erin:host.test"]').isVisible()).toBe(true);
    expect((await createClient({ baseUrl: url }).loginWithPassword('erin', 'erin typed this')).user_id).toBe('@erin:host.test');
    const renewed = (await h.host.adminSession())!;
    expect(renewed.accessToken).not.toBe(old.accessToken);
    expect(renewed.deviceId).toBe(old.deviceId);
    // The live status carried on (main's socket renewed its token too).
    await eventually(() => dialog.getByTestId('status-accounts').textContent()).toMatch(/^\d+ accounts$/);
    expect(await dialog.getByRole('heading', { name: 'Sign the panel in again' }).count()).toBe(0);
  }, 60_000);

  it('speaks Chinese when the app does', async () => {
    const zh = await openGuardedPage(browser, { locale: 'zh-CN' });
    await installDesktopBridge(zh.page, h);
    await zh.page.goto(renderer.url);
    await zh.page.getByRole('button', { name: '托管服务器' }).click();
    const dialog = zh.page.getByRole('dialog', { name: '托管服务器' });
    await eventually(() => dialog.getByText('手机如何连接').isVisible()).toBe(true);
    expect(await dialog.getByRole('switch', { name: '在这台电脑上托管服务器' }).isChecked()).toBe(true);
    expect(zh.offLoopback).toEqual([]);
    await zh.context.close();
  }, 30_000);

  it('turning the switch off stops the server live', async () => {
    const dialog = page.getByRole('dialog', { name: 'Host server' });
    const url = h.supervisor.status.url!;
    await dialog.getByRole('switch', { name: 'Host server on this PC' }).uncheck();
    await eventually(() => dialog.locator('.state').getAttribute('data-state')).toBe('stopped');
    expect(h.settings.get().hosting).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(guarded.consoleErrors.filter((e) => !/Failed to fetch|ERR_CONNECTION_REFUSED|sync/i.test(e))).toEqual([]);
  }, 30_000);
});
