// Benchmark runner: `npm run bench [-- NAME... [--quick] [--runs N] [other flags]]`.
// Runs bench/NAME.ts for each name given, each in its own process (which starts the real server as a
// child), collects the figures it reports, and prints a table (figure, what it measures, data size,
// median, min, max, target, met?) and one JSON line of medians/min/max.
//
// With no name it runs the issue-13 suite (SUITE below). `scaling` runs the history benchmark at
// 10k, 100k and 1M events and prints how each figure changes between sizes. The component
// benchmarks (storage engine, push rules, search service, accounts, renderer) run by name.
//
// A benchmark reports by printing lines `BENCH {"figure", "unit", "samples", "about", "size", "target"}`
// (see lib.ts report()); everything else it prints is shown as progress.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVER_MALLOC_ENV } from '../main/hosting/supervisor.ts';

const here = import.meta.dirname;
/** Modules in bench/ that are not benchmarks. */
const LIBRARIES = new Set(['run', 'lib', 'dataset', 'sql_profile']);
// history last: it may first have to generate (or migrate) a cached dataset.
const SUITE = ['chat', 'media', 'history'];
const SCALING_SIZES = '10000,100000,1000000';

const args = process.argv.slice(2);
const all = fs.readdirSync(here).filter((f) => f.endsWith('.ts') && !LIBRARIES.has(f.slice(0, -3))).map((f) => f.slice(0, -3)).sort();
const known = [...all, 'scaling', 'all'];
// Names of benchmarks select them; every other argument (e.g. --quick, --runs 2) is passed to each.
const names = args.filter((a) => known.includes(a));
const flags = args.filter((a) => !known.includes(a));
if (flags[0] && !flags[0].startsWith('-')) {
  process.stderr.write(`no benchmark "${flags[0]}"; have: ${known.join(', ')}\n`);
  process.exit(2);
}
const scaling = names.includes('scaling');
const chosen = names.includes('all') ? all : scaling ? ['history'] : names.length ? names : SUITE;
const extraFlags = scaling && !flags.includes('--sizes') ? ['--sizes', SCALING_SIZES] : [];

type Target = { max: number } | { min: number };
interface Figure {
  bench: string;
  figure: string;
  unit: string;
  samples: number[];
  about?: string;
  size?: string;
  target?: Target;
  targetNote?: string;
}

function runOne(name: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    // Servers inherit the malloc setting the desktop app, the systemd unit and the container give them.
    const child = spawn(process.execPath, ['--expose-gc', path.join(here, `${name}.ts`), ...flags, ...extraFlags], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...SERVER_MALLOC_ENV } });
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
const fmt = (n: number) => (!Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

const started = Date.now();
process.stdout.write(`meowtrix bench ${chosen.join(' ')} ${[...flags, ...extraFlags].join(' ')}\n${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
  `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}\n`);
const results: Figure[] = [];
let failed = false;
for (const name of chosen) {
  process.stdout.write(`running bench/${name}.ts ${[...flags, ...extraFlags].join(' ')}\n`);
  try {
    results.push(...(await runOne(name)));
  } catch (err) {
    failed = true;
    process.stderr.write(`${(err as Error).message}\n`);
  }
}

const rows = results.map((f) => {
  const med = median(f.samples);
  let target = '';
  let met = '';
  if (f.target) {
    const limit = 'max' in f.target ? f.target.max : f.target.min;
    const ok = 'max' in f.target ? med <= limit : med >= limit;
    target = `${'max' in f.target ? '≤' : '≥'} ${fmt(limit)}${f.targetNote ? ` (${f.targetNote})` : ''}`;
    // How far off, as the factor to gain: 10 ms against ≤ 2 is 5×; 500/s against ≥ 2,000 is 4×.
    const factor = 'max' in f.target ? med / limit : limit / med;
    met = ok ? 'met' : factor >= 2 ? `MISSED (${factor.toFixed(1)}× off)` : `MISSED by ${((factor - 1) * 100).toFixed(0)}%`;
  }
  return { name: `${f.bench}: ${f.figure}`, about: f.about ?? '', size: f.size ?? '', unit: f.unit, runs: f.samples.length, median: med, min: Math.min(...f.samples), max: Math.max(...f.samples), target, met };
});

const cols: [string, (r: (typeof rows)[number]) => string, boolean][] = [
  ['figure', (r) => r.name, false],
  ['data size', (r) => r.size, false],
  ['median', (r) => fmt(r.median), true],
  ['min', (r) => fmt(r.min), true],
  ['max', (r) => fmt(r.max), true],
  ['unit', (r) => r.unit, false],
  ['runs', (r) => String(r.runs), true],
  ['target', (r) => r.target, false],
  ['met?', (r) => r.met, false],
  ['what it measures', (r) => r.about, false],
];
const widths = cols.map(([h, get]) => Math.max(h.length, ...rows.map((r) => get(r).length)));
const line = (cells: string[]) => cells.map((c, i) => (cols[i]![2] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
process.stdout.write(`\n${line(cols.map(([h]) => h))}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
for (const r of rows) process.stdout.write(`${line(cols.map(([, get]) => get(r)))}\n`);

{
  // How each per-size figure changes with history: "<label> events: <what>" → ratio to the 10k figure.
  // Printed whenever history ran at more than one size (the full suite and `scaling`).
  const bySize = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = /^history: (\d+(?:\.\d+)?[kM]) events: (.*)$/.exec(r.name);
    if (!m) continue;
    if (!bySize.has(m[2]!)) bySize.set(m[2]!, new Map());
    bySize.get(m[2]!)!.set(m[1]!, r.median);
  }
  const sizes = ['10k', '100k', '1M'];
  if ([...bySize.values()].some((m) => m.size > 1)) process.stdout.write(`\nscaling (median; ratio to 10k; history grows 10× per step)\n`);
  for (const [what, perSize] of bySize) {
    if (perSize.size < 2) continue;
    const base = perSize.get('10k');
    const cells = sizes.map((s) => {
      const v = perSize.get(s);
      return v === undefined ? '-' : `${fmt(v)}${base ? ` (${(v / base).toFixed(2)}×)` : ''}`;
    });
    process.stdout.write(`  ${what.padEnd(58)} ${cells.map((c) => c.padStart(18)).join('')}\n`);
  }
}

process.stdout.write(`\nfinished in ${((Date.now() - started) / 60000).toFixed(1)} min, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
process.stdout.write(JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, { unit: r.unit, median: r.median, min: r.min, max: r.max, runs: r.runs, size: r.size, target: r.target, met: r.met }]))) + '\n');
process.exit(failed ? 1 : 0);
