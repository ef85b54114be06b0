// Hosting as the settings describe it: turning "Host server" on or off, or changing the port,
// bind or data folder, applies live to the supervised server; start at login follows too.
import { HostingSupervisor, type HostConfig, type HostingStatus } from './supervisor.ts';
import { HostAdminStore, createHostAdmin, remintHostAdmin, signInHostAdmin, tokenState, type MatrixSession } from './host_admin.ts';
import { StatusRelay } from './status_relay.ts';
import { callAdminSocket } from '../../server/http/admin_socket.ts';
import type { SettingsStore } from '../settings/store.ts';
import type { DesktopSettings } from '../settings/settings.ts';
import { bindAddress, phoneUrls } from '../lan.ts';
import { storageStats } from './storage_stats.ts';
import type { HostLiveStatus, HostingStats, ReachabilityView } from '../ipc-contract.ts';
import { checkReachability, openPortCommand, type FirewallKind } from './reachability.ts';

export interface HostingView {
  status: HostingStatus;
  /** What phones type (empty when bound to this PC only or not running). */
  lanUrls: string[];
  /** The host admin account exists for this data dir (the panel can act). */
  hasAdmin: boolean;
}

export interface HostControllerOptions {
  settings: SettingsStore;
  supervisor: HostingSupervisor;
  admins: HostAdminStore;
  /** Writes or removes the start-at-login entry. */
  applyAutostart?: (enabled: boolean) => void;
  /** The renderer build the server serves at '/'. */
  webRoot?: string | null;
  logLevel?: string;
  /** Lists what phones type; defaults to the machine's LAN addresses (lan.ts). */
  listPhoneUrls?: (port: number, bind: DesktopSettings['bind']) => string[];
  /** The address a bind choice listens on; defaults to lan.ts (0.0.0.0 or 127.0.0.1). */
  bindAddress?: (bind: DesktopSettings['bind']) => string;
  /** Finds active firewalls; defaults to reading ufw's state and asking firewalld. */
  detectFirewalls?: () => Promise<FirewallKind[]>;
}

export class HostController {
  private readonly o: HostControllerOptions;
  private readonly liveListeners = new Set<(status: HostLiveStatus | null) => void>();
  private readonly relay: StatusRelay;
  /** One renewal at a time: the panel and the relay may both find the token dead together. */
  private renewing: Promise<MatrixSession | null> | null = null;

  constructor(options: HostControllerOptions) {
    this.o = options;
    this.relay = new StatusRelay({
      session: (refused) => this.adminSession({ refused }),
      onStatus: (status) => this.liveListeners.forEach((listener) => listener(status)),
    });
    options.supervisor.on('status', (status) => {
      void this.noteAccounts(status);
      if (status.state === 'running') this.relay.serverUp();
      else this.relay.serverDown();
    });
  }

  /** The live status relayed from the server's WebSocket (main.ts sends it to the window). */
  onLiveStatus(listener: (status: HostLiveStatus | null) => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  /** The panel opened (true) or closed (false): the relay runs only while it is watched. */
  watchStatus(on: boolean): void {
    if (on) this.relay.start();
    else this.relay.stop();
  }

  settings(): DesktopSettings {
    return this.o.settings.get();
  }

  hostConfig(s: DesktopSettings = this.settings()): HostConfig {
    return { port: s.port, bind: (this.o.bindAddress ?? bindAddress)(s.bind), serverName: s.serverName, dataDir: s.dataDir, logLevel: this.o.logLevel ?? 'info', webRoot: this.o.webRoot ?? null };
  }

  view(): HostingView {
    const status = this.o.supervisor.status;
    const s = this.settings();
    return {
      status,
      lanUrls: status.state === 'running' && status.port !== null ? (this.o.listPhoneUrls ?? phoneUrls)(status.port, s.bind) : [],
      hasAdmin: this.o.admins.get(s.dataDir) !== null,
    };
  }

  /** Starts or stops hosting to match the settings (used at launch and after every change). */
  async apply(): Promise<HostingView> {
    const s = this.settings();
    if (s.hosting) await this.o.supervisor.start(this.hostConfig(s));
    else await this.o.supervisor.stop();
    return this.view();
  }

  /** A validated change from the UI, applied live. */
  async update(patch: unknown): Promise<DesktopSettings> {
    const before = this.settings();
    const after = this.o.settings.update(patch);
    if (after.startAtLogin !== before.startAtLogin) this.o.applyAutostart?.(after.startAtLogin);
    const serverChanged = ['hosting', 'port', 'bind', 'serverName', 'dataDir'].some((k) => before[k as keyof DesktopSettings] !== after[k as keyof DesktopSettings]);
    if (serverChanged) await this.apply();
    return after;
  }

  async setHosting(on: boolean): Promise<HostingView> {
    await this.update({ hosting: on });
    return this.view();
  }

  /** First run: the host's admin account, created on the running server; the window's session returned. */
  async createAdmin(username: string, password: string): Promise<MatrixSession> {
    const status = this.o.supervisor.status;
    if (status.state !== 'running' || !status.url) throw new Error('turn on "Host server" first');
    const { window } = await createHostAdmin(this.o.admins, { dataDir: this.settings().dataDir, baseUrl: status.url }, username, password);
    this.o.settings.set({ serverNameLocked: true });
    return window;
  }

  /**
   * The panel's admin session, only while hosting runs. A token the server refuses (revoked, device
   * signed out, password changed) is replaced by a fresh one minted through the admin socket; null
   * when that fails too (the panel then asks the admin to sign in). `refused`: the caller just saw
   * the stored token refused, so skip asking the server again.
   */
  async adminSession(options: { refused?: boolean } = {}): Promise<MatrixSession | null> {
    const status = this.o.supervisor.status;
    const dataDir = this.settings().dataDir;
    const admin = this.o.admins.get(dataDir);
    if (status.state !== 'running' || !status.url || !admin) return null;
    const baseUrl = status.url;
    const state = options.refused ? 'dead' : await tokenState(baseUrl, admin.accessToken);
    if (state === 'valid') return { baseUrl, userId: admin.userId, accessToken: admin.accessToken, deviceId: admin.deviceId };
    if (state === 'unknown') return null;
    this.renewing ??= (async () => {
      // Another caller may have renewed it meanwhile.
      const latest = this.o.admins.get(dataDir);
      if (latest && latest.accessToken !== admin.accessToken) return { baseUrl, userId: latest.userId, accessToken: latest.accessToken, deviceId: latest.deviceId };
      return remintHostAdmin(this.o.admins, { dataDir, baseUrl }).catch(() => null);
    })().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** The fallback when renewal fails: the admin signs the panel in with a password. */
  async adminSignIn(username: string, password: string): Promise<MatrixSession> {
    const status = this.o.supervisor.status;
    if (status.state !== 'running' || !status.url) throw new Error('turn on "Host server" first');
    const session = await signInHostAdmin(this.o.admins, { dataDir: this.settings().dataDir, baseUrl: status.url }, username, password);
    if (this.relay.watching) this.relay.serverUp();
    return session;
  }

  /** Replaces the data dir with a backup: the server stops first (restore refuses a live dir) and comes back if it was on. */
  async restore(write: (dataDir: string) => Promise<void>): Promise<void> {
    await this.o.supervisor.stop();
    try {
      await write(this.settings().dataDir);
    } finally {
      await this.apply();
    }
  }

  /** Probes every phone address and names the active firewalls with the command that opens the port. */
  async reachability(): Promise<ReachabilityView> {
    const view = this.view();
    const port = view.status.port ?? this.settings().port;
    const { addresses, firewalls } = await checkReachability(view.lanUrls, this.o.detectFirewalls);
    return { addresses, firewalls: firewalls.map((kind) => ({ kind, command: openPortCommand(kind, port) })) };
  }

  /** Accounts (from the running server) and disk use of the data dir. */
  async stats(): Promise<HostingStats> {
    const running = this.o.supervisor.status.state === 'running';
    const reply = running ? await callAdminSocket(this.settings().dataDir, 'user.list', {}).catch(() => null) : null;
    const users = reply?.ok ? ((reply.result as { users?: unknown[] }).users?.length ?? 0) : null;
    return { users, ...(await storageStats(this.settings().dataDir)) };
  }

  /** Once the running server has accounts, the server name is fixed (user IDs carry it). */
  private async noteAccounts(status: HostingStatus): Promise<void> {
    if (status.state !== 'running' || this.settings().serverNameLocked) return;
    const reply = await callAdminSocket(this.settings().dataDir, 'user.list', {}).catch(() => null);
    const count = reply?.ok ? ((reply.result as { users?: unknown[] }).users?.length ?? 0) : 0;
    if (count > 0) this.o.settings.set({ serverNameLocked: true });
  }
}
