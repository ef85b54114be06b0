// Main-side IPC wiring. Only the allow-listed channels exist, and only our own page may call them;
// what each channel does (and its payload validation) lives in ipc_handlers.ts.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { pathToFileURL } from 'node:url';
import type { IpcChannel, IpcEventMap } from './ipc-contract.ts';
import type { IpcHandlers } from './ipc_handlers.ts';
import { RENDERER_INDEX } from './paths.ts';

/** A frame may use the bridge only while it shows the bundled renderer (never a navigated-to page). */
export function isTrustedSender(frameUrl: string | undefined): boolean {
  if (!frameUrl) return false;
  const expected = pathToFileURL(RENDERER_INDEX);
  const actual = new URL(frameUrl);
  return actual.protocol === 'file:' && actual.pathname === expected.pathname;
}

export function registerIpcHandlers(handlers: IpcHandlers): void {
  for (const channel of Object.keys(handlers) as IpcChannel[]) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isTrustedSender(event.senderFrame?.url)) throw new Error(`${channel}: sender not allowed`);
      return handlers[channel](args);
    });
  }
}

export function sendToRenderer<E extends keyof IpcEventMap>(contents: WebContents, channel: E, payload: IpcEventMap[E]): void {
  if (!contents.isDestroyed()) contents.send(channel, payload);
}
