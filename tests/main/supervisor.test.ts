// The hosting supervisor with a real homeserver child process (child_process.fork of server/host_entry.ts,
// the same entry Electron's utilityProcess runs): start → /health, SIGKILL → restarted, stop → port free.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HostingSupervisor, SERVER_NODE_OPTIONS, probeHealth, type HostingStatus } from '../../main/hosting/supervisor.ts';
import { forkLauncher } from '../../main/hosting/fork_launcher.ts';
import { RotatingLog } from '../../main/hosting/log_file.ts';
import { ROOT, tempDataDir } from '../helpers/server.ts';

const ENTRY = path.join(ROOT, 'server', 'host_entry.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function waitFor(supervisor: HostingSupervisor, predicate: (s: HostingStatus) => boolean, timeoutMs = 20_000): Promise<HostingStatus> {
  if (predicate(supervisor.status)) return Promise.resolve(supervisor.status);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; status ${JSON.stringify(supervisor.status)}`)), timeoutMs);
    const listener = (s: HostingStatus) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      supervisor.off('status', listener);
      resolve(s);
    };
    supervisor.on('status', listener);
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('hosting supervisor', () => {
  it('starts the server, restarts it after SIGKILL, and stop releases the port', async () => {
    const dataDir = tempDataDir('meowtrix-host-');
    dirs.push(dataDir);
    const port = await freePort();
    const log = new RotatingLog(path.join(dataDir, 'server.log'));
    const supervisor = new HostingSupervisor({ launcher: forkLauncher, entry: ENTRY, log, initialBackoffMs: 100, healthIntervalMs: 500 });
    try {
      const started = await supervisor.start({ port, bind: '127.0.0.1', serverName: 'host.test', dataDir, logLevel: 'info' });
      expect(started.state).toBe('running');
      expect(started.url).toBe(`http://127.0.0.1:${port}`);
      expect(await probeHealth(started.url!)).toBe(true);
      const firstPid = started.pid!;
      // The server process got the malloc setting that keeps its memory low (read from the kernel).
      const environ = fs.readFileSync(`/proc/${firstPid}/environ`, 'utf8').split('\0');
      expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=1048576');
      // ...and its Node options (the young generation's cap) on its command line, before the entry.
      const argv = fs.readFileSync(`/proc/${firstPid}/cmdline`, 'utf8').split('\0');
      expect(SERVER_NODE_OPTIONS.length).toBeGreaterThan(0);
      for (const option of SERVER_NODE_OPTIONS) expect(argv.indexOf(option)).toBeGreaterThan(0);
      expect(Math.max(...SERVER_NODE_OPTIONS.map((o) => argv.indexOf(o)))).toBeLessThan(argv.indexOf(ENTRY));

      process.kill(firstPid, 'SIGKILL');
      const back = await waitFor(supervisor, (s) => s.state === 'running' && s.pid !== firstPid);
      expect(back.restarts).toBe(1);
      expect(back.lastError).toBeNull();
      expect(await probeHealth(back.url!)).toBe(true);

      await supervisor.stop();
      expect(supervisor.status.state).toBe('stopped');
      expect(await canBind(port)).toBe(true);
      expect(await probeHealth(`http://127.0.0.1:${port}`)).toBe(false);
      // The server's own log lines and the supervisor's notes went to the log file.
      const text = fs.readFileSync(log.file, 'utf8');
      expect(text).toMatch(/homeserver host\.test listening/);
      expect(text).toMatch(/homeserver exited/);
      expect(text).toMatch(/homeserver stopped/); // the clean close() ran on stop
    } finally {
      await supervisor.stop();
    }
  }, 60_000);

  it('reports a taken port as a failure and does not loop restarting', async () => {
    const dataDir = tempDataDir('meowtrix-host-');
    dirs.push(dataDir);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const supervisor = new HostingSupervisor({ launcher: forkLauncher, entry: ENTRY, initialBackoffMs: 50 });
    try {
      await supervisor.start({ port, bind: '127.0.0.1', serverName: 'host.test', dataDir, logLevel: 'warn' });
      const failed = await waitFor(supervisor, (s) => s.state === 'failed');
      expect(failed.failure).toBe('port-in-use');
      expect(failed.lastError).toContain(String(port));
      expect(failed.restarts).toBe(0);
    } finally {
      await supervisor.stop();
      blocker.close();
    }
  }, 30_000);
});

describe('rotating log', () => {
  it('rotates past the size limit and keeps N generations', () => {
    const dir = tempDataDir('meowtrix-log-');
    dirs.push(dir);
    const log = new RotatingLog(path.join(dir, 'server.log'), { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 10; i++) log.write(`line ${i} ${'x'.repeat(40)}\n`);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['server.log', 'server.log.1', 'server.log.2']);
    expect(fs.readFileSync(path.join(dir, 'server.log'), 'utf8')).toContain('line 9');
    expect(fs.statSync(path.join(dir, 'server.log')).size).toBeLessThanOrEqual(100);
  });
});
