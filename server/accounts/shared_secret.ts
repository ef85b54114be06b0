// Shared-secret registration (Synapse's /_synapse/admin/v1/register, used by register_new_matrix_user):
// whoever knows the secret in the data dir may create accounts. The secret file is made on first start.
import fs from 'node:fs';
import path from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../ids.ts';
import type { Clock } from '../clock.ts';

export const SHARED_SECRET_FILE = 'registration_shared_secret';
const NONCE_LIFETIME_MS = 60_000;
const MAX_LIVE_NONCES = 1000;

/** Reads <data>/registration_shared_secret, creating it (0600) with 256 random bits if absent. */
export function loadSharedSecret(dataDir: string): string {
  const file = path.join(dataDir, SHARED_SECRET_FILE);
  try {
    const secret = fs.readFileSync(file, 'utf8').trim();
    if (secret) return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomToken(256);
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** HMAC-SHA1 over nonce\0user\0password\0admin|notadmin[\0user_type], hex, as register_new_matrix_user computes it. */
export function registrationMac(secret: string, fields: { nonce: string; username: string; password: string; admin: boolean; userType?: string }): string {
  const mac = createHmac('sha1', secret);
  mac.update(fields.nonce).update('\0').update(fields.username).update('\0').update(fields.password).update('\0');
  mac.update(fields.admin ? 'admin' : 'notadmin');
  if (fields.userType !== undefined) mac.update('\0').update(fields.userType);
  return mac.digest('hex');
}

export function macMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Single-use nonces, each valid for a minute. */
export class NonceStore {
  private readonly nonces = new Map<string, number>();
  private readonly clock: Clock;
  constructor(clock: Clock) {
    this.clock = clock;
  }
  issue(): string {
    this.expire();
    // Anyone may ask for nonces: keep at most a bounded number alive.
    if (this.nonces.size >= MAX_LIVE_NONCES) this.nonces.delete(this.nonces.keys().next().value!);
    const nonce = randomToken(128);
    this.nonces.set(nonce, this.clock.now() + NONCE_LIFETIME_MS);
    return nonce;
  }
  /** True once per issued, unexpired nonce. */
  consume(nonce: string): boolean {
    this.expire();
    return this.nonces.delete(nonce);
  }
  private expire(): void {
    const now = this.clock.now();
    for (const [n, until] of this.nonces) if (until <= now) this.nonces.delete(n);
  }
}
