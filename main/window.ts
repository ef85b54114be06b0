// The main window: isolated, sandboxed, no Node in the page; it can show only the bundled renderer.
import { BrowserWindow, shell } from 'electron';
import { pathToFileURL } from 'node:url';
import { PRELOAD, RENDERER_INDEX } from './paths.ts';

export function createMainWindow(options: { show?: boolean } = {}): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 360,
    minHeight: 480,
    title: 'Meowtrix',
    show: false,
    backgroundColor: '#fffaf4',
    autoHideMenuBar: true,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: true,
    },
  });

  const home = pathToFileURL(RENDERER_INDEX).href;
  // Links open in the system browser; the window itself never leaves the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (url.split('#')[0] !== home) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (options.show !== false) win.once('ready-to-show', () => win.show());
  void win.loadURL(home);
  return win;
}
