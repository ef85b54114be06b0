// A small raw-HTTP client for per-user data tests: one logged-in user, the calls these tests need.
import { expect } from 'vitest';
import { request } from './server.ts';
import { registerAndLogin, type LoggedIn } from './accounts.ts';

interface ServerLike {
  url: string;
  dataDir: string;
}

export type Reply = { status: number; body: any };

export class TestUser {
  readonly server: ServerLike;
  readonly login: LoggedIn;
  /** next_batch of the last sync(), for incremental syncs. */
  since: string | null = null;

  constructor(server: ServerLike, login: LoggedIn) {
    this.server = server;
    this.login = login;
  }

  get userId(): string {
    return this.login.userId;
  }

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    return request(this.server.url, method, `/_matrix/client/v3${path}`, { token: this.login.accessToken, body });
  }

  /** A call that must succeed; returns its body. */
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  }

  async createRoom(body: Record<string, unknown> = {}): Promise<string> {
    return (await this.ok('POST', '/createRoom', { preset: 'private_chat', ...body })).room_id;
  }

  async join(roomId: string): Promise<void> {
    await this.ok('POST', `/join/${encodeURIComponent(roomId)}`, {});
  }

  async send(roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    const txn = `t${Math.random().toString(36).slice(2)}`;
    return (await this.ok('PUT', `/rooms/${encodeURIComponent(roomId)}/send/${type}/${txn}`, content)).event_id;
  }

  text(roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.send(roomId, { msgtype: 'm.text', body, ...extra });
  }

  /** GET /sync; continues from the last sync unless `fresh`. Remembers next_batch. */
  async sync(options: { timeout?: number; filter?: unknown; fresh?: boolean; since?: string; extra?: string } = {}): Promise<any> {
    const q = new URLSearchParams({ timeout: String(options.timeout ?? 0) });
    const since = options.since ?? (options.fresh ? null : this.since);
    if (since) q.set('since', since);
    if (options.filter !== undefined) q.set('filter', typeof options.filter === 'string' ? options.filter : JSON.stringify(options.filter));
    const body = await this.ok('GET', `/sync?${q}${options.extra ?? ''}`);
    this.since = body.next_batch;
    return body;
  }
}

export async function newUser(server: ServerLike, localpart: string): Promise<TestUser> {
  return new TestUser(server, await registerAndLogin(server, localpart));
}

/** A room created by `owner` that every other user joins (invite + join). */
export async function sharedRoom(owner: TestUser, others: TestUser[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await owner.createRoom({ invite: others.map((u) => u.userId), ...body });
  for (const u of others) await u.join(roomId);
  return roomId;
}

export const enc = encodeURIComponent;

/**
 * Long-polls until `found(body)` holds (other changes, e.g. presence, may wake a poll first);
 * returns that response. Fails after `timeoutMs`.
 */
export async function syncUntil(user: TestUser, found: (body: any) => boolean, options: { timeoutMs?: number; extra?: string; filter?: unknown } = {}): Promise<any> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`${user.userId}: sync never returned what was expected`);
    const body = await user.sync({ timeout: Math.min(remaining, 10_000), extra: options.extra, filter: options.filter });
    if (found(body)) return body;
  }
}
