// What each IPC channel does, with every payload from the renderer validated here in main.
// Plain module (no Electron import): main/ipc.ts wires it to ipcMain; tests call it directly.
import type { AppInfo, BackupResult, CreateAdminResult, IpcChannel, IpcInvokeMap, RestoreResult, SettingsResult } from './ipc-contract.ts';
import type { HostController } from './hosting/controller.ts';
import { SettingsError } from './settings/settings.ts';

export interface IpcDeps {
  appInfo(): AppInfo;
  /** Unread messages across rooms: the tray icon's dot and the launcher badge. */
  setUnread?(count: number): void;
  /** Shows and focuses the main window, even from the tray. */
  showWindow?(): void;
  host: HostController;
  /** Asks where to save a backup (a save dialog in the app); null when cancelled. */
  chooseBackupFile(): Promise<string | null>;
  /** Asks which backup to restore (an open dialog in the app); null when cancelled. */
  chooseRestoreFile(): Promise<string | null>;
  /** Replaces the data dir's contents with the backup's. */
  restore(file: string, dataDir: string): Promise<void>;
  /** Writes a backup of the data dir to the file. */
  backup(dataDir: string, file: string): Promise<{ bytes: number }>;
}

export type IpcHandlers = { [C in IpcChannel]: (args: unknown[]) => Promise<IpcInvokeMap[C]['result']> };

export class IpcPayloadError extends Error {}

function expectArgs(channel: string, args: unknown[], count: number): void {
  if (!Array.isArray(args) || args.length !== count) throw new IpcPayloadError(`${channel}: expected ${count} argument(s)`);
}

// Matrix user ID localparts (the server checks again): lower-case letters, digits, ._=-/
const LOCALPART = /^[a-z0-9._=\-/]{1,64}$/;

export function createIpcHandlers(deps: IpcDeps): IpcHandlers {
  const { host } = deps;
  return {
    async 'app:get-info'(args) {
      expectArgs('app:get-info', args, 0);
      return deps.appInfo();
    },
    async 'app:set-unread'(args) {
      expectArgs('app:set-unread', args, 1);
      const count = args[0];
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw new IpcPayloadError('app:set-unread: expected a count');
      deps.setUnread?.(count);
    },
    async 'app:show-window'(args) {
      expectArgs('app:show-window', args, 0);
      deps.showWindow?.();
    },
    async 'settings:get'(args) {
      expectArgs('settings:get', args, 0);
      return host.settings();
    },
    async 'settings:set'(args): Promise<SettingsResult> {
      expectArgs('settings:set', args, 1);
      try {
        return { ok: true, settings: await host.update(args[0]) };
      } catch (err) {
        if (err instanceof SettingsError) return { ok: false, field: err.field, error: err.message };
        throw err;
      }
    },
    async 'hosting:get'(args) {
      expectArgs('hosting:get', args, 0);
      return host.view();
    },
    async 'hosting:set'(args) {
      expectArgs('hosting:set', args, 1);
      if (typeof args[0] !== 'boolean') throw new IpcPayloadError('hosting:set: expected true or false');
      return host.setHosting(args[0]);
    },
    async 'hosting:create-admin'(args): Promise<CreateAdminResult> {
      expectArgs('hosting:create-admin', args, 2);
      const [username, password] = args;
      if (typeof username !== 'string' || !LOCALPART.test(username)) {
        return { ok: false, error: 'The name may use lower-case letters, digits and . _ = - / (up to 64).' };
      }
      if (typeof password !== 'string' || password.length < 1 || password.length > 512) {
        return { ok: false, error: 'Type a password (at most 512 characters).' };
      }
      try {
        return { ok: true, session: await host.createAdmin(username, password) };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
    async 'hosting:watch-status'(args) {
      expectArgs('hosting:watch-status', args, 1);
      if (typeof args[0] !== 'boolean') throw new IpcPayloadError('hosting:watch-status: expected true or false');
      host.watchStatus(args[0]);
    },
    async 'hosting:admin-sign-in'(args): Promise<CreateAdminResult> {
      expectArgs('hosting:admin-sign-in', args, 2);
      const [username, password] = args;
      if (typeof username !== 'string' || username.length < 1 || username.length > 255) return { ok: false, error: 'Type the host admin\'s name.' };
      if (typeof password !== 'string' || password.length < 1 || password.length > 512) return { ok: false, error: 'Type the password (at most 512 characters).' };
      try {
        return { ok: true, session: await host.adminSignIn(username, password) };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
    async 'hosting:admin-session'(args) {
      expectArgs('hosting:admin-session', args, 0);
      return host.adminSession();
    },
    async 'hosting:restore'(args): Promise<RestoreResult> {
      expectArgs('hosting:restore', args, 0);
      const file = await deps.chooseRestoreFile();
      if (!file) return { ok: false, cancelled: true };
      try {
        await host.restore((dataDir) => deps.restore(file, dataDir));
        return { ok: true, file };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
    async 'hosting:reachability'(args) {
      expectArgs('hosting:reachability', args, 0);
      return host.reachability();
    },
    async 'hosting:stats'(args) {
      expectArgs('hosting:stats', args, 0);
      return host.stats();
    },
    async 'hosting:backup'(args): Promise<BackupResult> {
      expectArgs('hosting:backup', args, 0);
      const file = await deps.chooseBackupFile();
      if (!file) return { ok: false, cancelled: true };
      try {
        const { bytes } = await deps.backup(host.settings().dataDir, file);
        return { ok: true, file, bytes };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
