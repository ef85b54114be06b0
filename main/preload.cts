// Sandboxed preload (CommonJS; sandboxed preloads may require only 'electron' and a few builtins):
// exposes a small allow-listed API on window.meowtrix. No ipcRenderer or Node object reaches the page.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcChannel, IpcInvokeMap, MeowtrixDesktopApi } from './ipc-contract.ts';

function invoke<C extends IpcChannel>(channel: C, ...args: IpcInvokeMap[C]['args']): Promise<IpcInvokeMap[C]['result']> {
  return ipcRenderer.invoke(channel, ...args);
}

const api: MeowtrixDesktopApi = {
  getAppInfo: () => invoke('app:get-info'),
};

contextBridge.exposeInMainWorld('meowtrix', api);
