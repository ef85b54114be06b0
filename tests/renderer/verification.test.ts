// Emoji (SAS) verification between the renderer (headless Chromium, Rust crypto in WASM) and a
// matrix-js-sdk peer with Rust crypto: another person through an in-room request started from the
// member list, and my other session through a to-device request that the other session starts.
// The page's 7 emoji must equal the peer's, and afterwards each side trusts the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { EventType, Preset } from 'matrix-js-sdk';
import { VerificationPhase } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login, registerAndLogin } from '../helpers/accounts.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, type GuardedPage } from '../helpers/browser.ts';
import { startPhone, type Phone } from './phone.ts';
import { EXPECTED_HTTP_ERRORS, logInThroughUi } from './ui.ts';
import { emojiShownInPage, nextVerificationRequest, peerSas, reachPhase, setUpSecureBackupThroughUi } from './security.ts';

let server: ServerProcess;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;
let annaId: string;
let bob: Phone;
let annaPhone: Phone | undefined;
let roomId: string;

beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  annaId = await createUser(server, 'anna', 'anna-pw');
  bob = await startPhone(server.url, await registerAndLogin(server, 'bob', 'bob-pw'), { crypto: true });
  // Bob has an identity (cross-signing keys), as anyone using Element or FluffyChat does.
  await bob.client.getCrypto()!.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'bob-pw' } as never);
    },
  });
  guarded = await openGuardedPage(browser);
  page = guarded.page;
}, 120_000);
afterAll(async () => {
  bob?.stop();
  annaPhone?.stop();
  await browser?.close();
  await server?.dispose();
});

const pageDeviceId = () => page.evaluate(() => (JSON.parse(localStorage.getItem('meowtrix.session') ?? 'null') as { deviceId: string }).deviceId);
const verificationDialog = () => page.getByRole('dialog', { name: /^Verify/ });

describe('emoji verification with a matrix-js-sdk peer', () => {
  it('sets up secure backup on first login, so anna has an identity to verify', async () => {
    await logInThroughUi(page, server.url, 'anna', 'anna-pw');
    await setUpSecureBackupThroughUi(page);
    await eventually(() => bob.client.getCrypto()!.userHasCrossSigningKeys(annaId, true)).toBe(true);
  });

  it('verifies another person: started from the member list, in the room, and both sides trust each other', async () => {
    roomId = (
      await bob.client.createRoom({
        name: 'Verify me',
        preset: Preset.PrivateChat,
        invite: [annaId],
        initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      })
    ).room_id;
    const invites = page.getByRole('region', { name: 'Invitations' });
    await invites.getByText('Verify me').waitFor();
    await invites.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('heading', { name: 'Verify me' }).waitFor();
    await bob.waitForEvent(roomId, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === annaId && ev.getContent().membership === 'join');

    // Before: bob is a member with an identity anna has not verified.
    await page.getByRole('button', { name: 'Room settings' }).click();
    const bobRow = page.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: bob.userId });
    await bobRow.getByText('Not verified').waitFor();

    const requested = nextVerificationRequest(bob.client);
    await bobRow.getByRole('button', { name: 'Verify' }).click();
    const request = await requested;
    expect(request.roomId).toBe(roomId); // an in-room request, as Element sends to other people
    expect(request.otherUserId).toBe(annaId);
    await request.accept();
    // The page asked, so the page starts the emoji exchange once bob accepts.
    const { sas, finished } = await peerSas(request);

    const shown = await emojiShownInPage(page);
    expect(shown).toHaveLength(7);
    expect(shown).toEqual(sas.sas.emoji);
    await verificationDialog().getByRole('button', { name: 'They match' }).click();
    await sas.confirm();
    await finished;
    await reachPhase(request, VerificationPhase.Done);

    await verificationDialog().getByText(`${bob.userId} is verified.`).or(verificationDialog().getByText(/^bob is verified\./)).waitFor();
    await eventually(async () => (await bob.client.getCrypto()!.getUserVerificationStatus(annaId)).isCrossSigningVerified()).toBe(true);
    await verificationDialog().getByRole('button', { name: 'Close' }).click();
    await bobRow.getByText('✓ Verified').waitFor();
    expect(await bobRow.getByText('Not verified').count()).toBe(0);
    await page.getByRole('dialog', { name: 'Room settings' }).getByRole('button', { name: 'Close' }).click();
  });

  it('verifies my other session: it asks (to-device), the page accepts, and both sides trust each other', async () => {
    annaPhone = await startPhone(server.url, await login(server, 'anna', 'anna-pw'), { crypto: true });
    const phoneDevice = annaPhone.client.getDeviceId()!;
    const pageDevice = await pageDeviceId();
    // The phone knows the page's device, and the page the phone's, before asking.
    await eventually(async () => (await annaPhone!.client.getCrypto()!.getUserDeviceInfo([annaId], true)).get(annaId)?.has(pageDevice) ?? false).toBe(true);

    const request = await annaPhone.client.getCrypto()!.requestOwnUserVerification();
    const dialog = verificationDialog();
    await dialog.getByText(`Your other session wants to verify this one (${phoneDevice}).`).waitFor();
    await dialog.getByRole('button', { name: 'Accept' }).click();
    await reachPhase(request, VerificationPhase.Ready);
    await request.startVerification('m.sas.v1'); // the side that asked starts the emoji
    const { sas, finished } = await peerSas(request);

    const shown = await emojiShownInPage(page);
    expect(shown).toEqual(sas.sas.emoji);
    await dialog.getByRole('button', { name: 'They match' }).click();
    await sas.confirm();
    await finished;

    // The page says so only once its crypto really trusts the phone's device (read back after "done").
    await dialog.getByText(`Your session ${phoneDevice} is verified.`).waitFor();
    const phoneSeesPage = await annaPhone.client.getCrypto()!.getDeviceVerificationStatus(annaId, pageDevice);
    expect(phoneSeesPage?.isVerified()).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('a person can decline, and the asker is told why', async () => {
    const request = await bob.client.getCrypto()!.requestVerificationDM(annaId, roomId);
    const dialog = verificationDialog();
    await dialog.getByText(/wants to verify with you\./).waitFor();
    await dialog.getByRole('button', { name: 'Decline' }).click();
    await reachPhase(request, VerificationPhase.Cancelled);
    expect(request.cancellationCode).toBe('m.user');
    await dialog.getByText('Verification stopped: you cancelled it').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('kept every request on loopback and logged no errors', () => {
    expect(guarded.offLoopback).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
    expect(guarded.httpErrors.filter((e) => !EXPECTED_HTTP_ERRORS.includes(e))).toEqual([]);
  });
});
