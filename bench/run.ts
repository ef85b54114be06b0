// Benchmark runner: `npm run bench [-- NAME... [--quick] [other flags]]`.
// Runs bench/NAME.ts for each name given (default: every bench/*.ts but this one), each in its own
// process, collects the samples it reports, and prints a table and one JSON line of medians/min/max.
//
// A benchmark reports by printing lines `BENCH {"figure": "...", "unit": "...", "samples": [...]}`;
// everything else it prints is shown as progress.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const args = process.argv.slice(2);
const all = fs.readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3)).sort();
// Names of benchmarks select them; every other argument (e.g. --quick, --runs 2) is passed to each.
const names = args.filter((a) => all.includes(a));
const flags = args.filter((a) => !all.includes(a));
if (flags[0] && !flags[0].startsWith('-')) {
  process.stderr.write(`no benchmark "${flags[0]}"; have: ${all.join(', ')}\n`);
  process.exit(2);
}
const chosen = names.length ? names : all;

interface Figure {
  bench: string;
  figure: string;
  unit: string;
  samples: number[];
}

function runOne(name: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(here, `${name}.ts`), ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    const figures: Figure[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('BENCH ')) figures.push({ bench: name, ...(JSON.parse(line.slice(6)) as Omit<Figure, 'bench'>) });
        else process.stdout.write(`  [${name}] ${line}\n`);
      }
    });
    child.on('close', (code) => (code === 0 ? resolve(figures) : reject(new Error(`bench ${name} exited with ${code}`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

const results: Figure[] = [];
let failed = false;
for (const name of chosen) {
  process.stdout.write(`running bench/${name}.ts ${flags.join(' ')}\n`);
  try {
    results.push(...(await runOne(name)));
  } catch (err) {
    failed = true;
    process.stderr.write(`${(err as Error).message}\n`);
  }
}

const rows = results.map((f) => ({
  name: `${f.bench}: ${f.figure}`,
  unit: f.unit,
  runs: f.samples.length,
  median: median(f.samples),
  min: Math.min(...f.samples),
  max: Math.max(...f.samples),
}));
const width = Math.max(6, ...rows.map((r) => r.name.length));
process.stdout.write(`\n${'figure'.padEnd(width)}  ${'median'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}  runs  unit\n`);
for (const r of rows) {
  process.stdout.write(`${r.name.padEnd(width)}  ${fmt(r.median).padStart(10)}  ${fmt(r.min).padStart(10)}  ${fmt(r.max).padStart(10)}  ${String(r.runs).padStart(4)}  ${r.unit}\n`);
}
process.stdout.write(JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, { unit: r.unit, median: r.median, min: r.min, max: r.max, runs: r.runs }]))) + '\n');
process.exit(failed ? 1 : 0);
