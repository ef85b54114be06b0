// Driving the renderer's UI the way a person does: by labels and roles.
import type { MatrixEvent } from 'matrix-js-sdk';
import type { Locator, Page } from 'playwright-core';
import type { Phone } from './phone.ts';

export async function fillLogin(page: Page, fields: { homeserver?: string; username: string; password: string }): Promise<void> {
  if (fields.homeserver !== undefined) await page.getByLabel('Homeserver address').fill(fields.homeserver);
  await page.getByLabel('Username').fill(fields.username);
  await page.getByLabel('Password').fill(fields.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Opens the served web client and logs in; resolves once the room list is shown. */
export async function logInThroughUi(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url + '/');
  await fillLogin(page, { username, password });
  await page.getByRole('navigation', { name: 'Chats' }).waitFor();
}

/**
 * HTTP errors a healthy session meets: matrix-js-sdk asks every server for MSC4143 call transports,
 * and its crypto asks for a key backup before one exists. A JSON 404 is the spec's answer to both.
 */
export const EXPECTED_HTTP_ERRORS = ['404 GET /_matrix/client/unstable/org.matrix.msc4143/rtc/transports', '404 GET /_matrix/client/v3/room_keys/version'];

/** A chat's button in the room list (its accessible name starts with the chat's name, then the preview). */
export function roomButton(page: Page, name: string): Locator {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(`^${escaped}`) });
}

/**
 * Opens a chat from the room list, clicking again until it is the open one: the list re-sorts by
 * activity, so a message arriving mid-click can move another chat under the pointer.
 */
export async function openRoom(page: Page, name: string): Promise<void> {
  // A plain loop, not expect.poll: set-up (beforeAll) opens chats too.
  const deadline = Date.now() + 30_000;
  for (;;) {
    await roomButton(page, name).click({ timeout: Math.max(1, deadline - Date.now()) });
    if ((await roomButton(page, name).getAttribute('aria-current')) === 'true') return;
    if (Date.now() > deadline) throw new Error(`the chat "${name}" did not open from the room list`);
    await page.waitForTimeout(100);
  }
}

/** Types a message into the composer and sends it with Enter, as a person would. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.click();
  await box.pressSequentially(text);
  await box.press('Enter');
}

/** Matches an m.room.message event with this body (for the phone's waitForEvent). */
export function isMessage(body: string) {
  return (ev: MatrixEvent) => ev.getType() === 'm.room.message' && ev.getContent().body === body;
}

/** Accepts the invitation to the room called `name` in the page, and waits until the phone sees `userId` joined. */
export async function acceptInvitationThroughUi(page: Page, phone: Phone, roomId: string, name: string, userId: string): Promise<void> {
  const invites = page.getByRole('region', { name: 'Invitations' });
  await invites.getByText(name).waitFor();
  await invites.getByRole('button', { name: 'Accept' }).click();
  await page.getByRole('heading', { name }).waitFor();
  await phone.waitForEvent(roomId, (ev) => ev.getType() === 'm.room.member' && ev.getStateKey() === userId && ev.getContent().membership === 'join');
}
