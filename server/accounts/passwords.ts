// Password hashing: scrypt (node:crypto) with a random salt, compared in constant time.
// scrypt is slow on purpose, so it always runs on the libuv pool, never synchronously.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// N=2^14, r=8: 16 MiB and tens of milliseconds per hash, bearable on a nine-year-old laptop.
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

// scrypt runs on libuv's small thread pool (4 threads), which also does the journal's fsyncs:
// at most two hashes at a time, so a burst of logins cannot stall durable writes.
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  // A slot is either taken here or handed over directly by the finishing hash.
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await new Promise((resolve, reject) => {
      scrypt(password, salt, keyLength, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
    });
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** "scrypt$N$r$p$salt$hash" (base64url), self-describing so parameters can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Checked against when the user does not exist, so both cases take the same time.
let dummyHash: Promise<string> | null = null;

/** True when `password` matches `stored`; a missing hash still costs one scrypt. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const target = stored ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
  const parts = target.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected) && stored != null;
}
