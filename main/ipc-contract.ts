// The typed, allow-listed bridge between the renderer and Electron's main process.
// Imported as types only: by main/ (handlers), main/preload.cts (the bridge) and renderer/ (the caller).

export interface AppInfo {
  name: string;
  version: string;
  /** process.platform of the desktop, e.g. 'linux'. */
  platform: string;
  electronVersion: string;
}

export interface DesktopSettings {
  hosting: boolean;
  port: number;
  /** 'lan': every LAN interface; 'local': this PC only. */
  bind: 'lan' | 'local';
  serverName: string;
  dataDir: string;
  startAtLogin: boolean;
  closeToTray: boolean;
  /** Accounts exist: the server name can no longer change. */
  serverNameLocked: boolean;
}

export type SettingsPatch = Partial<Omit<DesktopSettings, 'serverNameLocked'>>;

export type SettingsResult = { ok: true; settings: DesktopSettings } | { ok: false; field: string; error: string };

export interface HostingStatus {
  state: 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';
  url: string | null;
  port: number | null;
  serverName: string | null;
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  lastError: string | null;
  failure: string | null;
}

export interface HostingView {
  status: HostingStatus;
  lanUrls: string[];
  hasAdmin: boolean;
}

export interface MatrixSession {
  baseUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export type CreateAdminResult = { ok: true; session: MatrixSession } | { ok: false; error: string };

export interface HostingStats {
  /** Accounts on the server (null when it is not running). */
  users: number | null;
  databaseBytes: number;
  mediaBytes: number;
  lastSnapshotAt: number | null;
}

/** The hosted server's live status, as its admin WebSocket pushes it (server/status/feed.ts). */
export interface HostLiveStatus {
  server_name: string;
  started_at: number;
  uptime_ms: number;
  connected_devices: { user_id: string; device_id: string; display_name: string | null; last_seen_ts: number; last_seen_ip: string }[];
  messages_today: number;
  day_start_ts: number;
  accounts: number;
  database_bytes: number;
  media_bytes: number;
  last_snapshot_ts: number | null;
}

export interface ReachabilityView {
  addresses: { url: string; reachable: boolean }[];
  /** Active firewalls on this PC, each with the command that opens the server's port. */
  firewalls: { kind: 'ufw' | 'firewalld'; command: string }[];
}

export type RestoreResult = { ok: true; file: string } | { ok: false; error: string } | { ok: false; cancelled: true };

export type BackupResult = { ok: true; file: string; bytes: number } | { ok: false; error: string } | { ok: false; cancelled: true };

/** Every invoke channel, its arguments and its result. Adding a channel starts here. */
export interface IpcInvokeMap {
  'app:get-info': { args: []; result: AppInfo };
  'app:set-unread': { args: [count: number]; result: void };
  /** Shows and focuses the main window (a notification was clicked while it was hidden in the tray). */
  'app:show-window': { args: []; result: void };
  'settings:get': { args: []; result: DesktopSettings };
  'settings:set': { args: [patch: SettingsPatch]; result: SettingsResult };
  'hosting:get': { args: []; result: HostingView };
  'hosting:set': { args: [on: boolean]; result: HostingView };
  'hosting:create-admin': { args: [username: string, password: string]; result: CreateAdminResult };
  /** The host panel's admin session (only while hosting runs); never stored by the page. */
  'hosting:admin-session': { args: []; result: MatrixSession | null };
  'hosting:backup': { args: []; result: BackupResult };
  'hosting:stats': { args: []; result: HostingStats };
  'hosting:reachability': { args: []; result: ReachabilityView };
  /** Replaces the data dir with a backup (the page confirms first); the server is stopped meanwhile. */
  'hosting:restore': { args: []; result: RestoreResult };
  /** Starts (true) or stops (false) relaying the server's live status as 'hosting:live-status' events. */
  'hosting:watch-status': { args: [on: boolean]; result: void };
  /** When the host admin's token could not be renewed: sign the panel in with the admin's password. */
  'hosting:admin-sign-in': { args: [username: string, password: string]; result: CreateAdminResult };
}

export type IpcChannel = keyof IpcInvokeMap;

/** Main → renderer notifications. */
export interface IpcEventMap {
  'hosting:changed': HostingView;
  /** The live status while watched; null when it is unavailable (server stopped, admin signed out). */
  'hosting:live-status': HostLiveStatus | null;
}

/** What the preload puts on `window.meowtrix`. Absent when the renderer runs in a plain browser. */
export interface MeowtrixDesktopApi {
  getAppInfo(): Promise<AppInfo>;
  /** Tells the tray and launcher how many messages are unread (0 clears the badge). */
  setUnreadCount(count: number): Promise<void>;
  /** Brings the window back from the tray or minimised, focused (window.focus() cannot show a hidden window). */
  showWindow(): Promise<void>;
  getSettings(): Promise<DesktopSettings>;
  setSettings(patch: SettingsPatch): Promise<SettingsResult>;
  getHosting(): Promise<HostingView>;
  setHosting(on: boolean): Promise<HostingView>;
  createHostAdmin(username: string, password: string): Promise<CreateAdminResult>;
  getHostAdminSession(): Promise<MatrixSession | null>;
  backupNow(): Promise<BackupResult>;
  getHostingStats(): Promise<HostingStats>;
  restoreBackup(): Promise<RestoreResult>;
  checkReachability(): Promise<ReachabilityView>;
  /** Live hosting status; returns the unsubscribe function. */
  onHostingChanged(listener: (view: HostingView) => void): () => void;
  /** The server's live status, pushed (no polling) until the returned function is called. */
  watchHostStatus(listener: (status: HostLiveStatus | null) => void): () => void;
  signInHostAdmin(username: string, password: string): Promise<CreateAdminResult>;
}
