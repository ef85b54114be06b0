// My sessions (the server's device list) with their verification state, renaming, and signing
// others out through user-interactive auth: the first request is answered 401 with the ways to
// prove it is me (flows) and a session; the password is then sent within that session.
import { MatrixError, type MatrixClient } from 'matrix-js-sdk';

export interface SessionDevice {
  deviceId: string;
  name: string;
  lastSeenIp: string | null;
  lastSeenTs: number | null;
  /** This browser's session. */
  current: boolean;
  /** Verified by my cross-signing (or by me on this device); null when this browser has no encryption. */
  verified: boolean | null;
}

export async function listSessions(client: MatrixClient): Promise<SessionDevice[]> {
  const { devices } = await client.getDevices();
  const me = client.getSafeUserId();
  const crypto = client.getCrypto();
  const sessions = await Promise.all(
    devices.map(async (d): Promise<SessionDevice> => {
      const status = crypto ? await crypto.getDeviceVerificationStatus(me, d.device_id).catch(() => null) : null;
      return {
        deviceId: d.device_id,
        name: d.display_name?.trim() || d.device_id,
        lastSeenIp: d.last_seen_ip ?? null,
        lastSeenTs: d.last_seen_ts ?? null,
        current: d.device_id === client.getDeviceId(),
        verified: crypto ? (status?.isVerified() ?? false) : null,
      };
    }),
  );
  // This session first, then the most recently seen.
  return sessions.sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeenTs ?? 0) - (a.lastSeenTs ?? 0));
}

export async function renameSession(client: MatrixClient, deviceId: string, name: string): Promise<void> {
  await client.setDeviceDetails(deviceId, { display_name: name.trim() });
}

/** The server's answer to a sign-out that needs my password first. */
export interface PasswordChallenge {
  session: string;
}

export class WrongPasswordError extends Error {}
export class UnsupportedAuthError extends Error {}

function challengeOf(err: unknown): { session: string; flows: { stages: string[] }[]; errcode?: string } | null {
  if (!(err instanceof MatrixError) || err.httpStatus !== 401) return null;
  const data = err.data as { session?: unknown; flows?: unknown; errcode?: string };
  if (typeof data.session !== 'string' || !Array.isArray(data.flows)) return null;
  return { session: data.session, flows: data.flows as { stages: string[] }[], errcode: data.errcode };
}

/**
 * Asks the server to sign these sessions out. Resolves null when it did so at once, or with the
 * challenge to answer with my password (signOutWithPassword).
 */
export async function startSignOut(client: MatrixClient, deviceIds: string[]): Promise<PasswordChallenge | null> {
  try {
    await client.deleteMultipleDevices(deviceIds);
    return null;
  } catch (err) {
    const challenge = challengeOf(err);
    if (!challenge) throw err;
    if (!challenge.flows.some((f) => f.stages.length === 1 && f.stages[0] === 'm.login.password')) {
      throw new UnsupportedAuthError('This server asks for a way of signing in this app does not offer.');
    }
    return { session: challenge.session };
  }
}

export async function signOutWithPassword(client: MatrixClient, deviceIds: string[], challenge: PasswordChallenge, password: string): Promise<void> {
  try {
    await client.deleteMultipleDevices(deviceIds, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: client.getSafeUserId() },
      password,
      session: challenge.session,
    } as never);
  } catch (err) {
    const challenge = challengeOf(err);
    if (challenge?.errcode === 'M_FORBIDDEN' || (err instanceof MatrixError && err.errcode === 'M_FORBIDDEN')) throw new WrongPasswordError(err instanceof Error ? err.message : '');
    throw err;
  }
}
