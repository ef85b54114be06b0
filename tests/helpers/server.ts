// Starts the real homeserver CLI as a child process on a free loopback port, in a temp data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVER_MALLOC_ENV, SERVER_NODE_OPTIONS } from '../../main/hosting/supervisor.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'server', 'cli.ts');

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Like stop(), then removes the data dir. */
  dispose(): Promise<void>;
}

export function tempDataDir(prefix = 'meowtrix-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs `node server/cli.ts ARGS` (with the Node options and malloc setting every deployment gives it) and waits for "Listening on http://…". */
export async function startServer(options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; cli?: string } = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? tempDataDir();
  const args = [options.cli ?? CLI, 'serve', '--data', dataDir, '--port', '0', '--bind', '127.0.0.1', '--server-name', 'test.local', '--log-level', 'warn', ...(options.args ?? [])];
  const proc = spawn(process.execPath, [...SERVER_NODE_OPTIONS, ...args], { env: { ...process.env, ...SERVER_MALLOC_ENV, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out}`)), 20_000);
    const check = () => {
      const m = out.match(/Listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill(signal);
    return exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    proc,
    output: () => out,
    stop,
    async dispose() {
      await stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** fetch() returning status and parsed JSON (or text when the body is not JSON). */
export async function request(
  base: string,
  method: string,
  pathAndQuery: string,
  options: { body?: unknown; rawBody?: string | Buffer; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(base + pathAndQuery, { method, headers, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: left as text for the assertion to show
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
