// Registration tokens: the host hands one out; whoever holds it may register (spec m.login.registration_token).
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import { errors } from '../http/errors.ts';
import { randomString } from '../ids.ts';
import * as repo from '../storage/repos/registration_tokens.ts';

export interface RegistrationTokenInfo {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

// Spec: tokens use only [A-Za-z0-9._~-], at most 64 characters.
const TOKEN_GRAMMAR = /^[A-Za-z0-9._~-]{1,64}$/;

export function isValidTokenString(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_GRAMMAR.test(token);
}

function info(row: repo.RegistrationTokenRow): RegistrationTokenInfo {
  return { token: row.token, uses_allowed: row.uses_allowed, pending: row.pending, completed: row.completed, expiry_time: row.expiry_time };
}

export class RegistrationTokenService {
  private readonly storage: Storage;
  private readonly clock: Clock;

  constructor(storage: Storage, clock: Clock) {
    this.storage = storage;
    this.clock = clock;
  }

  isUsable(row: repo.RegistrationTokenRow | RegistrationTokenInfo, now = this.clock.now()): boolean {
    if (row.expiry_time !== null && row.expiry_time <= now) return false;
    return row.uses_allowed === null || row.completed < row.uses_allowed;
  }

  /** Registration by token is on while the host has at least one usable token. */
  anyUsable(): boolean {
    const now = this.clock.now();
    return this.list().some((t) => this.isUsable(t, now));
  }

  list(valid?: boolean): RegistrationTokenInfo[] {
    const rows = this.storage.read((db) => repo.listRegistrationTokens(db)).map(info);
    if (valid === undefined) return rows;
    const now = this.clock.now();
    return rows.filter((t) => this.isUsable(t, now) === valid);
  }

  get(token: string): RegistrationTokenInfo | null {
    const row = this.storage.read((db) => repo.getRegistrationToken(db, token));
    return row ? info(row) : null;
  }

  isValid(token: string): boolean {
    const row = this.get(token);
    return row !== null && this.isUsable(row);
  }

  async create(options: { token?: string; length?: number; usesAllowed?: number | null; expiryTime?: number | null }): Promise<RegistrationTokenInfo> {
    const token = options.token ?? randomString(options.length ?? 16);
    if (!isValidTokenString(token)) throw errors.invalidParam('token must be 1-64 characters of A-Z a-z 0-9 . _ ~ -');
    const createdTs = this.clock.now();
    await this.storage.write((db) => {
      if (repo.getRegistrationToken(db, token)) throw errors.invalidParam(`Token already exists: ${token}`);
      repo.insertRegistrationToken(db, { token, usesAllowed: options.usesAllowed ?? null, expiryTime: options.expiryTime ?? null, createdTs });
    });
    return this.get(token)!;
  }

  async update(token: string, changes: { usesAllowed?: number | null; expiryTime?: number | null }): Promise<RegistrationTokenInfo> {
    await this.storage.write((db) => {
      if (!repo.getRegistrationToken(db, token)) throw errors.notFound('No such registration token');
      repo.updateRegistrationToken(db, token, changes);
    });
    return this.get(token)!;
  }

  async delete(token: string): Promise<void> {
    const deleted = await this.storage.write((db) => repo.deleteRegistrationToken(db, token));
    if (!deleted) throw errors.notFound('No such registration token');
  }

  /** Counts one completed registration against the token; false (and no change) if it ran out meanwhile. */
  consumeIn(db: Parameters<typeof repo.incrementCompleted>[0], token: string, now: number): boolean {
    const row = repo.getRegistrationToken(db, token);
    if (!row || !this.isUsable(row, now)) return false;
    repo.incrementCompleted(db, token);
    return true;
  }
}
