// The server's ed25519 signing key, kept in the data dir as "ed25519 <version> <unpadded base64 seed>"
// (Synapse's signing.key format), created 0600 on first start. The key ID never changes after that.
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { randomString } from '../ids.ts';

export const SIGNING_KEY_FILE = 'signing.key';
// PKCS#8 DER header for a raw 32-byte ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  /** e.g. "ed25519:a_Xy3k" */
  keyId: string;
  /** Unpadded base64 public key. */
  publicKeyBase64: string;
  /** Unpadded base64 ed25519 signature over the bytes. */
  sign(data: string | Buffer): string;
  verify(data: string | Buffer, signatureBase64: string): boolean;
}

export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    text = `ed25519 a_${randomString(4)} ${seed.toString('base64').replace(/=+$/, '')}\n`;
    // 'wx': never overwrite a key another process wrote meanwhile.
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  }
  const m = /^ed25519 (\S+) (\S+)\s*$/.exec(text);
  if (!m) throw new Error(`${file} is not a valid signing key file`);
  const seed = Buffer.from(m[2]!, 'base64');
  if (seed.length !== 32) throw new Error(`${file}: the ed25519 seed must be 32 bytes`);
  return signingKeyFromSeed(`ed25519:${m[1]}`, seed);
}

export function signingKeyFromSeed(keyId: string, seed: Buffer): SigningKey {
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const rawPublic = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    keyId,
    publicKeyBase64: unpaddedBase64(rawPublic),
    sign: (data) => unpaddedBase64(sign(null, Buffer.from(data), privateKey)),
    verify: (data, sig) => verify(null, Buffer.from(data), publicKey, Buffer.from(sig, 'base64')),
  };
}

export function unpaddedBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
