// The desktop's main-side hosting stack, real but without Electron: settings in a temp userData,
// the supervisor forking server/host_entry.ts, the real IPC handlers.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SettingsStore } from '../../main/settings/store.ts';
import { HostingSupervisor } from '../../main/hosting/supervisor.ts';
import { forkLauncher } from '../../main/hosting/fork_launcher.ts';
import { RotatingLog } from '../../main/hosting/log_file.ts';
import { HostAdminStore } from '../../main/hosting/host_admin.ts';
import { HostController } from '../../main/hosting/controller.ts';
import { createIpcHandlers, type IpcHandlers } from '../../main/ipc_handlers.ts';
import { backupDataDir, restoreDataDir } from '../../server/storage/backup.ts';
import { createLogger } from '../../server/log.ts';
import { ROOT, tempDataDir } from './server.ts';

export const HOST_ENTRY_SOURCE = path.join(ROOT, 'server', 'host_entry.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface DesktopHarness {
  userData: string;
  dataDir: string;
  port: number;
  settings: SettingsStore;
  supervisor: HostingSupervisor;
  host: HostController;
  handlers: IpcHandlers;
  autostartCalls: boolean[];
  backupTarget: { file: string | null };
  restoreSource: { file: string | null };
  dispose(): Promise<void>;
}

/** Settings start with hosting off, bound to this PC only, on a free port, server name host.test. */
export async function desktopHarness(
  options: { bind?: 'lan' | 'local'; listPhoneUrls?: (port: number) => string[]; bindAddress?: (bind: 'lan' | 'local') => string } = {},
): Promise<DesktopHarness> {
  const userData = tempDataDir('meowtrix-userdata-');
  const dataDir = path.join(userData, 'server-data');
  const port = await freePort();
  const settings = new SettingsStore(userData);
  settings.update({ port, bind: options.bind ?? 'local', serverName: 'host.test', dataDir });
  const supervisor = new HostingSupervisor({
    launcher: forkLauncher,
    entry: HOST_ENTRY_SOURCE,
    initialBackoffMs: 100,
    openLog: (config) => new RotatingLog(path.join(config.dataDir, 'server.log')),
  });
  const autostartCalls: boolean[] = [];
  const host = new HostController({ settings, supervisor, admins: new HostAdminStore(userData), applyAutostart: (on) => autostartCalls.push(on), logLevel: 'warn', listPhoneUrls: options.listPhoneUrls, bindAddress: options.bindAddress });
  const backupTarget = { file: null as string | null };
  const restoreSource = { file: null as string | null };
  const handlers = createIpcHandlers({
    appInfo: () => ({ name: 'Meowtrix', version: 'test', platform: process.platform, electronVersion: 'none' }),
    host,
    chooseBackupFile: async () => backupTarget.file,
    backup: (dir, file) => backupDataDir(dir, file, createLogger('silent')),
    chooseRestoreFile: async () => restoreSource.file,
    restore: async (file, dir) => {
      await restoreDataDir(file, dir, true);
    },
  });
  return {
    userData,
    dataDir,
    port,
    settings,
    supervisor,
    host,
    handlers,
    autostartCalls,
    backupTarget,
    restoreSource,
    async dispose() {
      await supervisor.stop();
      fs.rmSync(userData, { recursive: true, force: true });
    },
  };
}

/**
 * Serves the built renderer over loopback HTTP (Chromium refuses module scripts from file://, which
 * Electron allows): the page then stands in for the app's window, apart from any homeserver.
 */
export async function serveRenderer(root = path.join(ROOT, 'dist', 'renderer')): Promise<{ url: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.wasm': 'application/wasm', '.png': 'image/png' };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
