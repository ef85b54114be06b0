// Real ed25519 keys for E2EE tests: sign key objects the way clients do (canonical JSON without
// `signatures` and `unsigned`), so the server's signature checks are exercised for real.
import { generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson } from '../../server/rooms/canonical_json.ts';

export interface TestKeyPair {
  /** Unpadded base64 public key: also the key ID of a cross-signing key. */
  publicKey: string;
  /** Returns `obj` with this key's signature added under signatures[userId][keyId]. */
  signObject<T extends Record<string, unknown>>(obj: T, userId: string, keyId: string): T;
}

export function newKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    publicKey: raw.toString('base64').replace(/=+$/, ''),
    signObject(obj, userId, keyId) {
      const { signatures, unsigned: _u, ...content } = obj as Record<string, unknown>;
      const sig = sign(null, Buffer.from(canonicalJson(content)), privateKey).toString('base64').replace(/=+$/, '');
      const existing = (signatures ?? {}) as Record<string, Record<string, string>>;
      return { ...obj, signatures: { ...existing, [userId]: { ...existing[userId], [keyId]: sig } } };
    },
  };
}
