// Desktop settings, the autostart writer and LAN address listing, under Node with real files.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsStore } from '../../main/settings/store.ts';
import { defaultSettings, validatePatch, SettingsError } from '../../main/settings/settings.ts';
import { applyAutostart, autostartEntry, autostartFile, launchCommand } from '../../main/autostart.ts';
import { phoneUrls, bindAddress } from '../../main/lan.ts';
import { tempDataDir } from '../helpers/server.ts';

const dirs: string[] = [];
function dir(): string {
  const d = tempDataDir('meowtrix-settings-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('settings', () => {
  it('starts from defaults: hosting off, port 8008, all LAN interfaces, close to tray', () => {
    const s = new SettingsStore(dir()).get();
    expect(s).toMatchObject({ hosting: false, port: 8008, bind: 'lan', startAtLogin: false, closeToTray: true, serverNameLocked: false });
    expect(path.isAbsolute(s.dataDir)).toBe(true);
    expect(s.serverName.length).toBeGreaterThan(0);
  });

  it('persists a valid change atomically (no temp file left) and reads it back', () => {
    const d = dir();
    const store = new SettingsStore(d);
    store.update({ hosting: true, port: 8448, bind: 'local', serverName: 'archpc', dataDir: path.join(d, 'data'), startAtLogin: true, closeToTray: false });
    expect(fs.readdirSync(d)).toEqual(['settings.json']);
    expect((fs.statSync(path.join(d, 'settings.json')).mode & 0o777).toString(8)).toBe('600');
    const again = new SettingsStore(d).get();
    expect(again).toMatchObject({ hosting: true, port: 8448, bind: 'local', serverName: 'archpc', dataDir: path.join(d, 'data'), startAtLogin: true, closeToTray: false });
  });

  it.each([
    [{ port: 0 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ port: '8008' }, 'port'],
    [{ port: 8008.5 }, 'port'],
    [{ bind: '0.0.0.0' }, 'bind'],
    [{ hosting: 'yes' }, 'hosting'],
    [{ serverName: 'has space' }, 'serverName'],
    [{ serverName: '' }, 'serverName'],
    [{ dataDir: 'relative/dir' }, 'dataDir'],
    [{ dataDir: '/tmp/a\0b' }, 'dataDir'],
    [{ serverNameLocked: false }, 'serverNameLocked'],
    [{ evil: 1 }, 'evil'],
  ])('refuses %j naming the field, and changes nothing', (patch, field) => {
    const d = dir();
    const store = new SettingsStore(d);
    store.update({ port: 9000 });
    const before = fs.readFileSync(store.file, 'utf8');
    let caught: unknown;
    try {
      store.update(patch);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SettingsError);
    expect((caught as SettingsError).field).toBe(field);
    expect(fs.readFileSync(store.file, 'utf8')).toBe(before);
    expect(store.get().port).toBe(9000);
  });

  it('refuses non-objects', () => {
    for (const bad of [null, 3, 'x', [1]]) expect(() => validatePatch(bad, defaultSettings())).toThrow(SettingsError);
  });

  it('fixes the server name once accounts exist (user IDs carry it), but accepts the same name', () => {
    const store = new SettingsStore(dir());
    store.update({ serverName: 'archpc' });
    store.set({ serverNameLocked: true });
    expect(() => store.update({ serverName: 'otherpc' })).toThrow(/fixed/);
    expect(store.update({ serverName: 'archpc', port: 8010 }).port).toBe(8010);
  });

  it('keeps the valid fields of a damaged file and defaults the rest', () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'settings.json'), JSON.stringify({ port: 9123, bind: 'everywhere', hosting: 'on', closeToTray: false }));
    const s = new SettingsStore(d).get();
    expect(s).toMatchObject({ port: 9123, bind: 'lan', hosting: false, closeToTray: false });
    fs.writeFileSync(path.join(d, 'settings.json'), '{not json');
    expect(new SettingsStore(d).get().port).toBe(8008);
  });
});

describe('autostart', () => {
  it('writes an XDG autostart entry that starts hidden, and removes it', () => {
    const config = dir();
    const file = autostartFile({ XDG_CONFIG_HOME: config });
    expect(file).toBe(path.join(config, 'autostart', 'meowtrix.desktop'));
    applyAutostart(true, ['/opt/Meowtrix/meowtrix'], file);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^\[Desktop Entry\]\n/);
    expect(text).toContain('Type=Application\n');
    expect(text).toContain('Exec=/opt/Meowtrix/meowtrix --hidden\n');
    applyAutostart(false, ['/opt/Meowtrix/meowtrix'], file);
    expect(fs.existsSync(file)).toBe(false);
    applyAutostart(false, ['/opt/Meowtrix/meowtrix'], file); // already gone: fine
  });

  it('quotes paths with spaces and escapes the Desktop Entry specials', () => {
    const entry = autostartEntry(['/usr/lib/electron/electron', '/home/anna/My Apps/meow$trix', '100%']);
    expect(entry).toContain('Exec=/usr/lib/electron/electron "/home/anna/My Apps/meow\\$trix" 100%% --hidden\n');
  });

  it('starts the Arch package through its launcher, an AppImage as the image, a dev run as electron + app folder', () => {
    // The Arch layout: system electron45 runs <prefix>/lib/meowtrix/app.asar, which Electron calls unpackaged.
    const prefix = dir();
    const asar = path.join(prefix, 'lib', 'meowtrix', 'app.asar');
    const launcher = path.join(prefix, 'bin', 'meowtrix');
    fs.mkdirSync(path.dirname(asar), { recursive: true });
    fs.writeFileSync(asar, 'asar');
    const arch = { isPackaged: false, execPath: '/usr/lib/electron45/electron', appPath: asar, env: {} };
    // No launcher beside it (or one that is not executable): electron + the asar still starts the app.
    expect(launchCommand(arch)).toEqual(['/usr/lib/electron45/electron', asar]);
    fs.mkdirSync(path.dirname(launcher));
    fs.writeFileSync(launcher, '#!/bin/sh\n', { mode: 0o644 });
    expect(launchCommand(arch)).toEqual(['/usr/lib/electron45/electron', asar]);
    fs.chmodSync(launcher, 0o755);
    expect(launchCommand(arch)).toEqual([launcher]);
    const file = autostartFile({ XDG_CONFIG_HOME: dir() });
    applyAutostart(true, launchCommand(arch), file);
    expect(fs.readFileSync(file, 'utf8')).toContain(`Exec=${launcher} --hidden\n`);

    // An AppImage mounts afresh on each run: the image file, not the mounted executable.
    const appImage = { isPackaged: true, execPath: '/tmp/.mount_MeowtrXyz/meowtrix', appPath: '/tmp/.mount_MeowtrXyz/resources/app.asar', env: { APPIMAGE: '/home/anna/Apps/Meowtrix.AppImage' } };
    expect(launchCommand(appImage)).toEqual(['/home/anna/Apps/Meowtrix.AppImage']);
    expect(launchCommand({ ...appImage, env: {} })).toEqual(['/tmp/.mount_MeowtrXyz/meowtrix']);
    // A dev run (unpackaged, app folder): electron plus the folder, even if an APPIMAGE is in the environment.
    const dev = { isPackaged: false, execPath: '/work/node_modules/electron/dist/electron', appPath: '/work/main', env: { APPIMAGE: '/x.AppImage' } };
    expect(launchCommand(dev)).toEqual(['/work/node_modules/electron/dist/electron', '/work/main']);
  });

  it('defaults to ~/.config/autostart without XDG_CONFIG_HOME', () => {
    expect(autostartFile({})).toBe(path.join(os.homedir(), '.config', 'autostart', 'meowtrix.desktop'));
  });
});

describe('LAN addresses', () => {
  it('lists every non-internal IPv4 address with the port when bound to the LAN', () => {
    const expected = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => `http://${a!.address}:8008`);
    expect(phoneUrls(8008, 'lan')).toEqual(expected);
    expect(bindAddress('lan')).toBe('0.0.0.0');
  });

  it('lists none when bound to this PC only (phones cannot connect)', () => {
    expect(phoneUrls(8008, 'local')).toEqual([]);
    expect(bindAddress('local')).toBe('127.0.0.1');
  });
});
