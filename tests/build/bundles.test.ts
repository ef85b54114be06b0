// The built bundles, the headless server package and the Electron app.asar, all made here by the real
// npm scripts in a temp folder holding only what the Containerfile's build stage copies (plus main/,
// the desktop app's sources): so that stage can build. The packed server then runs from outside the
// repo with only its runtime dependencies, and electron-builder packs app.asar (on a stand-in Electron
// binary, since none can be downloaded here) with the fuses and unpack rules of electron-builder.yml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as asar from '@electron/asar';
import { importedPackages } from '../../build/server_package.ts';
import { ROOT, builderConfig, installFromRepo, readJson, rootPackage, run, startCli, type RunningServer } from './packaging.ts';
import { request } from '../helpers/server.ts';
import { containerHealthCommands, makeBuildStage, packagedTarballGlob } from './container_files.ts';

let work: string;
let appDir: string; // the build stage, later electron-builder's project: package.json, dist/, node_modules
let distDir: string;
let stageRuns: string[];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-build-'));
  appDir = path.join(work, 'app');
  distDir = path.join(appDir, 'dist');
  stageRuns = makeBuildStage(appDir);
  fs.cpSync(path.join(ROOT, 'main'), path.join(appDir, 'main'), { recursive: true });
  // The container's RUN (server, web client, package, npm pack), then the desktop app's bundles.
  for (const line of stageRuns) run('npm', [...line.split(/\s+/).slice(1, 3), '--silent'], { cwd: appDir });
  run('npm', ['run', '--silent', 'build:main'], { cwd: appDir });
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('makes the main, preload, renderer and server bundles, from only the files the Containerfile copies (and main/)', () => {
    expect(rootPackage.scripts.build).toBe('npm run build:server && npm run build:main && npm run build:renderer');
    expect(stageRuns).toEqual(['npm run pack:server']);
    expect(rootPackage.scripts['pack:server']).toMatch(/^npm run build:server && npm run build:renderer && /);
    for (const file of [rootPackage.bin['meowtrix-server']!, 'dist/server/host_entry.js', 'dist/server/storage/shadow_worker.js', 'dist/main/main.js', 'dist/main/preload.cjs', 'dist/renderer/index.html']) {
      expect(fs.existsSync(path.join(appDir, file)), file).toBe(true);
    }
    expect(path.join(appDir, readJson(path.join(ROOT, 'package.json')).main)).toBe(path.join(distDir, 'main', 'main.js'));
    // Every script and stylesheet the web client's page names was built.
    const html = fs.readFileSync(path.join(distDir, 'renderer', 'index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) expect(fs.existsSync(path.join(distDir, 'renderer', asset)), asset).toBe(true);
  });
});

describe('the meowtrix-server package', () => {
  let pkgDir: string;
  let server: RunningServer | null = null;

  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('is the tarball the container takes: only the packages the server imports, with package.json ranges, and its bundles', () => {
    const tarball = path.join(distDir, `meowtrix-server-${rootPackage.version}.tgz`);
    // The Containerfile's runtime stage copies it from the build stage's /src.
    expect(path.matchesGlob(path.join('/src', path.relative(appDir, tarball)), packagedTarballGlob())).toBe(true);
    run('tar', ['-xzf', tarball, '-C', work]);
    pkgDir = path.join(work, 'meowtrix-server');
    fs.renameSync(path.join(work, 'package'), pkgDir);
    const packageJson = readJson(path.join(pkgDir, 'package.json'));
    expect(packageJson.name).toBe('meowtrix-server');
    expect(packageJson.version).toBe(rootPackage.version);
    expect(packageJson.bin).toEqual({ 'meowtrix-server': 'dist/server/cli.js' });
    expect(Object.keys(packageJson.dependencies).sort()).toEqual(importedPackages(path.join(distDir, 'server')));
    for (const [name, range] of Object.entries(packageJson.dependencies)) expect(range).toBe(rootPackage.dependencies[name]);
    expect(Object.keys(packageJson.dependencies)).not.toContain('electron');
    const files = fs.globSync('**/*', { cwd: pkgDir }).filter((f) => fs.statSync(path.join(pkgDir, f)).isFile());
    expect(files).toContain('package.json');
    expect(files).toContain('dist/renderer/index.html');
    expect(fs.statSync(path.join(pkgDir, 'dist/server/cli.js')).mode & 0o111).toBeTruthy(); // executable, for the bin link
    expect(files.filter((f) => f.startsWith('node_modules/') || f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  });

  it('runs on Node from a directory outside the repo with only its runtime dependencies: health, web client, a CLI-made user logs in, thumbnails, health checks, SIGTERM snapshot', async () => {
    expect(pkgDir.startsWith(ROOT + path.sep)).toBe(false);
    const packageJson = readJson(path.join(pkgDir, 'package.json'));
    const installed = installFromRepo(Object.keys(packageJson.dependencies), pkgDir);
    expect(installed).toContain('node_modules/sql.js');
    expect(installed.some((d) => d.startsWith('node_modules/@img/'))).toBe(true); // sharp's prebuilt binary for this platform
    // No directory above the package holds a node_modules it could fall back on.
    for (let dir = path.dirname(pkgDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      expect(fs.existsSync(path.join(dir, 'node_modules')), dir).toBe(false);
    }

    const cli = path.join(pkgDir, packageJson.bin['meowtrix-server']);
    const dataDir = path.join(work, 'data');
    const env = { PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8' }; // nothing of the repo's environment
    const serveArgs = ['--data', dataDir, '--port', '0', '--bind', '127.0.0.1', '--server-name', 'box.local', '--log-level', 'warn'];
    server = await startCli(cli, serveArgs, { cwd: work, env });

    expect((await request(server.url, 'GET', '/health')).status).toBe(200);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');

    // The admin path: the CLI of the same package talks to the running server over its socket.
    run(process.execPath, [cli, 'user', 'add', 'anna', '--password', 'correct horse 1', '--data', dataDir], { cwd: work, env });
    const login = await request(server.url, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'anna' }, password: 'correct horse 1' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe('@anna:box.local');
    const token = login.body.access_token as string;

    // sharp loads from the package's node_modules: a PNG upload gets a 32×32 thumbnail.
    const png = await sharp({ create: { width: 120, height: 90, channels: 3, background: '#f07d1a' } }).png().toBuffer();
    const upload = await request(server.url, 'POST', '/_matrix/media/v3/upload?filename=cat.png', { rawBody: png, token, headers: { 'Content-Type': 'image/png' } });
    expect(upload.status).toBe(200);
    const mediaId = (upload.body.content_uri as string).split('/').pop();
    const thumb = await fetch(`${server.url}/_matrix/client/v1/media/thumbnail/box.local/${mediaId}?width=32&height=32&method=crop`, { headers: { Authorization: `Bearer ${token}` } });
    expect(thumb.status).toBe(200);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);

    // The container health checks (image HEALTHCHECK and quadlet HealthCmd) pass against a live server…
    const port = new URL(server.url).port;
    for (const { source, argv } of containerHealthCommands()) {
      expect(argv[0], source).toBe('node');
      run(process.execPath, argv.slice(1).map((a) => a.replace(':8008/', `:${port}/`)), { env });
    }

    // …and SIGTERM stops it cleanly with a final snapshot that the next start reads.
    const snapshots = () => fs.readdirSync(dataDir).filter((f) => /^snapshot-\d+\.db$/.test(f));
    const before = new Set(snapshots());
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(snapshots().filter((f) => !before.has(f))).toHaveLength(1);
    expect(fs.existsSync(path.join(dataDir, 'meowtrix.lock'))).toBe(false);

    server = await startCli(cli, serveArgs, { cwd: work, env });
    const again = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token });
    expect(again.status).toBe(200);
    expect(again.body.user_id).toBe('@anna:box.local');
    expect(await server.stop('SIGTERM')).toBe(0);
    server = null;

    // …and a health check fails once nothing listens.
    const { argv } = containerHealthCommands()[0]!;
    expect(() => run(process.execPath, argv.slice(1).map((a) => a.replace(':8008/', `:${port}/`)), { env })).toThrow();
  });
});

// Electron's fuse wire, as @electron/fuses finds it: this sentinel, a version byte (1), a length byte,
// then one ASCII '0'/'1' per fuse in FuseV1Options order.
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_ORDER = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
];
// Electron's defaults, which electron-builder must overwrite with the configured values.
const DEFAULT_WIRE = '10110001';

function readFuses(binary: string): Record<string, boolean> {
  const bytes = fs.readFileSync(binary);
  const at = bytes.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
  const length = bytes[at + 1]!;
  const wire = bytes.subarray(at + 2, at + 2 + length).toString('latin1');
  return Object.fromEntries(FUSE_ORDER.map((name, i) => [name, wire[i] === '1']));
}

describe('electron-builder app.asar', () => {
  let resources: string;
  let binary: string;
  let entries: string[];

  beforeAll(async () => {
    // The stage already holds package.json, the lock file and node_modules; the Linux icons are electron-builder's.
    fs.cpSync(path.join(ROOT, 'build', 'icons'), path.join(appDir, 'build', 'icons'), { recursive: true });
    expect(fs.existsSync(path.join(distDir, 'meowtrix-server', 'package.json'))).toBe(true); // left there by pack:server
    // A stand-in Electron: a script carrying a fuse wire at Electron's defaults.
    const electronDist = path.join(work, 'electron-dist');
    fs.mkdirSync(electronDist);
    fs.writeFileSync(path.join(electronDist, 'electron'), `#!/bin/sh\n# stand-in ${FUSE_SENTINEL}\x01\x08${DEFAULT_WIRE}\n`, { mode: 0o755 });

    const { build, Platform } = await import('electron-builder');
    const config = builderConfig();
    const electronVersion = readJson(path.join(ROOT, 'node_modules', 'electron', 'package.json')).version as string;
    await build({
      projectDir: appDir,
      targets: Platform.LINUX.createTarget('dir'),
      config: { ...config, electronDist, electronVersion, directories: { ...config.directories, output: path.join(work, 'release') } },
    });
    resources = path.join(work, 'release', 'linux-unpacked', 'resources');
    binary = path.join(work, 'release', 'linux-unpacked', config.linux.executableName);
    entries = asar.listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((e) => e.replace(/^\//, ''));
  }, 300_000);

  it('holds the main entry, preload, renderer, server entry and the production dependencies, and nothing else', () => {
    const archive = path.join(resources, 'app.asar');
    const appPackage = JSON.parse(asar.extractFile(archive, 'package.json').toString());
    expect(appPackage.main).toBe('dist/main/main.js');
    expect(appPackage.desktopName).toBe('meowtrix.desktop');
    for (const file of [appPackage.main, 'dist/main/preload.cjs', 'dist/renderer/index.html', 'dist/server/host_entry.js', 'dist/server/storage/shadow_worker.js']) {
      expect(entries, file).toContain(file);
    }
    // main/paths.ts: the host entry is ../server/host_entry.js from dist/main.
    expect(entries).toContain(path.posix.join(path.posix.dirname(appPackage.main), '..', 'server', 'host_entry.js'));
    // Every package that the main process and the server import is inside (electron is the runtime itself).
    const imported = new Set([...importedPackages(path.join(distDir, 'main')), ...importedPackages(path.join(distDir, 'server'))]);
    imported.delete('electron');
    for (const name of imported) expect(entries, name).toContain(`node_modules/${name}/package.json`);
    // Not the headless server package, source maps, sources or dev tools.
    expect(entries.filter((e) => e.startsWith('dist/') && (e.startsWith('dist/meowtrix-server') || e.endsWith('.map') || e.endsWith('.ts')))).toEqual([]);
    for (const dev of ['electron', 'typescript', 'vitest', 'vite', 'electron-builder', 'matrix-js-sdk']) expect(entries).not.toContain(`node_modules/${dev}`);
  });

  it("names sharp's Linux x64 binaries as the app's own optional dependencies, at the versions sharp asks for", () => {
    // electron-builder's npm collector can drop a transitive optional package (a fresh `npm ci` whose
    // node_modules changed after install lists it without its optional flag), leaving the app without libvips.
    const sharpWants: Record<string, string> = readJson(path.join(ROOT, 'node_modules', 'sharp', 'package.json')).optionalDependencies;
    for (const name of ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']) {
      expect(rootPackage.optionalDependencies?.[name], name).toBe(sharpWants[name]);
    }
  });

  it('unpacks exactly what asarUnpack names: the sql.js WASM and sharp with its native binaries', () => {
    const archive = path.join(resources, 'app.asar');
    const patterns: string[] = builderConfig().asarUnpack;
    const files = entries.filter((e) => !('files' in (asar.statFile(archive, e, false) as object)));
    const unpacked = files.filter((e) => 'unpacked' in asar.statFile(archive, e, false) && (asar.statFile(archive, e, false) as { unpacked?: boolean }).unpacked);
    expect(unpacked).toEqual(files.filter((e) => patterns.some((p) => path.matchesGlob(e, p))));
    // Where server/storage/sqlite.ts's require.resolve('sql.js/dist/sql-wasm.wasm') points, and the native libvips.
    expect(unpacked).toContain('node_modules/sql.js/dist/sql-wasm.wasm');
    expect(unpacked.some((e) => /^node_modules\/@img\/sharp-[^/]+\/lib\/sharp-[^/]+\.node$/.test(e))).toBe(true);
    for (const file of unpacked) expect(fs.existsSync(path.join(resources, 'app.asar.unpacked', file)), file).toBe(true);
  });

  it('sets every fuse electron-builder.yml names on the Electron binary', () => {
    const wanted: Record<string, boolean> = builderConfig().electronFuses;
    expect(Object.keys(wanted).sort()).toEqual([...FUSE_ORDER].sort());
    expect(wanted.runAsNode).toBe(false);
    expect(wanted.onlyLoadAppFromAsar).toBe(true);
    expect(wanted.enableCookieEncryption).toBe(true);
    expect(readFuses(binary)).toEqual(wanted);
  });
});
