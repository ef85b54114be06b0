// Sandboxed preload (CommonJS; sandboxed preloads may require only 'electron' and a few builtins):
// exposes a small allow-listed API on window.meowtrix. No ipcRenderer or Node object reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { HostLiveStatus, HostingView, IpcChannel, IpcInvokeMap, MeowtrixDesktopApi } from './ipc-contract.ts';

function invoke<C extends IpcChannel>(channel: C, ...args: IpcInvokeMap[C]['args']): Promise<IpcInvokeMap[C]['result']> {
  return ipcRenderer.invoke(channel, ...args);
}

const api: MeowtrixDesktopApi = {
  getAppInfo: () => invoke('app:get-info'),
  setUnreadCount: (count) => invoke('app:set-unread', count),
  showWindow: () => invoke('app:show-window'),
  getSettings: () => invoke('settings:get'),
  setSettings: (patch) => invoke('settings:set', patch),
  getHosting: () => invoke('hosting:get'),
  setHosting: (on) => invoke('hosting:set', on),
  createHostAdmin: (username, password) => invoke('hosting:create-admin', username, password),
  getHostAdminSession: () => invoke('hosting:admin-session'),
  backupNow: () => invoke('hosting:backup'),
  getHostingStats: () => invoke('hosting:stats'),
  restoreBackup: () => invoke('hosting:restore'),
  checkReachability: () => invoke('hosting:reachability'),
  onHostingChanged: (listener) => {
    // The page gets the payload only, never the event (which carries the sender).
    const wrapped = (_event: IpcRendererEvent, view: HostingView) => listener(view);
    ipcRenderer.on('hosting:changed', wrapped);
    return () => ipcRenderer.off('hosting:changed', wrapped);
  },
  watchHostStatus: (listener) => {
    const wrapped = (_event: IpcRendererEvent, status: HostLiveStatus | null) => listener(status);
    ipcRenderer.on('hosting:live-status', wrapped);
    void invoke('hosting:watch-status', true);
    return () => {
      ipcRenderer.off('hosting:live-status', wrapped);
      void invoke('hosting:watch-status', false);
    };
  },
  signInHostAdmin: (username, password) => invoke('hosting:admin-sign-in', username, password),
};

contextBridge.exposeInMainWorld('meowtrix', api);
