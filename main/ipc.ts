// Main-side IPC handlers. Only the allow-listed channels exist, and only our own page may call them.
import { app, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import type { AppInfo, IpcChannel, IpcInvokeMap } from './ipc-contract.ts';
import { RENDERER_INDEX } from './paths.ts';

type Handler<C extends IpcChannel> = (...args: IpcInvokeMap[C]['args']) => IpcInvokeMap[C]['result'] | Promise<IpcInvokeMap[C]['result']>;

/** A frame may use the bridge only while it shows the bundled renderer (never a navigated-to page). */
export function isTrustedSender(frameUrl: string | undefined): boolean {
  if (!frameUrl) return false;
  const expected = pathToFileURL(RENDERER_INDEX);
  const actual = new URL(frameUrl);
  return actual.protocol === 'file:' && actual.pathname === expected.pathname;
}

function handle<C extends IpcChannel>(channel: C, handler: Handler<C>): void {
  ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    if (!isTrustedSender(event.senderFrame?.url)) throw new Error(`${channel}: sender not allowed`);
    return handler(...(args as IpcInvokeMap[C]['args']));
  });
}

export function registerIpcHandlers(): void {
  handle('app:get-info', (): AppInfo => ({
    name: app.getName(),
    version: app.getVersion(),
    platform: process.platform,
    electronVersion: process.versions.electron ?? 'unknown',
  }));
}
