// A small raw-HTTP client for room and sync tests: one logged-in user, paths under /_matrix/client.
import { expect } from 'vitest';
import { request } from './server.ts';
import { registerAndLogin, type LoggedIn } from './accounts.ts';

interface ServerLike {
  url: string;
  dataDir: string;
}

export interface Reply {
  status: number;
  body: any;
}

export class TestUser {
  readonly server: ServerLike;
  readonly session: LoggedIn;
  private txn = 0;

  constructor(server: ServerLike, session: LoggedIn) {
    this.server = server;
    this.session = session;
  }

  get userId(): string {
    return this.session.userId;
  }

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    const full = path.startsWith('/_matrix') ? path : `/_matrix/client/v3${path}`;
    return request(this.server.url, method, full, { token: this.session.accessToken, body });
  }

  /** Like call(), but expects 200 and returns the body. */
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  }

  async createRoom(body: Record<string, unknown> = {}): Promise<string> {
    return (await this.ok('POST', '/createRoom', body)).room_id;
  }

  async send(roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    return (await this.ok('PUT', `/rooms/${enc(roomId)}/send/${enc(type)}/t${Date.now()}-${this.txn++}`, content)).event_id;
  }

  async text(roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.send(roomId, { msgtype: 'm.text', body, ...extra });
  }

  async join(roomId: string): Promise<void> {
    await this.ok('POST', `/join/${enc(roomId)}`, {});
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.ok('POST', `/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }

  async sync(query: Record<string, string | number | boolean> = {}): Promise<any> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return this.ok('GET', `/sync${qs ? `?${qs}` : ''}`);
  }
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}

export async function newUser(server: ServerLike, localpart: string): Promise<TestUser> {
  return new TestUser(server, await registerAndLogin(server, localpart));
}

/** Timeline events of one room in a sync response (joined rooms). */
export function timelineOf(sync: any, roomId: string): any[] {
  return sync.rooms?.join?.[roomId]?.timeline?.events ?? [];
}

/** Several users at once, typed as a tuple: `const [a, b] = await newUsers(server, ['a', 'b'])`. */
export async function newUsers<const N extends readonly string[]>(server: ServerLike, names: N): Promise<{ [K in keyof N]: TestUser }> {
  return (await Promise.all(names.map((n) => newUser(server, n)))) as { [K in keyof N]: TestUser };
}
