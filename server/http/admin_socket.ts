// The local admin channel: a unix socket in the data dir (0600) on which the running server takes
// host operations from the CLI, one JSON line in and one JSON line out per connection.
// The CLI must not open the database while the server holds it; this is how it reaches it instead.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { MatrixError } from './errors.ts';
import { runAdminOp, type AdminOpDeps } from '../accounts/admin_ops.ts';
import type { Logger } from '../log.ts';

export const ADMIN_SOCKET = 'admin.sock';
const MAX_REQUEST_BYTES = 64 * 1024;

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_SOCKET);
}

export interface AdminReply {
  ok: boolean;
  result?: unknown;
  error?: { errcode: string; error: string };
}

export async function listenAdminSocket(dataDir: string, deps: AdminOpDeps, log: Logger): Promise<{ close(): Promise<void> }> {
  const socketPath = adminSocketPath(dataDir);
  // A socket left by a crashed server; the storage lock already ensures we are the only server.
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((conn) => {
    let buffer = '';
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return conn.destroy();
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      conn.pause();
      // The reply waits, like an HTTP answer, until what it reports is on disk (storage/types.ts).
      handle(line, deps, log).then(async (reply) => {
        await deps.storage.durable();
        conn.end(JSON.stringify(reply) + '\n');
      }).catch(() => conn.destroy());
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socketPath, 0o600);
  } catch (err) {
    // E.g. a data dir path too long for a unix socket: serving matters more than the CLI channel.
    log.warn(`admin socket ${socketPath} unavailable (${(err as Error).message}); the CLI cannot reach this server while it runs`);
    server.close();
    return { close: async () => {} };
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(socketPath, { force: true });
      }),
  };
}

async function handle(line: string, deps: AdminOpDeps, log: Logger): Promise<AdminReply> {
  try {
    const request = JSON.parse(line) as { op?: unknown; args?: unknown };
    if (typeof request.op !== 'string') throw new MatrixError(400, 'M_BAD_JSON', 'op is required');
    const args = typeof request.args === 'object' && request.args !== null ? (request.args as Record<string, unknown>) : {};
    return { ok: true, result: await runAdminOp(deps, request.op, args) };
  } catch (err) {
    if (err instanceof MatrixError) return { ok: false, error: { errcode: err.errcode, error: err.message } };
    if (err instanceof SyntaxError) return { ok: false, error: { errcode: 'M_NOT_JSON', error: 'request is not JSON' } };
    log.error('admin socket operation failed', err);
    return { ok: false, error: { errcode: 'M_UNKNOWN', error: 'internal error' } };
  }
}

/** Sends one operation to a running server; null when no server is listening there. */
export function callAdminSocket(dataDir: string, op: string, args: Record<string, unknown>): Promise<AdminReply | null> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(adminSocketPath(dataDir));
    let out = '';
    let connected = false;
    conn.setEncoding('utf8');
    conn.on('connect', () => {
      connected = true;
      conn.write(JSON.stringify({ op, args }) + '\n');
    });
    conn.on('data', (d: string) => (out += d));
    conn.on('end', () => {
      try {
        resolve(JSON.parse(out) as AdminReply);
      } catch {
        reject(new Error('the running server gave an unreadable answer'));
      }
    });
    conn.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) resolve(null);
      else reject(err);
    });
  });
}
