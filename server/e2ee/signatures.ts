// Cross-signing keys and the signatures users upload for their own and others' keys.
import type { SqlReader, Storage } from '../storage/types.ts';
import type { JsonObject } from '../http/body.ts';
import { MatrixError, errors } from '../http/errors.ts';
import { verifyKeyObjectSignature } from './verify.ts';
import { isObject } from '../http/validate.ts';
import * as repo from '../storage/repos/device_keys.ts';
import type { CrossSigningUsage } from '../storage/repos/device_keys.ts';

/** Adds the separately uploaded signatures on a key (device ID or cross-signing public key) to its object. */
export function mergeSignatures(db: SqlReader, keys: JsonObject, userId: string, targetKeyId: string): JsonObject {
  const extra = repo.listSignatures(db, userId, targetKeyId);
  if (!extra.length) return keys;
  const signatures: Record<string, Record<string, string>> = {};
  for (const [signer, sigs] of Object.entries(isObject(keys.signatures) ? keys.signatures : {})) {
    signatures[signer] = { ...(isObject(sigs) ? (sigs as Record<string, string>) : {}) };
  }
  for (const s of extra) (signatures[s.signer_user_id] ??= {})[s.signer_key_id] = s.signature;
  return { ...keys, signatures };
}

/** The single ed25519 public key of a cross-signing key object. */
export function crossSigningPublicKey(key: JsonObject): string | null {
  if (!isObject(key.keys)) return null;
  const values = Object.values(key.keys);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : null;
}

const FIELDS: [string, CrossSigningUsage][] = [
  ['master_key', 'master'],
  ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

/** Whether the user already has cross-signing keys (replacing them needs UIA; the first upload does not). */
export function hasCrossSigningKeys(storage: Storage, userId: string): boolean {
  return storage.read((db) => repo.getCrossSigningKey(db, userId, 'master') !== undefined);
}

/** Validates and stores uploaded cross-signing keys; returns whether anything changed. */
export async function uploadCrossSigningKeys(storage: Storage, userId: string, body: JsonObject): Promise<boolean> {
  const parsed: { usage: CrossSigningUsage; key: JsonObject; publicKey: string }[] = [];
  for (const [field, usage] of FIELDS) {
    const key = body[field];
    if (key === undefined || key === null) continue;
    if (!isObject(key)) throw errors.badJson(`"${field}" must be an object`);
    if (key.user_id !== userId) throw errors.invalidParam(`${field}.user_id must be your own user ID`);
    if (!Array.isArray(key.usage) || !key.usage.includes(usage)) throw errors.invalidParam(`${field}.usage must include "${usage}"`);
    const publicKey = crossSigningPublicKey(key);
    if (!publicKey) throw errors.invalidParam(`${field}.keys must hold exactly one key`);
    parsed.push({ usage, key, publicKey });
  }
  if (!parsed.length) return false;
  return storage.write((db) => {
    const master = parsed.find((p) => p.usage === 'master')?.publicKey ?? repo.getCrossSigningKey(db, userId, 'master')?.public_key;
    if (!master) throw errors.invalidParam('upload a master key before (or with) the other cross-signing keys');
    for (const p of parsed) {
      if (p.usage === 'master') continue;
      const signature = signatureBy(p.key, userId, `ed25519:${master}`);
      if (!signature || !verifyKeyObjectSignature(p.key, master, signature)) {
        throw new MatrixError(400, 'M_INVALID_SIGNATURE', `the ${p.usage} key must be signed by the master key`);
      }
    }
    for (const p of parsed) repo.putCrossSigningKey(db, userId, p.usage, p.publicKey, JSON.stringify(p.key));
    repo.recordDeviceListChange(db, userId);
    return true;
  });
}

export interface SignatureUploadResult {
  failures: Record<string, Record<string, { errcode: string; error: string }>>;
  /** Users whose keys gained signatures: their device lists changed. */
  signedUsers: string[];
}

/**
 * Stores signatures from /keys/signatures/upload. The signed object must be a key the server knows
 * (one of the target user's devices or cross-signing keys); its signatures by the uploader are kept.
 */
export async function uploadSignatures(storage: Storage, uploader: string, body: JsonObject): Promise<SignatureUploadResult> {
  const failures: SignatureUploadResult['failures'] = {};
  const fail = (user: string, key: string, errcode: string, error: string) => {
    (failures[user] ??= {})[key] = { errcode, error };
  };
  const signedUsers = await storage.write((db) => {
    const touched = new Set<string>();
    for (const [targetUser, keys] of Object.entries(body)) {
      if (!isObject(keys)) {
        fail(targetUser, '*', 'M_INVALID_PARAM', 'expected an object of key IDs to signed keys');
        continue;
      }
      for (const [keyId, signed] of Object.entries(keys)) {
        if (!isObject(signed) || !isObject(signed.signatures)) {
          fail(targetUser, keyId, 'M_INVALID_PARAM', 'expected a signed key object');
          continue;
        }
        const stored = storedKey(db, targetUser, keyId);
        if (!stored) {
          fail(targetUser, keyId, 'M_NOT_FOUND', 'unknown key');
          continue;
        }
        const mine = signed.signatures[uploader];
        if (!isObject(mine) || Object.keys(mine).length === 0) {
          fail(targetUser, keyId, 'M_INVALID_SIGNATURE', 'no signature by the uploader');
          continue;
        }
        // Each signature must verify, by one of the uploader's own keys, over the key as the server stores it.
        const valid: [string, string][] = [];
        for (const [signerKeyId, signature] of Object.entries(mine)) {
          const signerKey = typeof signature === 'string' ? signingKeyOf(db, uploader, signerKeyId) : null;
          if (!signerKey || !verifyKeyObjectSignature(stored, signerKey, signature as string)) {
            fail(targetUser, keyId, 'M_INVALID_SIGNATURE', `invalid signature by ${signerKeyId}`);
            valid.length = 0;
            break;
          }
          valid.push([signerKeyId, signature as string]);
        }
        for (const [signerKeyId, signature] of valid) repo.putSignature(db, targetUser, keyId, uploader, signerKeyId, signature);
        if (valid.length) touched.add(targetUser);
      }
    }
    for (const user of touched) repo.recordDeviceListChange(db, user);
    return [...touched];
  });
  return { failures, signedUsers };
}

function signatureBy(key: JsonObject, userId: string, keyId: string): string | null {
  const sigs = isObject(key.signatures) ? key.signatures[userId] : undefined;
  const sig = isObject(sigs) ? sigs[keyId] : undefined;
  return typeof sig === 'string' ? sig : null;
}

/** A user's device or cross-signing key object, by device ID or cross-signing public key. */
function storedKey(db: SqlReader, userId: string, keyId: string): JsonObject | null {
  const device = repo.getDeviceKeys(db, userId, keyId);
  if (device !== undefined) return JSON.parse(device) as JsonObject;
  for (const usage of ['master', 'self_signing', 'user_signing'] as const) {
    const key = repo.getCrossSigningKey(db, userId, usage);
    if (key?.public_key === keyId) return JSON.parse(key.json) as JsonObject;
  }
  return null;
}

/** The public key behind "ed25519:<device ID or cross-signing public key>" of one of the user's keys. */
function signingKeyOf(db: SqlReader, userId: string, signerKeyId: string): string | null {
  if (!signerKeyId.startsWith('ed25519:')) return null;
  const id = signerKeyId.slice('ed25519:'.length);
  for (const usage of ['master', 'self_signing', 'user_signing'] as const) {
    if (repo.getCrossSigningKey(db, userId, usage)?.public_key === id) return id;
  }
  const device = repo.getDeviceKeys(db, userId, id);
  if (device === undefined) return null;
  const keys = (JSON.parse(device) as JsonObject).keys;
  const ed = isObject(keys) ? keys[signerKeyId] : undefined;
  return typeof ed === 'string' ? ed : null;
}
