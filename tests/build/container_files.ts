// Reading build/container/: the Containerfile's instructions and the quadlet. No container engine
// runs on this machine, so the tests check what can be checked without one.
import fs from 'node:fs';
import path from 'node:path';
import { BUILD, ROOT, parseIni } from './packaging.ts';

export const CONTAINERFILE = path.join(BUILD, 'container', 'Containerfile');
export const QUADLET = path.join(BUILD, 'container', 'meowtrix.container');

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped, as the Dockerfile parser reads them. */
export function containerfileInstructions(text = fs.readFileSync(CONTAINERFILE, 'utf8')): Instruction[] {
  const out: Instruction[] = [];
  let pending: { line: number; text: string } | null = null;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { line: pending.line, text: `${pending.text} ${part}` } : { line: i + 1, text: part };
    if (continued) return;
    const m = pending.text.match(/^([A-Za-z]+)\s+(.*)$/);
    if (!m) throw new Error(`Containerfile line ${pending.line}: no instruction in "${pending.text}"`);
    out.push({ line: pending.line, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
    pending = null;
  });
  if (pending) throw new Error('Containerfile ends inside a continued line');
  return out;
}

/** The exec (JSON array) form of CMD/ENTRYPOINT/HEALTHCHECK CMD arguments. */
export function execForm(args: string, where: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new Error(`${where}: not a JSON array (exec form): ${args}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`${where}: not an array of strings`);
  return parsed as string[];
}

export function quadlet() {
  return parseIni(fs.readFileSync(QUADLET, 'utf8'));
}

/** The image's HEALTHCHECK command and the quadlet's HealthCmd, as argv. */
export function containerHealthCommands(): { source: string; argv: string[] }[] {
  const healthcheck = containerfileInstructions().find((i) => i.keyword === 'HEALTHCHECK');
  if (!healthcheck) throw new Error('the Containerfile has no HEALTHCHECK');
  const cmd = healthcheck.args.match(/(?:^|\s)CMD\s+(.*)$/);
  if (!cmd) throw new Error('HEALTHCHECK has no CMD');
  const healthCmd = quadlet().get('Container')?.get('HealthCmd')?.[0];
  if (!healthCmd) throw new Error('the quadlet has no HealthCmd=');
  return [
    { source: 'Containerfile HEALTHCHECK', argv: execForm(cmd[1]!, 'HEALTHCHECK CMD') },
    { source: 'quadlet HealthCmd', argv: execForm(healthCmd, 'HealthCmd') },
  ];
}

/**
 * The Containerfile's build stage without an engine: its COPYs (from the repository) into DIR, with
 * the repo's node_modules linked in place of its `npm ci`. Returns the stage's `npm run` RUN lines.
 */
export function makeBuildStage(dir: string): string[] {
  const instructions = containerfileInstructions();
  const buildStage = instructions.slice(0, instructions.map((i) => i.keyword).lastIndexOf('FROM'));
  for (const copy of buildStage.filter((i) => i.keyword === 'COPY')) {
    const words = copy.args.split(/\s+/);
    const target = path.resolve(dir, words.at(-1)!.replace(/^\.\//, ''));
    for (const source of words.slice(0, -1)) {
      const into = words.length > 2 || words.at(-1)!.endsWith('/') ? path.join(target, path.basename(source)) : target;
      fs.cpSync(path.join(ROOT, source), into, { recursive: true });
    }
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return buildStage.filter((i) => i.keyword === 'RUN' && i.args.startsWith('npm run ')).map((i) => i.args);
}

/** Where the runtime stage takes the package from (the COPY --from=build source, a glob). */
export function packagedTarballGlob(): string {
  const copy = containerfileInstructions().find((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build'));
  if (!copy) throw new Error('the Containerfile copies nothing from the build stage');
  return copy.args.split(/\s+/)[1]!;
}
