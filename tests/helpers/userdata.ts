// Per-user data tests: the rooms TestUser, made to remember its sync position, plus shared-room helpers.
import { registerAndLogin, type LoggedIn } from './accounts.ts';
import { TestUser as RoomsTestUser } from './rooms.ts';

interface ServerLike {
  url: string;
  dataDir: string;
}

export type { Reply } from './rooms.ts';
export { enc } from './rooms.ts';

/** A rooms TestUser that remembers where its last sync ended, for incremental syncs. */
export class TestUser extends RoomsTestUser {
  /** next_batch of the last sync(), for incremental syncs. */
  since: string | null = null;

  get login(): LoggedIn {
    return this.session;
  }

  override async createRoom(body: Record<string, unknown> = {}): Promise<string> {
    return super.createRoom({ preset: 'private_chat', ...body });
  }

  /** GET /sync; continues from the last sync unless `fresh`. Remembers next_batch. */
  override async sync(options: { timeout?: number; filter?: unknown; fresh?: boolean; since?: string; extra?: string } = {}): Promise<any> {
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
