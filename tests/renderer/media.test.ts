// Files in the chat client, in headless Chromium against a real homeserver, with a matrix-js-sdk phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { Preset, type MatrixEvent } from 'matrix-js-sdk';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot, type GuardedPage } from '../helpers/browser.ts';
import { startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi, openRoom } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let bobSession: LoggedIn;
let bob: Phone;
let roomId: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-media-'));

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  const anna = await registerAndLogin(server, 'anna', 'anna-pw');
  bobSession = await registerAndLogin(server, 'bob', 'bob-pw');
  bob = await startPhone(server.url, bobSession);
  roomId = (await bob.client.createRoom({ name: 'Photos', preset: Preset.PublicChat })).room_id;
  await fetch(`${server.url}/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
    method: 'POST', headers: { Authorization: `Bearer ${anna.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
  });
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  await logInThroughUi(page, server.url, 'anna', 'anna-pw');
  await openRoom(page, 'Photos');
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
});
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What the phone downloads for an mxc:// URI, through authenticated media. */
async function phoneDownload(mxc: string): Promise<Buffer> {
  const [serverName, mediaId] = mxc.slice('mxc://'.length).split('/');
  const res = await fetch(`${server.url}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, { headers: { Authorization: `Bearer ${bobSession.accessToken}` } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const fromAnna = (msgtype: string, body: string) => (ev: MatrixEvent) =>
  ev.getType() === 'm.room.message' && ev.getContent().msgtype === msgtype && ev.getContent().body === body;

async function throttleUploads(bytesPerSecond: number | null): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond ?? -1 });
}

describe('files in the chat', () => {
  it('attaches an image with the file button: preview, then m.image with size and thumbnail; shown inline', async () => {
    const png = await sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: 240, g: 120, b: 30 } } }).png().toBuffer();
    await page.getByTestId('file-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const tray = page.getByRole('region', { name: 'Files to send' });
    await tray.getByRole('img', { name: 'sunset.png' }).waitFor();
    await tray.getByRole('button', { name: 'Send files' }).click();

    const ev = await bob.waitForEvent(roomId, fromAnna('m.image', 'sunset.png'));
    const content = ev.getContent();
    expect(content.info).toMatchObject({ w: 1200, h: 900, size: png.length, mimetype: 'image/png' });
    expect(content.info.thumbnail_info).toMatchObject({ w: 800, h: 600, mimetype: 'image/jpeg' });
    expect(content.info.thumbnail_url).toMatch(/^mxc:\/\//);
    expect(sha256(await phoneDownload(content.url))).toBe(sha256(png));
    const thumb = await phoneDownload(content.info.thumbnail_url);
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 800, height: 600, format: 'jpeg' });

    const shown = page.locator(`article[data-event-id="${ev.getId()}"] img`);
    await eventually(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await shown.getAttribute('src')).toMatch(/^blob:/);
    await tray.waitFor({ state: 'detached' });
  });

  it('shows an image the phone sends, and opens the full image on click (Esc closes it)', async () => {
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 20, g: 90, b: 200 } } }).jpeg().toBuffer();
    const { content_uri } = await bob.client.uploadContent(jpeg, { name: 'sea.jpg', type: 'image/jpeg' });
    const { event_id } = await bob.client.sendMessage(roomId, { msgtype: 'm.image', body: 'sea.jpg', url: content_uri, info: { w: 400, h: 300, size: jpeg.length, mimetype: 'image/jpeg' } } as never);
    const row = page.locator(`article[data-event-id="${event_id}"]`);
    await eventually(() => row.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await row.getByRole('button', { name: 'Open image sea.jpg' }).click();
    const viewer = page.locator('dialog[open] img');
    await eventually(() => viewer.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(400);
    await saveScreenshot(page, 'image-viewer');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await saveScreenshot(page, 'timeline-images');
  });

  it('sends an image pasted into the composer', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 200, b: 0, alpha: 1 } } }).png().toBuffer();
    await page.getByRole('textbox', { name: 'Message' }).evaluate((box, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, png.toString('base64'));
    await page.getByRole('region', { name: 'Files to send' }).getByRole('img', { name: 'pasted.png' }).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const ev = await bob.waitForEvent(roomId, fromAnna('m.image', 'pasted.png'));
    // Small images are their own thumbnail.
    expect(ev.getContent().info).toMatchObject({ w: 64, h: 48, thumbnail_url: ev.getContent().url });
    expect(sha256(await phoneDownload(ev.getContent().url))).toBe(sha256(png));
  });

  it('uploads a 50 MB file with visible progress; the phone downloads it byte-identical', async () => {
    const big = crypto.randomBytes(50 * 1024 * 1024);
    const file = path.join(tmp, 'holiday-video.bin');
    fs.writeFileSync(file, big);
    await page.getByTestId('file-input').setInputFiles(file);
    await throttleUploads(25 * 1024 * 1024); // about two seconds, so progress can be seen
    await page.getByRole('button', { name: 'Send files' }).click();
    const bar = page.getByRole('progressbar', { name: /Uploading holiday-video.bin/ });
    await bar.waitFor();
    await eventually(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await saveScreenshot(page, 'composer-upload-progress');
    const ev = await bob.waitForEvent(roomId, fromAnna('m.file', 'holiday-video.bin'), 120_000);
    await throttleUploads(null);
    expect(ev.getContent().info.size).toBe(big.length);
    expect(sha256(await phoneDownload(ev.getContent().url))).toBe(sha256(big));
    const row = page.locator(`article[data-event-id="${ev.getId()}"]`);
    await row.getByText('holiday-video.bin').waitFor();
    expect(await row.getByText('50 MB').count()).toBe(1);
  }, 180_000);

  it('cancels an upload: nothing is sent', async () => {
    const file = path.join(tmp, 'never-sent.bin');
    fs.writeFileSync(file, crypto.randomBytes(8 * 1024 * 1024));
    await page.getByTestId('file-input').setInputFiles(file);
    await throttleUploads(512 * 1024);
    await page.getByRole('button', { name: 'Send files' }).click();
    await page.getByRole('progressbar', { name: /Uploading never-sent.bin/ }).waitFor();
    await page.getByRole('button', { name: 'Cancel upload of never-sent.bin' }).click();
    await page.getByRole('region', { name: 'Files to send' }).waitFor({ state: 'detached' });
    await throttleUploads(null);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('after the cancel');
    await box.press('Enter');
    await bob.waitForEvent(roomId, fromAnna('m.text', 'after the cancel'));
    const events = bob.client.getRoom(roomId)!.getLiveTimeline().getEvents();
    expect(events.some((e) => e.getContent().body === 'never-sent.bin')).toBe(false);
  });

  it('kept every request on loopback and logged no errors', () => {
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    const unexpected = guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e));
    expect(unexpected).toEqual([]);
  });
});
