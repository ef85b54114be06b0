// The snapshot worker (see shadow.ts): rebuilds the database as of one record from the files on
// disk, writes it as a snapshot and exits, taking its copy of the database with it.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqlJs } from './sqlite.ts';
import { diskFiles } from './files.ts';
import { recover } from './recovery.ts';
import { writeSnapshot } from './snapshot.ts';
import { pruneFiles } from './layout.ts';
import type { Logger } from '../log.ts';
import type { ShadowInit, ShadowReply } from './shadow.ts';

const port = parentPort!;
const init = workerData as ShadowInit;
const send = (reply: ShadowReply) => port.postMessage(reply);
const log: Logger = {
  error: (msg) => send({ type: 'log', level: 'error', msg }),
  warn: (msg) => send({ type: 'log', level: 'warn', msg }),
  info: (msg) => send({ type: 'log', level: 'info', msg }),
  debug: (msg) => send({ type: 'log', level: 'debug', msg }),
};

const started = performance.now();
try {
  const SQL = await loadSqlJs();
  // Only closed journals are read: the live one starts after init.seq.
  const recovered = recover(SQL, diskFiles, init.dir, log, { repairTail: false, upToSeq: init.seq });
  if (recovered.lastSeq !== init.seq) {
    recovered.db.close();
    throw new Error(`the files on disk hold records up to ${recovered.lastSeq}, not ${init.seq}`);
  }
  const exportStarted = performance.now();
  const image = recovered.db.export();
  const exportMs = performance.now() - exportStarted;
  recovered.db.close(); // frees its copy before the file is written and read back
  const { file, bytes } = writeSnapshot(diskFiles, init.dir, init.seq, image);
  let pruned: string[] = [];
  try {
    if (init.prune) pruned = pruneFiles(diskFiles, init.dir, init.seq);
  } catch (err) {
    log.warn(`could not delete old snapshot/journal files: ${(err as Error).message}`);
  }
  send({ type: 'snapshot-done', file, bytes, exportMs, totalMs: performance.now() - started, pruned });
} catch (err) {
  send({ type: 'snapshot-failed', error: (err as Error).message });
}
