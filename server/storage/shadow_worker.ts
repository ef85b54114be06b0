// The snapshot worker (see shadow.ts): rebuilds the database as of one record from the files on
// disk, writes it as a snapshot and exits, taking its copy of the database with it.
//
// One copy at its peak: the snapshot is read straight into the storage sql.js uses as the
// database file (image.ts), the journals are replayed into it, and the new snapshot is written
// from those same bytes and read back piece by piece. db.export() (a second full copy) is only
// the fallback when the storage is not the file any more (no snapshot to start from, or the
// replay outgrew the room left for it).
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqlJs } from './sqlite.ts';
import { diskFiles } from './files.ts';
import { recover } from './recovery.ts';
import { liveImage } from './image.ts';
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
  const replayedMs = performance.now() - started;
  const exportStarted = performance.now();
  let image = recovered.image && liveImage(recovered.image);
  recovered.image = null; // if it is not the file any more, the stale storage can go before export() copies
  const copied = !image;
  if (!image) image = recovered.db.export();
  const exportMs = performance.now() - exportStarted;
  recovered.db.close(); // the bytes stay in `image`; sql.js's page cache and statements go
  const { file, bytes } = writeSnapshot(diskFiles, init.dir, init.seq, image);
  image = null;
  let pruned: string[] = [];
  try {
    if (init.prune) pruned = pruneFiles(diskFiles, init.dir, init.seq);
  } catch (err) {
    log.warn(`could not delete old snapshot/journal files: ${(err as Error).message}`);
  }
  const totalMs = performance.now() - started;
  log.debug(`snapshot ${init.seq}: load + replay ${replayedMs.toFixed(0)} ms, ${copied ? 'exported a copy' : 'written from the loaded storage'}, ` +
    `write + read back ${(totalMs - replayedMs - exportMs).toFixed(0)} ms`);
  send({ type: 'snapshot-done', file, bytes, exportMs, totalMs, pruned });
} catch (err) {
  send({ type: 'snapshot-failed', error: (err as Error).message });
}
