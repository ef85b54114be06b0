// Both READMEs keep the commands people copy working: every `meowtrix-server …` line in a code block
// names a real command, subcommand and options (checked against the CLI's own --help), every
// `npm run X` is a script, and each README still has the install, test, headless and phone steps.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, rootPackage, run } from './packaging.ts';

const READMES = ['README.md', 'README.zh-CN.md'];
const usage = run(process.execPath, [path.join(ROOT, 'server', 'cli.ts'), '--help']);

/** Lines of the ```sh blocks, with trailing comments and line continuations resolved. */
function shellLines(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ''));
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

/**
 * Each `meowtrix-server ARGS` invocation inside a line (several may be chained with && or ;). The
 * container image `localhost/meowtrix-server` takes CLI arguments too; `-t`/`-u meowtrix-server`
 * (an image tag, a unit name) and a bare unit name after systemctl do not.
 */
function cliInvocations(line: string): string[][] {
  const found: string[][] = [];
  for (const part of line.split(/&&|;|\|/)) {
    const words = part.trim().split(/\s+/);
    const at = words.findIndex((w, k) => (w === 'meowtrix-server' || w === 'localhost/meowtrix-server') && !['-t', '-u'].includes(words[k - 1]!));
    if (at === -1 || words[0] === 'systemctl') continue;
    found.push(words.slice(at + 1));
  }
  return found;
}

describe.each(READMES)('%s', (file) => {
  const lines = shellLines(file);

  it('keeps the install-and-run, test, headless server and phone instructions', () => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(lines).toContain('npm install && npm start');
    expect(lines).toContain('npm test');
    expect(lines.some((l) => l.startsWith('npm run build:server && npx meowtrix-server serve'))).toBe(true);
    expect(text).toContain('`http://192.168.1.4:8008`');
    for (const topic of ['build/arch', 'makepkg -si', '.AppImage', 'pacman -U', 'podman build', 'meowtrix.container', 'meowtrix-server.service', 'ufw allow', 'firewall-cmd', 'restore --in', 'FluffyChat', 'Element', 'nheko', 'Fractal']) {
      expect(text, topic).toContain(topic);
    }
  });

  it('every meowtrix-server command line uses a command, subcommand and options the CLI has', () => {
    const invocations = lines.flatMap(cliInvocations).filter((args) => args.length > 0);
    expect(invocations.length).toBeGreaterThan(10);
    for (const args of invocations) {
      const [command, sub] = args;
      if (command === '--help') continue;
      expect(usage, `meowtrix-server ${args.join(' ')}`).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      if (['user', 'token', 'media'].includes(command!)) expect(usage, `meowtrix-server ${args.join(' ')}`).toMatch(new RegExp(`^  ${command} ${sub}\\b`, 'm'));
      for (const option of args.filter((a) => a.startsWith('--'))) expect(usage, `meowtrix-server ${args.join(' ')}`).toContain(option.split('=')[0]);
    }
  });

  it('every npm run script it names exists', () => {
    for (const line of lines) {
      for (const m of line.matchAll(/npm run ([\w:-]+)/g)) expect(rootPackage.scripts[m[1]!], line).toBeDefined();
    }
  });

  it('every repository file it names exists', () => {
    for (const line of lines) {
      for (const m of line.matchAll(/\bbuild\/[\w./-]+/g)) {
        if (line.includes(`cd ${m[0]}`) || fs.existsSync(path.join(ROOT, m[0]))) continue;
        throw new Error(`${file}: ${line} names ${m[0]}, which does not exist`);
      }
    }
  });
});
