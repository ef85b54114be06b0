// Gives V8's spare heap pages back to the system after a burst of load. After a busy spell V8's
// memory reducer shrinks the heap, but the pages it frees stay in V8's page pool, resident: in the
// 50-device soak that was ≈ 130 MB that never came back (heap 150 → 25 MB, RSS unchanged). Only a
// "last-resort" collection empties the pool, so run one, once, when the heap has shrunk well below
// its recent peak (that is, after the burst, while it is quiet).
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from './log.ts';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

const CHECK_EVERY_MS = 10_000;
/** Only worth a full collection when at least this much heap capacity has gone since the peak. */
const MIN_SHRINK_BYTES = 32 * 2 ** 20;

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
  let peak = process.memoryUsage().heapTotal;
  const timer = setInterval(() => {
    const heapTotal = process.memoryUsage().heapTotal;
    if (heapTotal > peak) peak = heapTotal;
    else if (peak - heapTotal >= MIN_SHRINK_BYTES && heapTotal < peak / 2) {
      const collect = exposeGc();
      if (!collect) return;
      const rssBefore = process.memoryUsage.rss();
      const started = performance.now();
      collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      log.debug(`memory: heap shrank from ${mb(peak)} to ${mb(heapTotal)} MB; released spare pages, RSS ${mb(rssBefore)} → ${mb(process.memoryUsage.rss())} MB in ${(performance.now() - started).toFixed(0)} ms`);
      peak = process.memoryUsage().heapTotal;
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
