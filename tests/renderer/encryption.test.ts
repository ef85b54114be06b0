// End-to-end encryption in the renderer (Rust crypto, WASM, IndexedDB) against a phone with Rust
// crypto in Node: the phone's encrypted room is read and answered, it stays readable after a reload
// with the same device keys, and what cannot be decrypted says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, registerAndLogin } from '../helpers/accounts.ts';
import { assertRendererBuilt, CHROMIUM, eventually, launchBrowser, openGuardedPage, RENDERER_INDEX, type GuardedPage } from '../helpers/browser.ts';
import { createEncryptedRoom, startPhone, type Phone } from './phone.ts';
import { acceptInvitationThroughUi, EXPECTED_HTTP_ERRORS, fillLogin, logInThroughUi, openRoom, sendMessage, isMessage } from './ui.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let annaId: string;
let bob: Phone;
let secrets: string;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  annaId = await createUser(server, 'anna', 'anna-pw');
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'), { crypto: true });
  guarded = await openGuardedPage(browser);
  page = guarded.page;
});
afterAll(async () => {
  bob?.stop();
  await browser?.close();
  await server?.dispose();
});

const timeline = () => page.getByRole('log', { name: 'Messages' });
const messageRow = (text: string) => timeline().locator('article').filter({ hasText: text });
const session = () => page.evaluate(() => JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null') as { deviceId: string } | null);

/** The composer's Enter-to-send, on this test's page. */
const send = (text: string) => sendMessage(page, text);

async function downloadAsBob(mxc: string): Promise<Buffer> {
  const [serverName, mediaId] = mxc.slice('mxc://'.length).split('/');
  const res = await fetch(`${server.url}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, { headers: { Authorization: `Bearer ${bob.client.getAccessToken()}` } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');

/** The spec's attachment encryption, done independently with node:crypto (AES-256-CTR, SHA-256). */
function encryptWithNode(plain: Buffer) {
  const key = randomBytes(32);
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const c = createCipheriv('aes-256-ctr', key, iv);
  const cipher = Buffer.concat([c.update(plain), c.final()]);
  const file = {
    key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: key.toString('base64url'), ext: true },
    iv: b64(iv),
    hashes: { sha256: b64(createHash('sha256').update(cipher).digest()) },
    v: 'v2',
  };
  return { cipher, file };
}

function decryptWithNode(cipher: Buffer, file: { key: { k: string }; iv: string; hashes: { sha256: string } }): Buffer {
  expect(b64(createHash('sha256').update(cipher).digest())).toBe(file.hashes.sha256.replace(/=+$/, ''));
  const d = createDecipheriv('aes-256-ctr', Buffer.from(file.key.k, 'base64url'), Buffer.from(file.iv, 'base64'));
  return Buffer.concat([d.update(cipher), d.final()]);
}

/** True once the timeline shows the image named `filename`, decoded (so decrypted correctly). */
async function imageLoaded(filename: string): Promise<boolean> {
  const img = timeline().getByRole('img', { name: filename, exact: true }).first();
  if ((await img.count()) === 0) return false;
  return img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0);
}

/** The devices of anna that bob's crypto knows, with their identity keys. */
async function annasDevicesSeenByBob(): Promise<Map<string, string | undefined>> {
  const info = await bob.client.getCrypto()!.getUserDeviceInfo([annaId], true);
  return new Map([...(info.get(annaId)?.values() ?? [])].map((d) => [d.deviceId, d.getIdentityKey()]));
}

describe('an encrypted room with a phone', () => {
  it('the renderer publishes device keys when it logs in', async () => {
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    const deviceId = (await session())!.deviceId;
    await eventually(async () => (await annasDevicesSeenByBob()).get(deviceId) ?? null).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });

  it('reads the message the phone sends in its encrypted room, and the phone decrypts the answer', async () => {
    secrets = await createEncryptedRoom(bob, 'Secrets', [annaId]);
    await acceptInvitationThroughUi(page, bob, secrets, 'Secrets', annaId);

    await bob.client.sendTextMessage(secrets, 'The cake is in the oven');
    const sent = bob.client.getRoom(secrets)!.getLiveTimeline().getEvents().at(-1)!;
    expect(sent.isEncrypted()).toBe(true); // it went over the wire as m.room.encrypted
    await messageRow('The cake is in the oven').waitFor();

    await send('I will not tell anyone');
    const answer = await bob.waitForEvent(secrets, isMessage('I will not tell anyone'));
    expect(answer.getSender()).toBe(annaId);
    expect(answer.isEncrypted()).toBe(true);
    expect(answer.getWireType()).toBe('m.room.encrypted');
  });

  it('after a reload: same device and keys, new messages still decrypt both ways', async () => {
    const before = (await session())!.deviceId;
    const keyBefore = (await annasDevicesSeenByBob()).get(before);
    await page.reload();
    await openRoom(page, 'Secrets');
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    expect((await session())!.deviceId).toBe(before);

    await bob.client.sendTextMessage(secrets, 'Still secret after the reload?');
    await messageRow('Still secret after the reload?').waitFor();
    await send('Yes, still secret');
    const answer = await bob.waitForEvent(secrets, isMessage('Yes, still secret'));
    expect(answer.isEncrypted()).toBe(true);
    // The identity key did not change: the reloaded page used its IndexedDB store, not a new identity.
    expect((await annasDevicesSeenByBob()).get(before)).toBe(keyBefore);
  });

  it('shows a clear notice for a message it cannot decrypt, never a blank', async () => {
    // A megolm message for a session this device never received a key for.
    const res = await request(server.url, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(secrets)}/send/m.room.encrypted/undecryptable-1`, {
      token: bob.client.getAccessToken()!,
      body: {
        algorithm: 'm.megolm.v1.aes-sha2',
        ciphertext: 'AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg',
        sender_key: 'c0xE2a6DQlNXnvOe+tOmSGJbL3Ag2LDsSvyRqgYJoSk',
        session_id: 'NoSuchSessionNoSuchSessionNoSuchSessionNoS',
        device_id: bob.client.getDeviceId(),
      },
    });
    expect(res.status).toBe(200);
    const notice = timeline().locator('article').filter({ hasText: 'Unable to decrypt this message' });
    await notice.waitFor();
    expect(await notice.locator('.undecryptable').textContent()).toContain('this device has not received its key');
  });

  it('sends an image into the encrypted room as an encrypted file the phone can decrypt', async () => {
    await openRoom(page, 'Secrets');
    const png = await sharp({ create: { width: 1000, height: 700, channels: 3, background: { r: 20, g: 160, b: 90 } } }).png().toBuffer();
    await page.getByTestId('file-input').setInputFiles({ name: 'garden.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('region', { name: 'Files to send' }).getByRole('button', { name: 'Send files' }).click();
    const ev = await bob.waitForEvent(secrets, (e) => e.getType() === 'm.room.message' && e.getContent().body === 'garden.png');
    expect(ev.getWireType()).toBe('m.room.encrypted');
    const content = ev.getContent();
    expect(content.url).toBeUndefined(); // no plaintext copy on the server
    expect(content.info).toMatchObject({ w: 1000, h: 700, size: png.length, mimetype: 'image/png' });
    const stored = await downloadAsBob(content.file.url);
    expect(stored.equals(png)).toBe(false);
    expect(decryptWithNode(stored, content.file).equals(png)).toBe(true);
    const thumb = decryptWithNode(await downloadAsBob(content.info.thumbnail_file.url), content.info.thumbnail_file);
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 800, height: 560, format: 'jpeg' });
    // The renderer shows its own encrypted image, decrypted.
    await eventually(() => imageLoaded('garden.png')).toBe(true);
  });

  it('shows an encrypted image the phone sends, decrypted', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const { cipher, file } = encryptWithNode(png);
    const { content_uri } = await bob.client.uploadContent(cipher, { name: 'red.png', type: 'application/octet-stream' });
    await bob.client.sendMessage(secrets, {
      msgtype: 'm.image',
      body: 'red.png',
      file: { ...file, url: content_uri },
      info: { w: 300, h: 200, size: png.length, mimetype: 'image/png' },
    } as never);
    await eventually(() => imageLoaded('red.png')).toBe(true);
  });

  it('makes a new private group encrypted by default, and the phone reads what is sent there', async () => {
    await page.getByRole('button', { name: '+ New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Plans');
    expect(await dialog.getByLabel(/End-to-end encrypted/).isChecked()).toBe(true);
    await dialog.getByLabel('Invite (usernames, separated by commas)').fill('bob');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Plans' }).waitFor();
    await eventually(() => bob.client.getRooms().find((r) => r.name === 'Plans')?.getMyMembership()).toBe('invite');
    const plans = bob.client.getRooms().find((r) => r.name === 'Plans')!.roomId;
    await bob.client.joinRoom(plans);
    await eventually(() => bob.client.getRoom(plans)?.hasEncryptionStateEvent()).toBe(true);
    // Once the renderer shows bob's (encrypted) hello, it knows he is in and shares its key with him too.
    await bob.client.sendTextMessage(plans, 'hello from the phone');
    await messageRow('hello from the phone').waitFor();
    await send('Picnic on Sunday');
    const ev = await bob.waitForEvent(plans, isMessage('Picnic on Sunday'));
    expect(ev.getWireType()).toBe('m.room.encrypted');
  });

  it('makes a DM encrypted when the other person has device keys', async () => {
    await page.getByRole('button', { name: '+ New chat' }).click();
    const dialog = page.getByRole('dialog', { name: 'Chat with someone' });
    await dialog.getByRole('searchbox', { name: 'Search people by name' }).pressSequentially('bob');
    await dialog.getByRole('button', { name: /@bob:test\.local/ }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(() => bob.client.getRooms().find((r) => r.getMyMembership() === 'invite')?.roomId ?? null).toMatch(/^!/);
    const dm = bob.client.getRooms().find((r) => r.getMyMembership() === 'invite')!.roomId;
    await bob.client.joinRoom(dm);
    await eventually(() => bob.client.getRoom(dm)?.hasEncryptionStateEvent()).toBe(true);
  });

  it('kept every request on loopback and logged no errors', () => {
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    expect(guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e))).toEqual([]);
  });
});

describe('the build loaded from file://, as the Electron window loads it', () => {
  it('starts the crypto (the .wasm is read without fetch) and publishes device keys', async () => {
    // Chromium allows module scripts and XMLHttpRequest between file:// URLs only with this switch;
    // Electron allows them for its file:// window. fetch() of file:// is refused by both.
    const fileBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--allow-file-access-from-files'],
    });
    try {
      const filePage = await openGuardedPage(fileBrowser);
      await createUser(server, 'dora', 'dora-pw');
      await filePage.page.goto(pathToFileURL(RENDERER_INDEX).href);
      await fillLogin(filePage.page, { homeserver: server.url, username: 'dora', password: 'dora-pw' });
      await filePage.page.getByRole('navigation', { name: 'Chats' }).waitFor();
      const doraId = '@dora:test.local';
      const deviceId = await filePage.page.evaluate(() => (JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null') as { deviceId: string }).deviceId);
      await eventually(async () => {
        const info = await bob.client.getCrypto()!.getUserDeviceInfo([doraId], true);
        return info.get(doraId)?.get(deviceId)?.getIdentityKey() ?? null;
      }).toMatch(/^[A-Za-z0-9+/]{43}$/);
      expect(filePage.offLoopback).toEqual([]);
      expect(filePage.consoleErrors).toEqual([]);
    } finally {
      await fileBrowser.close();
    }
  });
});
