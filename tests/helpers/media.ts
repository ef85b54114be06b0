// Media helpers for tests: upload raw bytes, hash a download as it streams, read a server's RSS.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** POST /_matrix/media/v3/upload; returns status and parsed body. */
export async function uploadBytes(
  url: string,
  token: string | undefined,
  bytes: Uint8Array | string,
  options: { contentType?: string; filename?: string } = {},
): Promise<{ status: number; body: any; mediaId: string | null }> {
  const query = options.filename === undefined ? '' : `?filename=${encodeURIComponent(options.filename)}`;
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/_matrix/media/v3/upload${query}`, { method: 'POST', headers, body: bytes as BodyInit });
  const body = await res.json();
  const mediaId = typeof body.content_uri === 'string' ? body.content_uri.split('/').pop()! : null;
  return { status: res.status, body, mediaId };
}

/** GET that hashes the body as it arrives (a 100 MB download costs no memory here). */
export async function downloadHash(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; sha256: string; size: number }> {
  const res = await fetch(url, { headers });
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { status: res.status, headers: res.headers, sha256: hash.digest('hex'), size };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

/** Every regular file under a directory (relative paths). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Deterministic pseudo-random bytes (fast, incompressible enough for transfer tests). */
export function patternBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = i & 0xff;
  return out;
}
