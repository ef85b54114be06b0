// Secure backup and restore in the renderer (headless Chromium, Rust crypto in WASM): set it up on
// first login (the recovery key is shown once, copied from the page and saved as a file), talk in an
// encrypted room with a Rust-crypto peer, log out, log in on a fresh browser profile (no IndexedDB,
// so no keys), and the recovery key brings the older encrypted messages back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, registerAndLogin } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, type GuardedPage } from '../helpers/browser.ts';
import { createEncryptedRoom, startPhone, type Phone } from './phone.ts';
import { acceptInvitationThroughUi, EXPECTED_HTTP_ERRORS, isMessage, logInThroughUi, openRoom, sendMessage } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let first: GuardedPage;
let second: GuardedPage;
let annaId: string;
let bob: Phone;
let recoveryKey: string;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  annaId = await createUser(server, 'anna', 'anna-pw');
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'), { crypto: true });
  first = await openGuardedPage(browser);
}, 60_000);
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

const messageRow = (g: GuardedPage, text: string) => g.page.getByRole('log', { name: 'Messages' }).locator('article').filter({ hasText: text });
const accessToken = (g: GuardedPage) => g.page.evaluate(() => (JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null') as { accessToken: string }).accessToken);

async function backedUpKeyCount(token: string): Promise<number> {
  const res = await fetch(`${server.url}/_matrix/client/v3/room_keys/version`, { headers: { Authorization: `Bearer ${token}` } });
  return res.ok ? ((await res.json()) as { count: number }).count : 0;
}

describe('secure backup with a recovery key', () => {
  it('offers secure backup on first login; the key is shown once, copied and saved as a file', async () => {
    const { page, context } = first;
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    await page.getByRole('region', { name: 'Set up secure backup' }).getByRole('button', { name: 'Set up secure backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set up secure backup' });
    const keyBox = dialog.getByRole('status', { name: 'Your recovery key' });
    await eventually(async () => (await keyBox.textContent())?.trim() ?? '').toMatch(/^(\w{4} ){10,}\w{1,4}$/);
    recoveryKey = (await keyBox.textContent())!.trim();

    await dialog.getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryKey);
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save as file' }).click()]);
    expect(download.suggestedFilename()).toBe('meowtrix-recovery-key.txt');
    expect(fs.readFileSync(await download.path(), 'utf8').trim()).toBe(recoveryKey);

    // Nothing is stored until the person says they saved the key.
    const turnOn = dialog.getByRole('button', { name: 'Turn on secure backup' });
    expect(await turnOn.isDisabled()).toBe(true);
    await dialog.getByLabel('I saved my recovery key').check();
    await turnOn.click();
    await dialog.getByText('Secure backup is on.').waitFor({ timeout: 60_000 });
    expect(await dialog.getByText(recoveryKey).count()).toBe(0); // shown once: gone now
    await dialog.getByRole('button', { name: 'Close' }).click();
    await eventually(() => bob.client.getCrypto()!.userHasCrossSigningKeys(annaId, true)).toBe(true);

    // Settings say so.
    await page.getByRole('button', { name: 'Edit my profile' }).click();
    const profile = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Security' }) });
    await profile.getByText('Secure backup: on').waitFor();
    await profile.getByText('This session is verified').waitFor();
    await page.keyboard.press('Escape');
  });

  it('backs up the keys of an encrypted conversation with a peer', async () => {
    const { page } = first;
    const roomId = await createEncryptedRoom(bob, 'Old times', [annaId]);
    await acceptInvitationThroughUi(page, bob, roomId, 'Old times', annaId);

    await bob.client.sendTextMessage(roomId, 'The spare key is under the blue pot');
    await messageRow(first, 'The spare key is under the blue pot').waitFor();
    await sendMessage(page, 'Thanks, I will remember');
    expect((await bob.waitForEvent(roomId, isMessage('Thanks, I will remember'))).isEncrypted()).toBe(true);

    // Both conversation keys (bob's and anna's own) reach the server's backup (the crypto uploads them in the background).
    const token = await accessToken(first);
    await eventually(() => backedUpKeyCount(token), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  });

  it('on a fresh browser profile, the recovery key makes the older encrypted messages readable', async () => {
    // Log out (the key backup is on, so no warning stands in the way).
    await first.page.getByRole('button', { name: 'Log out' }).click();
    await first.page.getByRole('button', { name: 'Log in' }).waitFor();

    second = await openGuardedPage(browser); // a new profile: no IndexedDB, so no keys from before
    const { page } = second;
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    await openRoom(page, 'Old times');
    await page.getByRole('heading', { name: 'Old times' }).waitFor();
    // Without the keys the old messages cannot be read yet.
    await eventually(() => messageRow(second, 'Unable to decrypt this message').count()).toBeGreaterThanOrEqual(2);
    expect(await messageRow(second, 'The spare key is under the blue pot').count()).toBe(0);

    await page.getByRole('region', { name: 'Verify this session' }).getByRole('button', { name: 'Verify this session' }).click();
    const dialog = page.getByRole('dialog', { name: 'Verify this session' });
    // A mistyped key is refused with words a person understands, and changes nothing.
    await dialog.getByLabel('Recovery key').fill('EsTj 3yST y93F SLpB jJsz');
    await dialog.getByRole('button', { name: 'Use recovery key' }).click();
    await dialog.getByRole('alert').getByText('That is not a recovery key.', { exact: false }).waitFor();

    await dialog.getByLabel('Recovery key').fill(recoveryKey);
    await dialog.getByRole('button', { name: 'Use recovery key' }).click();
    await dialog.getByText(/^This session is verified\. Keys for \d+ encrypted messages were restored\.$/).waitFor({ timeout: 60_000 });
    const restored = Number((await dialog.getByText(/^This session is verified/).textContent())!.match(/\d+/)![0]);
    expect(restored).toBeGreaterThanOrEqual(2);
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The timeline re-renders as the old messages decrypt.
    await messageRow(second, 'The spare key is under the blue pot').waitFor();
    await messageRow(second, 'Thanks, I will remember').waitFor();
    expect(await messageRow(second, 'Unable to decrypt this message').count()).toBe(0);
    // The sidebar prompt is gone: this session is verified (signed by the identity from secure storage).
    expect(await page.getByRole('region', { name: 'Verify this session' }).count()).toBe(0);
    await eventually(async () => {
      const device = await page.evaluate(() => (JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null') as { deviceId: string }).deviceId);
      return (await bob.client.getCrypto()!.getDeviceVerificationStatus(annaId, device))?.signedByOwner ?? false;
    }).toBe(true);
  });

  it('kept every request on loopback and logged no errors', () => {
    for (const g of [first, second]) {
      expect(g.offLoopback).toEqual([]);
      expect(g.consoleErrors).toEqual([]);
      expect(g.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e))).toEqual([]);
    }
  });
});
