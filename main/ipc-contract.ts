// The typed, allow-listed bridge between the renderer and Electron's main process.
// Imported as types only: by main/ (handlers), main/preload.cts (the bridge) and renderer/ (the caller).

export interface AppInfo {
  name: string;
  version: string;
  /** process.platform of the desktop, e.g. 'linux'. */
  platform: string;
  electronVersion: string;
}

/** Every invoke channel, its arguments and its result. Adding a channel starts here. */
export interface IpcInvokeMap {
  'app:get-info': { args: []; result: AppInfo };
}

export type IpcChannel = keyof IpcInvokeMap;

/** What the preload puts on `window.meowtrix`. Absent when the renderer runs in a plain browser. */
export interface MeowtrixDesktopApi {
  getAppInfo(): Promise<AppInfo>;
}

