// Files in encrypted rooms (spec: "Sending encrypted attachments"): AES-256-CTR with a fresh key per
// file, the key and IV in the (encrypted) event as an EncryptedFile, a SHA-256 of the ciphertext so
// a changed download is refused. WebCrypto does the work; nothing is sent to the server in clear.

export interface EncryptedFile {
  url: string;
  key: { kty: 'oct'; key_ops: string[]; alg: 'A256CTR'; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: 'v2';
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/=+$/, '');
}

function fromBase64(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** True for content that looks like an EncryptedFile this app can decrypt. */
export function isEncryptedFile(value: unknown): value is EncryptedFile {
  const f = value as Partial<EncryptedFile> | null;
  return (
    typeof f === 'object' && f !== null && typeof f.url === 'string' && f.url.startsWith('mxc://') &&
    typeof f.iv === 'string' && typeof f.key?.k === 'string' && typeof f.hashes?.sha256 === 'string'
  );
}

/** Encrypts a file; upload `data`, then put the mxc:// URL into `file.url`. */
export async function encryptAttachment(plain: Blob): Promise<{ data: Blob; file: Omit<EncryptedFile, 'url'> }> {
  const key = await crypto.subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8)); // the low 8 bytes are the block counter, starting at 0
  const cipher = await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, await plain.arrayBuffer());
  const jwk = await crypto.subtle.exportKey('jwk', key);
  const sha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', cipher));
  return {
    data: new Blob([cipher], { type: 'application/octet-stream' }),
    file: { key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: jwk.k!, ext: true }, iv: toBase64(iv), hashes: { sha256: toBase64(sha256) }, v: 'v2' },
  };
}

/** Decrypts a downloaded attachment; throws if the ciphertext's hash does not match. */
export async function decryptAttachment(cipher: ArrayBuffer, file: EncryptedFile, mimetype: string): Promise<Blob> {
  const actual = toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', cipher)));
  if (actual !== file.hashes.sha256.replace(/=+$/, '')) throw new Error('the file does not match its hash');
  const key = await crypto.subtle.importKey('raw', fromBase64(file.key.k) as BufferSource, { name: 'AES-CTR' }, false, ['decrypt']);
  const plain = await crypto.subtle.decrypt({ name: 'AES-CTR', counter: fromBase64(file.iv) as BufferSource, length: 64 }, key, cipher);
  return new Blob([plain], { type: mimetype });
}
