// The .desktop files (the app's and the autostart variant) and the icons they name.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { autostartEntry } from '../../main/autostart.ts';
import { ICON_DIR, ICON_SIZES, renderIcon } from '../../build/make_icons.ts';
import { BUILD, ROOT, builderConfig, iniValue, parseIni } from './packaging.ts';

const APP_ENTRY = path.join(BUILD, 'meowtrix.desktop');
const AUTOSTART_ENTRY = path.join(BUILD, 'meowtrix-autostart.desktop');

function validate(file: string): void {
  const result = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('desktop-file-validate is not installed: apt-get install -y desktop-file-utils (.ci/run does this)');
  }
  // It exits 0 with hints on stdout; any error or warning fails.
  expect(`${result.stdout}${result.stderr}`.trim(), file).toBe('');
  expect(result.status, file).toBe(0);
}

const entry = (file: string) => parseIni(fs.readFileSync(file, 'utf8'));

describe('.desktop files', () => {
  it('pass desktop-file-validate: the app entry, the autostart variant and the one main/autostart.ts writes', () => {
    validate(APP_ENTRY);
    validate(AUTOSTART_ENTRY);
    const written = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-autostart-')), 'meowtrix.desktop');
    fs.writeFileSync(written, autostartEntry(['/usr/bin/meowtrix']));
    validate(written);
    fs.rmSync(path.dirname(written), { recursive: true });
  });

  it('the app entry runs the executable the packages install, with the window class Electron gives the app', () => {
    const app = entry(APP_ENTRY);
    const config = builderConfig();
    expect(iniValue(app, 'Desktop Entry', 'Exec').split(' ')[0]).toBe(config.linux.executableName);
    expect(iniValue(app, 'Desktop Entry', 'Icon')).toBe(config.linux.executableName);
    // main/main.ts names the app (Electron's X11 WM_CLASS class and the Wayland app_id come from it and desktopName).
    const main = fs.readFileSync(path.join(ROOT, 'main', 'main.ts'), 'utf8');
    const appName = main.match(/app\.setName\('([^']+)'\)/)?.[1];
    expect(iniValue(app, 'Desktop Entry', 'StartupWMClass')).toBe(appName);
    expect(config.productName).toBe(appName);
    expect(config.extraMetadata.desktopName).toBe(path.basename(APP_ENTRY));
    expect(iniValue(app, 'Desktop Entry', 'Categories')).toBe('Network;InstantMessaging;Chat;');
  });

  it("the app entry says what electron-builder.yml's desktop entry says (the pacman/AppImage packages use that one)", () => {
    const app = entry(APP_ENTRY).get('Desktop Entry')!;
    const configured: Record<string, string> = builderConfig().linux.desktop.entry;
    for (const [key, value] of Object.entries(configured)) expect(app.get(key)?.[0], key).toBe(value);
  });

  it('the autostart variant is what "Start at login" writes, for the installed executable, started --hidden', () => {
    const committed = entry(AUTOSTART_ENTRY).get('Desktop Entry')!;
    const runtime = parseIni(autostartEntry([builderConfig().linux.executableName])).get('Desktop Entry')!;
    expect(runtime.get('Exec')).toEqual(['meowtrix --hidden']);
    for (const [key, values] of runtime) expect(committed.get(key), key).toEqual(values);
  });
});

describe('icons', () => {
  it('build/icons has a square PNG for every size from 16 to 512, rendered from build/icon.svg', async () => {
    expect([...ICON_SIZES]).toEqual([16, 24, 32, 48, 64, 128, 256, 512]);
    const svg = fs.readFileSync(path.join(BUILD, 'icon.svg'), 'utf8');
    expect(svg).toMatch(/<svg[^>]+viewBox="0 0 512 512"/);
    for (const size of ICON_SIZES) {
      const meta = await sharp(path.join(ICON_DIR, `${size}x${size}.png`)).metadata();
      expect([meta.format, meta.width, meta.height], `${size}x${size}`).toEqual(['png', size, size]);
      expect(meta.hasAlpha).toBe(true);
    }
    expect(builderConfig().linux.icon).toBe('build/icons');
  });

  it('the committed PNGs are what build/make_icons.ts makes from the SVG now', async () => {
    // A PNG left stale after an SVG edit shows up as a pixel difference.
    for (const size of ICON_SIZES) {
      const fresh = await sharp(await renderIcon(size)).raw().toBuffer();
      const committed = await sharp(path.join(ICON_DIR, `${size}x${size}.png`)).raw().toBuffer();
      expect(committed.equals(fresh), `${size}x${size}`).toBe(true);
    }
  });
});
