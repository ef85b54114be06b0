// Electron entry: one instance per user, sandboxed renderers, one main window, the tray, and the
// household's homeserver supervised in a utility process when "Host server" is on.
import { app, BrowserWindow, dialog, session } from 'electron';
import path from 'node:path';
import { registerIpcHandlers, sendToRenderer } from './ipc.ts';
import { createIpcHandlers } from './ipc_handlers.ts';
import { createMainWindow } from './window.ts';
import { HOST_ENTRY, RENDERER_DIR } from './paths.ts';
import { SettingsStore } from './settings/store.ts';
import { HostingSupervisor } from './hosting/supervisor.ts';
import { utilityLauncher } from './hosting/utility_launcher.ts';
import { RotatingLog } from './hosting/log_file.ts';
import { HostAdminStore } from './hosting/host_admin.ts';
import { HostController } from './hosting/controller.ts';
import { applyAutostart, launchCommand } from './autostart.ts';
import { AppTray } from './tray.ts';
import { CONTENT_SECURITY_POLICY } from './csp.ts';
import { backupDataDir, restoreDataDir } from '../server/storage/backup.ts';
import { createLogger } from '../server/log.ts';

app.enableSandbox();
app.setName('Meowtrix');
// A separate profile (settings, host admin) for tests and side-by-side instances.
if (process.env.MEOWTRIX_USER_DATA) app.setPath('userData', path.resolve(process.env.MEOWTRIX_USER_DATA));

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window and the homeserver: it focuses itself; we leave.
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  let quitting = false;
  const startHidden = process.argv.includes('--hidden');
  const settings = new SettingsStore(app.getPath('userData'));
  const supervisor = new HostingSupervisor({
    launcher: utilityLauncher,
    entry: HOST_ENTRY,
    openLog: (config) => new RotatingLog(path.join(config.dataDir, 'server.log')),
  });
  const startCommand = launchCommand({ isPackaged: app.isPackaged, execPath: process.execPath, appPath: app.getAppPath(), env: process.env });
  const host = new HostController({
    settings,
    supervisor,
    admins: new HostAdminStore(app.getPath('userData')),
    applyAutostart: (enabled) => applyAutostart(enabled, startCommand),
    webRoot: RENDERER_DIR,
  });
  let tray: AppTray | null = null;

  const showMainWindow = () => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow();
      watchClose(mainWindow);
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  const watchClose = (win: BrowserWindow) => {
    win.on('close', (event) => {
      // Close-to-tray keeps the app (and the server phones use) running.
      if (!quitting && settings.get().closeToTray && tray) {
        event.preventDefault();
        win.hide();
      }
    });
    // A page that goes away (closed, reloaded, crashed) no longer watches the live status;
    // a reloaded panel asks again.
    const unwatch = () => host.watchStatus(false);
    win.on('closed', unwatch);
    win.webContents.on('did-navigate', unwatch);
    win.webContents.on('render-process-gone', unwatch);
  };

  const quit = () => {
    quitting = true;
    app.quit();
  };

  host.onLiveStatus((status) => {
    if (mainWindow && !mainWindow.isDestroyed()) sendToRenderer(mainWindow.webContents, 'hosting:live-status', status);
  });

  supervisor.on('status', () => {
    const view = host.view();
    tray?.update(settings.get().hosting, view);
    if (mainWindow && !mainWindow.isDestroyed()) sendToRenderer(mainWindow.webContents, 'hosting:changed', view);
  });

  // A session ending (logout, shutdown, `kill`) quits like the tray's Quit: the server stops with a final snapshot.
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);

  app.on('second-instance', showMainWindow);
  app.on('activate', showMainWindow);
  app.on('window-all-closed', () => {
    if (!tray || !settings.get().closeToTray) quit();
  });

  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    // Stop the server cleanly (its close() flushes storage) before the process leaves.
    event.preventDefault();
    void supervisor.stop().finally(() => {
      stopped = true;
      tray?.destroy();
      app.quit();
    });
  });

  void app.whenReady().then(async () => {
    // The window loads file:// (no response headers: renderer/index.html carries the same policy as a
    // meta tag); anything served over http(s) into a frame gets it as a header.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    // Only what the chat uses: notifications, copying, a video's full screen. Camera, microphone,
    // location and the rest are refused without asking.
    const allowed = new Set(['notifications', 'clipboard-sanitized-write', 'fullscreen']);
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowed.has(permission)));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowed.has(permission));
    const handlers = createIpcHandlers({
      setUnread: (count) => {
        tray?.setUnread(count > 0);
        app.setBadgeCount(count);
      },
      showWindow: showMainWindow,
      appInfo: () => ({ name: app.getName(), version: app.getVersion(), platform: process.platform, electronVersion: process.versions.electron ?? 'unknown' }),
      host,
      chooseBackupFile: async () => {
        const stamp = new Date().toISOString().slice(0, 10);
        const result = await dialog.showSaveDialog({ defaultPath: `meowtrix-backup-${stamp}.mxbak` });
        return result.canceled || !result.filePath ? null : result.filePath;
      },
      backup: async (dataDir, file) => backupDataDir(dataDir, file, createLogger('warn')),
      chooseRestoreFile: async () => {
        const result = await dialog.showOpenDialog({ properties: ['openFile'], filters: [{ name: 'Meowtrix backup', extensions: ['mxbak'] }, { name: 'All files', extensions: ['*'] }] });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      restore: async (file, dataDir) => {
        await restoreDataDir(file, dataDir, true);
      },
    });
    registerIpcHandlers(handlers);
    try {
      tray = new AppTray({ open: showMainWindow, setHosting: (on) => void host.setHosting(on), quit });
      tray.update(settings.get().hosting, host.view());
    } catch {
      tray = null; // no tray on this desktop: closing the window quits
    }
    mainWindow = createMainWindow({ show: !(startHidden && tray) });
    watchClose(mainWindow);
    await host.apply();
  });
}
