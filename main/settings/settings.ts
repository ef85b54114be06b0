// The desktop settings: what they are, their defaults, and validation of every change from the UI.
import path from 'node:path';
import { defaultDataDir, defaultServerName, isValidServerName } from '../../server/config.ts';

export type BindChoice = 'lan' | 'local';

export interface DesktopSettings {
  /** "Host server": this PC runs the household's homeserver. */
  hosting: boolean;
  port: number;
  /** 'lan': every LAN interface (phones can connect); 'local': this PC only. */
  bind: BindChoice;
  /** The part after ':' in user IDs; fixed once accounts exist (their IDs carry it). */
  serverName: string;
  dataDir: string;
  /** XDG autostart entry, started hidden in the tray. */
  startAtLogin: boolean;
  /** Closing the window keeps the app (and the server) in the tray. */
  closeToTray: boolean;
  /** Set once accounts exist on the hosted server: the server name can then no longer change. */
  serverNameLocked: boolean;
}

/** Fields the UI may change (serverNameLocked is main's own record). */
export type SettingsPatch = Partial<Omit<DesktopSettings, 'serverNameLocked'>>;

export function defaultSettings(env: NodeJS.ProcessEnv = process.env): DesktopSettings {
  return {
    hosting: false,
    port: 8008,
    bind: 'lan',
    serverName: defaultServerName(),
    dataDir: defaultDataDir(env),
    startAtLogin: false,
    closeToTray: true,
    serverNameLocked: false,
  };
}

export class SettingsError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const KEYS = ['hosting', 'port', 'bind', 'serverName', 'dataDir', 'startAtLogin', 'closeToTray'] as const;

/** Checks a change from the renderer against the current settings; throws SettingsError naming the field. */
export function validatePatch(patch: unknown, current: DesktopSettings): SettingsPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new SettingsError('settings', 'settings must be an object');
  const out: SettingsPatch = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new SettingsError(key, `unknown setting "${key}"`);
    switch (key as (typeof KEYS)[number]) {
      case 'hosting':
      case 'startAtLogin':
      case 'closeToTray':
        if (typeof value !== 'boolean') throw new SettingsError(key, `${key} must be true or false`);
        out[key as 'hosting'] = value;
        break;
      case 'port':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
          throw new SettingsError('port', 'the port must be a whole number from 1 to 65535');
        }
        out.port = value;
        break;
      case 'bind':
        if (value !== 'lan' && value !== 'local') throw new SettingsError('bind', 'bind must be "lan" or "local"');
        out.bind = value;
        break;
      case 'serverName':
        if (typeof value !== 'string' || !isValidServerName(value)) {
          throw new SettingsError('serverName', 'the server name must be a host name or IP address, like archpc');
        }
        if (value !== current.serverName && current.serverNameLocked) {
          throw new SettingsError('serverName', 'the server name is fixed: accounts exist, and their IDs end with it');
        }
        out.serverName = value;
        break;
      case 'dataDir':
        if (typeof value !== 'string' || !path.isAbsolute(value) || value.length > 4096 || value.includes('\0')) {
          throw new SettingsError('dataDir', 'the data folder must be an absolute path');
        }
        out.dataDir = path.resolve(value);
        break;
    }
  }
  return out;
}

/** Reads a stored file leniently: each valid field is kept, anything else falls back to its default. */
export function fromStored(stored: unknown, defaults: DesktopSettings): DesktopSettings {
  const result = { ...defaults };
  if (typeof stored !== 'object' || stored === null) return result;
  for (const [key, value] of Object.entries(stored)) {
    try {
      Object.assign(result, validatePatch({ [key]: value }, { ...result, serverNameLocked: false }));
    } catch {
      // a hand-edited or older file: ignore that field
    }
  }
  if ((stored as { serverNameLocked?: unknown }).serverNameLocked === true) result.serverNameLocked = true;
  return result;
}
