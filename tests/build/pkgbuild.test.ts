// build/arch/PKGBUILD: parses, agrees with package.json and the Electron it was built for, and its
// prepare() and package() functions (run here with bash, without makepkg) lay the package out as the
// ArchWiki Electron guidelines describe. build() needs Arch's electronNN and npm's network: not run here.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT, readJson, rootPackage, run } from './packaging.ts';

const PKGBUILD = path.join(BUILD, 'arch', 'PKGBUILD');

/** Sources the PKGBUILD in bash (set -eu) and runs SCRIPT after it. */
function inPkgbuild(script: string, env: Record<string, string> = {}): string {
  return run('bash', ['-euc', `source "$1"; ${script}`, 'pkgbuild', PKGBUILD], { env: { PATH: process.env.PATH, ...env } });
}

const electronMajor = () => Number(readJson(path.join(ROOT, 'node_modules', 'electron', 'package.json')).version.split('.')[0]);

describe('PKGBUILD', () => {
  it('passes bash -n', () => {
    run('bash', ['-n', PKGBUILD]);
  });

  it('has package.json name and version and depends on the electronNN of the Electron the app is built with', () => {
    const [pkgname, pkgver, electron, depends, license] = inPkgbuild('printf "%s\\n" "$pkgname" "$pkgver" "$_electron" "${depends[*]}" "${license[*]}"').split('\n');
    expect(pkgname).toBe(rootPackage.name);
    expect(pkgver).toBe(rootPackage.version);
    expect(electron).toBe(`electron${electronMajor()}`);
    // package.json's range allows only that major (a caret range on it).
    expect(rootPackage.devDependencies.electron).toMatch(new RegExp(`^\\^${electronMajor()}\\.`));
    expect(depends!.split(' ')).toContain(electron);
    expect(license).toBe(readJson(path.join(ROOT, 'package.json')).license);
  });

  it("prepare() unpacks this checkout's committed tree, and package() installs app.asar, the launcher, the .desktop file and icons", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-pkgbuild-'));
    try {
      const srcdir = path.join(work, 'src');
      const pkgdir = path.join(work, 'pkg');
      fs.mkdirSync(srcdir);
      const env = { startdir: path.join(BUILD, 'arch'), srcdir, pkgdir };
      inPkgbuild('prepare', env);
      const tree = path.join(srcdir, `${rootPackage.name}-${rootPackage.version}`);
      expect(readJson(path.join(tree, 'package.json')).version).toBe(rootPackage.version);
      expect(fs.existsSync(path.join(tree, 'electron-builder.yml'))).toBe(true);

      // What build() leaves: electron-builder's --dir output (the app.asar test builds a real one).
      const resources = path.join(tree, 'release', 'linux-unpacked', 'resources');
      fs.mkdirSync(path.join(resources, 'app.asar.unpacked', 'node_modules', 'sql.js', 'dist'), { recursive: true });
      fs.writeFileSync(path.join(resources, 'app.asar'), 'asar');
      fs.writeFileSync(path.join(resources, 'app.asar.unpacked', 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'), 'wasm');
      inPkgbuild('package', env);

      const launcher = path.join(pkgdir, 'usr', 'bin', 'meowtrix');
      const electron = `electron${electronMajor()}`;
      expect(fs.readFileSync(launcher, 'utf8')).toBe(`#!/bin/sh\nexec /usr/bin/${electron} /usr/lib/meowtrix/app.asar "$@"\n`);
      expect(fs.statSync(launcher).mode & 0o777).toBe(0o755);
      run('sh', ['-n', launcher]);
      expect(fs.readFileSync(path.join(pkgdir, 'usr', 'lib', 'meowtrix', 'app.asar'), 'utf8')).toBe('asar');
      expect(fs.existsSync(path.join(pkgdir, 'usr', 'lib', 'meowtrix', 'app.asar.unpacked', 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'))).toBe(true);
      expect(fs.readFileSync(path.join(pkgdir, 'usr', 'share', 'applications', 'meowtrix.desktop'), 'utf8')).toBe(fs.readFileSync(path.join(BUILD, 'meowtrix.desktop'), 'utf8'));
      for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) {
        const icon = path.join(pkgdir, 'usr', 'share', 'icons', 'hicolor', `${size}x${size}`, 'apps', 'meowtrix.png');
        expect(fs.readFileSync(icon).equals(fs.readFileSync(path.join(BUILD, 'icons', `${size}x${size}.png`))), icon).toBe(true);
      }
      expect(fs.existsSync(path.join(pkgdir, 'usr', 'share', 'icons', 'hicolor', 'scalable', 'apps', 'meowtrix.svg'))).toBe(true);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
