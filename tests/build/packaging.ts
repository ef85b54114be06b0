// Helpers for the packaging tests: run commands, copy a package's production dependencies out of the
// repo's node_modules, start a built server CLI, read INI-style files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BUILD = path.join(ROOT, 'build');

export function readJson<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export const rootPackage = readJson<{ name: string; version: string; scripts: Record<string, string>; bin: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>; optionalDependencies?: Record<string, string> }>(
  path.join(ROOT, 'package.json'),
);

export function builderConfig(): any {
  return yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * The installed directories (relative to ROOT) of the named packages and everything they depend on,
 * found the way Node resolves them (nested node_modules first, then up). Optional dependencies count
 * when installed (sharp's @img binaries for this platform).
 */
export function productionClosure(names: string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    let dir = fromDir;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) {
        const rel = path.relative(ROOT, candidate);
        if (found.has(rel)) return;
        found.add(rel);
        const pkg = readJson<{ dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>(path.join(candidate, 'package.json'));
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, candidate, false);
        for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, candidate, true);
        return;
      }
      if (dir === ROOT) break;
      dir = path.dirname(dir);
    }
    if (!optional) throw new Error(`${name} (needed from ${path.relative(ROOT, fromDir) || '.'}) is not installed`);
  };
  for (const name of names) visit(name, ROOT, false);
  return [...found].sort();
}

/** Copies the production closure of `names` into target/node_modules/…, as an install would lay it out. */
export function installFromRepo(names: string[], target: string): string[] {
  const dirs = productionClosure(names);
  for (const rel of dirs) fs.cpSync(path.join(ROOT, rel), path.join(target, rel), { recursive: true, dereference: true });
  return dirs;
}

export interface RunningServer {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node CLI serve ARGS` and waits for its "Listening on http://…" line. */
export async function startCli(cli: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  const proc = spawn(process.execPath, [cli, 'serve', ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = out.match(/Listening on (http:\/\/\S+)/);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve(m[1]!);
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    proc,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

/** `KEY=VALUE` lines of an INI-style file (desktop entries, systemd units, quadlets), by section. */
export function parseIni(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = line.match(/^\[([^\]]+)\]$/);
    if (header) {
      if (sections.has(header[1]!)) throw new Error(`line ${i + 1}: section [${header[1]}] appears twice`);
      sections.set(header[1]!, (current = new Map()));
      return;
    }
    const kv = line.match(/^([A-Za-z0-9_-]+(?:\[[A-Za-z_@.]+\])?)\s*=\s*(.*)$/);
    if (!kv) throw new Error(`line ${i + 1} is neither a [section] nor KEY=VALUE: ${raw}`);
    if (!current) throw new Error(`line ${i + 1}: a key before any [section]`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  });
  return sections;
}

/** Single value of KEY in SECTION (throws when missing). */
export function iniValue(ini: Map<string, Map<string, string[]>>, section: string, key: string): string {
  const values = ini.get(section)?.get(key);
  if (!values?.length) throw new Error(`[${section}] has no ${key}=`);
  return values[0]!;
}
