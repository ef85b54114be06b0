// Gives V8's spare heap pages back to the system after a burst of load. After a busy spell V8's
// memory reducer shrinks the heap, but the pages it frees stay in V8's page pool, resident: in the
// 50-device soak that was ≈ 130 MB that never came back (heap 150 → 25 MB, RSS unchanged). Only a
// "last-resort" collection empties the pool, so run one, once per burst, as soon as the process has
// been quiet for a few seconds after its heap grew well above where the last one left it.
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from './log.ts';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

const CHECK_EVERY_MS = 2_000;
/** Quiet = the process (all its threads) used less than this share of one core over a whole check interval. */
const QUIET_CPU_SHARE = 0.05;
/** Consecutive quiet intervals before collecting: a pause between two requests of a burst is not the end of it. */
const QUIET_CHECKS = 2;
/** Only worth a full collection when the heap has grown at least this much since the last one (or since start). */
const MIN_GROWTH_BYTES = 16 * 2 ** 20;

let gc: GcFunction | null | undefined;

/** V8's gc() without --expose-gc on the command line (the server is started by others' launchers). */
function exposeGc(): GcFunction | null {
  if (gc !== undefined) return gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as GcFunction;
  } catch {
    gc = null;
  }
  return gc;
}

/** Starts the check; returns a function that stops it. */
export function releaseHeapAfterBursts(log: Logger): () => void {
  // The heap size the last collection left (the level a quiet server returns to), and the highest since.
  let floor = process.memoryUsage().heapTotal;
  let peak = floor;
  let quietChecks = 0;
  let cpuBefore = process.cpuUsage();
  let checkedAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuShare = (cpu.user + cpu.system) / 1000 / Math.max(1, now - checkedAt);
    cpuBefore = process.cpuUsage();
    checkedAt = now;
    // V8's own reducer may already have shrunk heapTotal by now (its pages still resident): the peak is what counts.
    peak = Math.max(peak, process.memoryUsage().heapTotal);
    quietChecks = cpuShare < QUIET_CPU_SHARE ? quietChecks + 1 : 0;
    if (quietChecks < QUIET_CHECKS || peak - floor < MIN_GROWTH_BYTES) return;
    const collect = exposeGc();
    if (!collect) return;
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const grewTo = peak;
    floor = peak = process.memoryUsage().heapTotal;
    log.debug(`memory: quiet after the heap grew to ${mb(grewTo)} MB; released spare pages, RSS ${mb(rssBefore)} → ${mb(process.memoryUsage.rss())} MB in ${(performance.now() - started).toFixed(0)} ms`);
    // The collection's own CPU must not count as load in the next interval.
    cpuBefore = process.cpuUsage();
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
