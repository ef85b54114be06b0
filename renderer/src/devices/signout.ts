// Ending a session: the warning before signing out without a key backup, and the reason shown on the
// login screen when the server ended the session (token revoked or expired).
import { KnownMembership, MatrixError, type MatrixClient } from 'matrix-js-sdk';
import type { StoredSession } from '../lib/session.ts';

/** A session the server ended; the login screen explains why and is prefilled from it. */
export interface EndedSession {
  reason: 'revoked' | 'expired';
  baseUrl: string;
  userId: string;
  /** For an expired session (soft logout): logging in again reuses it, keeping its encryption keys. */
  deviceId: string | null;
}

/** What the M_UNKNOWN_TOKEN that ended a session means: soft_logout = expired, the device still exists. */
export function endedSession(err: unknown, session: StoredSession): EndedSession {
  const soft = err instanceof MatrixError && (err.data as { soft_logout?: unknown })?.soft_logout === true;
  return { reason: soft ? 'expired' : 'revoked', baseUrl: session.baseUrl, userId: session.userId, deviceId: soft ? session.deviceId : null };
}

/** True when signing out would lose encrypted history: encrypted chats exist and keys are not backed up. */
export async function needsBackupWarning(client: MatrixClient): Promise<boolean> {
  const encrypted = client.getRooms().some((r) => r.getMyMembership() === KnownMembership.Join && r.hasEncryptionStateEvent());
  if (!encrypted) return false;
  const crypto = client.getCrypto();
  if (!crypto) return false; // no encryption in this browser: it holds no keys to lose
  try {
    return (await crypto.getActiveSessionBackupVersion()) === null;
  } catch {
    return true;
  }
}
