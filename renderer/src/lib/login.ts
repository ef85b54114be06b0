// Password login with errors a person can act on: wrong password, server unreachable, not a
// Matrix server, too many attempts.
import { createClient, MatrixError } from 'matrix-js-sdk';
import type { StoredSession } from './session.ts';

export type LoginProblem = 'wrong-password' | 'unreachable' | 'not-matrix' | 'rate-limited' | 'deactivated' | 'server-error';

export class LoginError extends Error {
  readonly problem: LoginProblem;
  constructor(problem: LoginProblem, detail: string) {
    super(detail);
    this.problem = problem;
  }
}

/** Asks /versions first, so "no server there" and "not a Matrix server" are told apart from a bad password. */
async function probeHomeserver(baseUrl: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new LoginError('unreachable', String(err));
  }
  const body: unknown = await res.json().catch(() => null);
  const versions = (body as { versions?: unknown } | null)?.versions;
  if (!res.ok || !Array.isArray(versions)) throw new LoginError('not-matrix', `GET /versions answered ${res.status}`);
}

/** `deviceId` logs in again as an existing session of mine (after it expired), keeping its keys. */
export async function passwordLogin(baseUrl: string, username: string, password: string, deviceName: string, deviceId?: string): Promise<StoredSession> {
  await probeHomeserver(baseUrl);
  const client = createClient({ baseUrl });
  try {
    const res = await client.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username.trim() },
      password,
      initial_device_display_name: deviceName,
      ...(deviceId ? { device_id: deviceId } : {}),
    });
    return { baseUrl, userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id };
  } catch (err) {
    if (err instanceof MatrixError) {
      if (err.errcode === 'M_FORBIDDEN') throw new LoginError('wrong-password', err.message);
      if (err.errcode === 'M_LIMIT_EXCEEDED') throw new LoginError('rate-limited', err.message);
      if (err.errcode === 'M_USER_DEACTIVATED') throw new LoginError('deactivated', err.message);
      throw new LoginError('server-error', err.data?.error ?? err.message);
    }
    throw new LoginError('unreachable', String(err));
  } finally {
    client.stopClient();
  }
}
