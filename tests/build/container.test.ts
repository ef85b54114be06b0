// build/container/ (Containerfile, Podman quadlet) and build/systemd/ (user unit for Node installs).
// No container engine (Docker, Podman) runs on this machine, so the image is never built here: these
// tests check the instructions and keys, that every file the image copies exists, that the commands
// the container and units run are accepted by the real CLI, and (in bundles.test.ts) that the build
// stage's files build the package and the health check command passes against a live server. systemd-analyze verifies the user unit when present.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTAINERFILE, containerfileInstructions, containerHealthCommands, execForm, quadlet } from './container_files.ts';
import { BUILD, ROOT, iniValue, parseIni, rootPackage, startCli } from './packaging.ts';
import { SERVER_MALLOC_ENV, SERVER_NODE_OPTIONS } from '../../main/hosting/supervisor.ts';

const SYSTEMD_UNIT = path.join(BUILD, 'systemd', 'meowtrix-server.service');
const KNOWN_INSTRUCTIONS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
// The keys of podman-systemd.unit(5) this quadlet uses; a typo would make quadlet refuse the file.
const QUADLET_CONTAINER_KEYS = new Set(['ContainerName', 'Image', 'HostName', 'Exec', 'Volume', 'PublishPort', 'HealthCmd', 'HealthInterval', 'HealthTimeout', 'HealthStartPeriod', 'HealthRetries', 'StopTimeout', 'Environment', 'User', 'Network']);

/** What the desktop app gives its server process, as the environment a CLI deployment must set. */
const SERVER_MEMORY_ENV = { ...SERVER_MALLOC_ENV, NODE_OPTIONS: SERVER_NODE_OPTIONS.join(' ') };

/** KEY=VALUE settings (ENV lines, Environment= values) as an object. */
const envOf = (settings: string[]): Record<string, string> => Object.fromEntries(settings.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));

/** Starts the source CLI with a unit's serve arguments (and environment), the data dir and port swapped for temp ones. */
async function acceptsServeArgs(args: string[], dataArg: string, env: Record<string, string> = {}): Promise<void> {
  expect(args[0]).toBe('serve');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-unit-'));
  const swapped = args.slice(1).map((a, i, all) => (all[i - 1] === '--data' && a === dataArg ? dataDir : all[i - 1] === '--port' ? '0' : all[i - 1] === '--bind' ? '127.0.0.1' : a));
  if (!swapped.includes('--bind')) swapped.push('--bind', '127.0.0.1');
  const server = await startCli(path.join(ROOT, 'server', 'cli.ts'), [...swapped, '--log-level', 'warn'], { env: { ...process.env, ...env } });
  try {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  } finally {
    expect(await server.stop('SIGTERM')).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('Containerfile', () => {
  const instructions = containerfileInstructions();
  const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
  const only = (keyword: string) => {
    const found = finalStage.filter((i) => i.keyword === keyword);
    expect(found, keyword).toHaveLength(1);
    return found[0]!.args;
  };

  it('parses into known instructions, a build stage and a small Node 24 runtime stage', () => {
    for (const i of instructions) expect(KNOWN_INSTRUCTIONS.has(i.keyword), `line ${i.line}: ${i.keyword}`).toBe(true);
    const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['docker.io/library/node:24-slim AS build', 'docker.io/library/node:24-slim']);
  });

  it('runs as a non-root user with /data as a volume, exposes 8008 and checks /health', () => {
    const user = only('USER');
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(finalStage.findIndex((i) => i.keyword === 'USER')).toBeLessThan(finalStage.findIndex((i) => i.keyword === 'ENTRYPOINT'));
    expect(only('VOLUME')).toBe('/data');
    expect(only('EXPOSE')).toBe('8008');
    expect(only('HEALTHCHECK')).toMatch(/--interval=\S+ .*CMD \[/);
    expect(containerHealthCommands()[0]!.argv.join(' ')).toContain('http://127.0.0.1:8008/health');
    // The volume is made and handed to that user before it takes over.
    expect(finalStage.some((i) => i.keyword === 'RUN' && i.args.includes(`chown ${user}:${user} /data`))).toBe(true);
  });

  it("copies files that exist, runs npm scripts that exist, and starts the package's meowtrix-server bin", () => {
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(fs.existsSync(path.join(ROOT, source)), `COPY ${source}`).toBe(true);
    }
    for (const m of instructions.flatMap((i) => [...i.args.matchAll(/npm run ([\w:-]+)/g)])) expect(rootPackage.scripts[m[1]!], m[0]).toBeDefined();
    expect(execForm(only('ENTRYPOINT'), 'ENTRYPOINT')).toEqual(Object.keys(rootPackage.bin));
  });

  it('its CMD is a serve command line the CLI accepts, with the memory settings the desktop app gives the server', async () => {
    const cmd = execForm(only('CMD'), 'CMD');
    expect(cmd).toEqual(expect.arrayContaining(['--data', '/data', '--port', '8008']));
    const env = envOf(finalStage.filter((i) => i.keyword === 'ENV').map((i) => i.args));
    expect(env).toMatchObject(SERVER_MEMORY_ENV);
    // Node refuses to start on an option NODE_OPTIONS may not carry.
    await acceptsServeArgs(cmd, '/data', env);
  });

  it('says in its header how to build it (from the repository top, keeping the HEALTHCHECK)', () => {
    expect(fs.readFileSync(CONTAINERFILE, 'utf8')).toContain('podman build --format docker -t meowtrix-server -f build/container/Containerfile .');
  });
});

describe('Podman quadlet meowtrix.container', () => {
  const unit = quadlet();

  it('is INI with [Unit], [Container], [Service] and [Install], and only known [Container] keys', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Container', 'Service', 'Install']);
    for (const key of unit.get('Container')!.keys()) expect(QUADLET_CONTAINER_KEYS.has(key), key).toBe(true);
    expect(iniValue(unit, 'Install', 'WantedBy')).toBe('default.target');
  });

  it('runs the image built from the Containerfile with a named volume on /data and port 8008 published', () => {
    expect(iniValue(unit, 'Container', 'Image')).toBe('localhost/meowtrix-server:latest');
    expect(fs.readFileSync(CONTAINERFILE, 'utf8')).toContain('-t meowtrix-server ');
    expect(iniValue(unit, 'Container', 'Volume')).toMatch(/^[\w.-]+:\/data(:\S+)?$/);
    expect(iniValue(unit, 'Container', 'PublishPort')).toMatch(/^(\d+\.\d+\.\d+\.\d+:)?\d+:8008$/);
    // A fixed host name: the data dir's lock records it, so a restart after a crash takes the stale lock over.
    expect(iniValue(unit, 'Container', 'HostName')).toMatch(/^[a-z0-9-]+$/);
    const stop = Number(iniValue(unit, 'Container', 'StopTimeout'));
    expect(Number(iniValue(unit, 'Service', 'TimeoutStopSec'))).toBeGreaterThan(stop);
  });

  it('its Exec= is a serve command line the CLI accepts', async () => {
    const exec = iniValue(unit, 'Container', 'Exec').split(/\s+/);
    expect(exec).toEqual(expect.arrayContaining(['--data', '/data', '--server-name']));
    await acceptsServeArgs(exec, '/data');
  });
});

describe('systemd user unit meowtrix-server.service', () => {
  const text = fs.readFileSync(SYSTEMD_UNIT, 'utf8');
  const unit = parseIni(text);

  it('runs `meowtrix-server serve` and stops it with SIGTERM, giving it time for the final snapshot', async () => {
    const exec = iniValue(unit, 'Service', 'ExecStart').split(/\s+/);
    expect(exec.slice(0, 3)).toEqual(['/usr/bin/env', 'meowtrix-server', 'serve']);
    expect(iniValue(unit, 'Service', 'KillSignal')).toBe('SIGTERM');
    expect(Number(iniValue(unit, 'Service', 'TimeoutStopSec'))).toBeGreaterThanOrEqual(30);
    expect(iniValue(unit, 'Install', 'WantedBy')).toBe('default.target');
    const dataArg = exec[exec.indexOf('--data') + 1]!;
    expect(dataArg).toBe('%h/.local/share/meowtrix');
    // The memory settings the desktop app gives the server (Node refuses to start on an option NODE_OPTIONS may not carry).
    const env = envOf(unit.get('Service')?.get('Environment') ?? []);
    expect(env).toMatchObject(SERVER_MEMORY_ENV);
    const { PATH: _path, ...memoryEnv } = env;
    await acceptsServeArgs(exec.slice(2), dataArg, memoryEnv);
  });

  const analyze = spawnSync('systemd-analyze', ['--version']);
  it.skipIf(analyze.error !== undefined)('passes systemd-analyze verify with no warnings', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-unit-'));
    const copy = path.join(dir, path.basename(SYSTEMD_UNIT));
    fs.copyFileSync(SYSTEMD_UNIT, copy);
    // System mode: user mode needs a running user manager, which this machine has not. %h then is root's home.
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});
