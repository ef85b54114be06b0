// Electron entry: one instance per user, sandboxed renderers, one main window.
import { app, BrowserWindow } from 'electron';
import { registerIpcHandlers } from './ipc.ts';
import { createMainWindow } from './window.ts';

app.enableSandbox();
app.setName('Meowtrix');

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window (and, later, the homeserver): it focuses itself; we leave.
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  const startHidden = process.argv.includes('--hidden');

  const showMainWindow = () => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow();
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  app.on('second-instance', showMainWindow);
  app.on('activate', showMainWindow);
  app.on('window-all-closed', () => {
    // Until the tray lands (issue 11), closing the last window quits.
    app.quit();
  });

  void app.whenReady().then(() => {
    registerIpcHandlers();
    mainWindow = createMainWindow({ show: !startHidden });
  });
}
