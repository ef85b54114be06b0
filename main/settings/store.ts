// Settings persisted as JSON in userData, written atomically (temp file, fsync, rename).
import fs from 'node:fs';
import path from 'node:path';
import { defaultSettings, fromStored, validatePatch, type DesktopSettings } from './settings.ts';

export class SettingsStore {
  readonly file: string;
  private current: DesktopSettings;

  constructor(userDataDir: string, defaults: DesktopSettings = defaultSettings()) {
    this.file = path.join(userDataDir, 'settings.json');
    let stored: unknown = null;
    try {
      stored = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      // first run, or an unreadable file: defaults
    }
    this.current = fromStored(stored, defaults);
  }

  get(): DesktopSettings {
    return { ...this.current };
  }

  /** Validates a change from the renderer, saves it, and returns the new settings. */
  update(patch: unknown): DesktopSettings {
    const valid = validatePatch(patch, this.current);
    this.save({ ...this.current, ...valid });
    return this.get();
  }

  /** Main's own changes (e.g. locking the server name); not validated as UI input. */
  set(next: Partial<DesktopSettings>): DesktopSettings {
    this.save({ ...this.current, ...next });
    return this.get();
  }

  private save(next: DesktopSettings): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(next, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.current = next;
  }
}
