// Homeserver configuration: defaults, validation and the data directory.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { DEFAULT_ACTION_LIMITS, copyLimits, type ActionLimits } from './http/action_limits.ts';

export interface HomeserverConfig {
  /** TCP port for the client-server API (0 picks a free port). */
  port: number;
  /** Address to bind: '0.0.0.0' for every LAN interface, '127.0.0.1' for this PC only. */
  bind: string;
  /** The Matrix server name: the part after ':' in user IDs. May carry a port. */
  serverName: string;
  /** Where the config, signing key, database, journal and media live. */
  dataDir: string;
  /** Largest JSON request body, in bytes. */
  maxJsonBytes: number;
  /** Largest media upload, in bytes. */
  maxUploadBytes: number;
  /** Anyone may register with m.login.dummy. Off by default: the host creates accounts. */
  openRegistration: boolean;
  /** Directory holding the built renderer, served at '/' when it exists. */
  webRoot: string | null;
  /** Log level: 'silent' | 'error' | 'warn' | 'info' | 'debug'. */
  logLevel: LogLevel;
  /** Failed login attempts allowed per client IP and per user: a burst, then `perSecond`. */
  loginRateLimit: { burst: number; perSecond: number };
  /** Per-user and per-IP limits on registering, sending, uploading and inviting (host admins exempt). */
  actionRateLimits: ActionLimits;
  /** People search finds every local user, not only those sharing a room (a household server; on by default). */
  userDirectorySearchAllUsers: boolean;
}

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : null;
  return path.join(xdg ?? path.join(os.homedir(), '.local', 'share'), 'meowtrix');
}

/** The machine's hostname, reduced to what the server-name grammar allows. */
export function defaultServerName(): string {
  const name = os.hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '');
  return name || 'localhost';
}

// Appendix "Server Name": hostname (or IPv4 / [IPv6]) with an optional :port.
const SERVER_NAME = /^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function isValidServerName(name: string): boolean {
  if (!SERVER_NAME.test(name)) return false;
  const port = name.match(/:([0-9]{1,5})$/)?.[1];
  return port === undefined || (Number(port) > 0 && Number(port) <= 65535);
}

export function resolveConfig(partial: Partial<HomeserverConfig> = {}): HomeserverConfig {
  const config: HomeserverConfig = {
    port: 8008,
    bind: '0.0.0.0',
    serverName: defaultServerName(),
    dataDir: defaultDataDir(),
    maxJsonBytes: 4 * 1024 * 1024,
    maxUploadBytes: 100 * 1024 * 1024,
    openRegistration: false,
    webRoot: defaultWebRoot(),
    logLevel: 'info',
    loginRateLimit: { burst: 5, perSecond: 0.1 },
    actionRateLimits: copyLimits(DEFAULT_ACTION_LIMITS),
    userDirectorySearchAllUsers: true,
    ...stripUndefined(partial),
  };
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be an integer 0-65535, got ${config.port}`);
  }
  if (!isValidServerName(config.serverName)) {
    throw new ConfigError(`"${config.serverName}" is not a valid server name (hostname or IP, optional :port)`);
  }
  if (!LOG_LEVELS.includes(config.logLevel)) throw new ConfigError(`unknown log level "${config.logLevel}"`);
  config.dataDir = path.resolve(config.dataDir);
  return config;
}

/** Creates the data directory private to this user (0700). */
export function ensureDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export class ConfigError extends Error {}

function defaultWebRoot(): string | null {
  // dist/renderer next to server/ (run from source) or to dist/server (built). The source
  // server/ sits beside renderer/'s *source* index.html, so dist/renderer is tried first.
  const here = path.dirname(new URL(import.meta.url).pathname);
  const candidates = [path.join(here, '..', 'dist', 'renderer')];
  if (path.basename(path.dirname(here)) === 'dist') candidates.push(path.join(here, '..', 'renderer'));
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
