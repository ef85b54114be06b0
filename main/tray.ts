// The tray: open, "Host server" on/off, the phone URL, quit; the icon shows unread messages.
import { Menu, Tray, clipboard, nativeImage } from 'electron';
import { trayIconBitmap } from './tray_icon.ts';
import type { HostingView } from './ipc-contract.ts';

export interface TrayActions {
  open(): void;
  setHosting(on: boolean): void;
  quit(): void;
}

export class AppTray {
  private readonly tray: Tray;
  private readonly actions: TrayActions;
  private unread = false;

  constructor(actions: TrayActions) {
    this.actions = actions;
    this.tray = new Tray(this.icon());
    this.tray.setToolTip('Meowtrix');
    this.tray.on('click', () => actions.open());
  }

  private icon(): Electron.NativeImage {
    const size = 32;
    return nativeImage.createFromBitmap(trayIconBitmap(size, this.unread), { width: size, height: size });
  }

  setUnread(unread: boolean): void {
    if (unread === this.unread) return;
    this.unread = unread;
    this.tray.setImage(this.icon());
  }

  update(hostingOn: boolean, view: HostingView): void {
    const url = view.lanUrls[0];
    const menu = Menu.buildFromTemplate([
      { label: 'Open Meowtrix', click: () => this.actions.open() },
      { type: 'separator' },
      { label: 'Host server', type: 'checkbox', checked: hostingOn, click: (item) => this.actions.setHosting(item.checked) },
      ...(url ? [{ label: `Phones: ${url} (click to copy)`, click: () => clipboard.writeText(url) }] : []),
      ...(view.status.state === 'failed' || view.status.state === 'restarting' ? [{ label: `Server: ${view.status.lastError ?? view.status.state}`, enabled: false }] : []),
      { type: 'separator' },
      { label: 'Quit', click: () => this.actions.quit() },
    ]);
    this.tray.setContextMenu(menu);
    this.tray.setToolTip(hostingOn && url ? `Meowtrix: hosting at ${url}` : 'Meowtrix');
  }

  destroy(): void {
    this.tray.destroy();
  }
}
