// Matrix identifier grammars (spec appendices) and random IDs.
import { randomBytes } from 'node:crypto';

// Appendix "User Identifiers": the localpart of new users is [a-z0-9._=/+-]; historical IDs
// may be wider, so parsing accepts printable ASCII except ':' in the localpart.
const NEW_LOCALPART = /^[a-z0-9._=\/+-]+$/;
const HISTORICAL_LOCALPART = /^[\x21-\x39\x3b-\x7e]+$/;
const SERVER_NAME = /^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/** Whether a new account may take this localpart. */
export function isValidNewLocalpart(localpart: string): boolean {
  return NEW_LOCALPART.test(localpart) && localpart.length <= 255;
}

export interface ParsedUserId {
  localpart: string;
  serverName: string;
}

/** Parses "@localpart:server" (historical localparts allowed); null when malformed. Max 255 bytes. */
export function parseUserId(userId: string): ParsedUserId | null {
  if (typeof userId !== 'string' || !userId.startsWith('@') || Buffer.byteLength(userId) > 255) return null;
  const colon = userId.indexOf(':');
  if (colon < 2) return null;
  const localpart = userId.slice(1, colon);
  const serverName = userId.slice(colon + 1);
  if (!HISTORICAL_LOCALPART.test(localpart) || !SERVER_NAME.test(serverName)) return null;
  return { localpart, serverName };
}

export function isValidUserId(userId: string): boolean {
  return parseUserId(userId) !== null;
}

export function makeUserId(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/** "!opaque:server" room IDs (v1-v11) and "$..." event IDs; max 255 bytes each. */
export function isValidRoomId(roomId: string): boolean {
  return typeof roomId === 'string' && /^![\x21-\x7e]+$/.test(roomId) && Buffer.byteLength(roomId) <= 255;
}

export function isValidEventId(eventId: string): boolean {
  return typeof eventId === 'string' && /^\$[\x21-\x7e]+$/.test(eventId) && Buffer.byteLength(eventId) <= 255;
}

/** "#alias:server" room aliases. */
export function isValidRoomAlias(alias: string): boolean {
  if (typeof alias !== 'string' || !alias.startsWith('#') || Buffer.byteLength(alias) > 255) return false;
  const colon = alias.indexOf(':');
  return colon > 1 && SERVER_NAME.test(alias.slice(colon + 1));
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of `length` characters from [A-Za-z0-9] (device IDs, room ID localparts, media IDs). */
export function randomString(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i]!;
    if (b < 248) out += ALPHANUM[b % 62]; // 248 = 4 × 62: no modulo bias
  }
  return out.length === length ? out : out + randomString(length - out.length);
}

/** A random secret of `bits` bits as unpadded base64url (access tokens: 256 bits). */
export function randomToken(bits = 256): string {
  return randomBytes(Math.ceil(bits / 8)).toString('base64url');
}
