// Checking ed25519 signatures on key objects, as clients do: over the canonical JSON of the object
// without its `signatures` and `unsigned`.
import { createPublicKey, verify } from 'node:crypto';
import type { JsonObject } from '../http/body.ts';
import { canonicalJson } from '../rooms/canonical_json.ts';

// SPKI DER header for a raw 32-byte ed25519 public key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Whether `signature` (unpadded base64) is `publicKey`'s (unpadded base64) signature over `signed`. */
export function verifyKeyObjectSignature(signed: JsonObject, publicKey: string, signature: string): boolean {
  const raw = Buffer.from(publicKey, 'base64');
  const sig = Buffer.from(signature, 'base64');
  if (raw.length !== 32 || sig.length !== 64) return false;
  const { signatures: _s, unsigned: _u, ...content } = signed;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(canonicalJson(content), 'utf8'), key, sig);
  } catch {
    return false;
  }
}
