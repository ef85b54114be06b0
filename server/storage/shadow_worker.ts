// The shadow copy: a second sql.js database in a worker thread that applies the same journal
// records as the live one and writes snapshots from there, so db.export() (which copies the
// whole database and stalls its thread) never blocks requests.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqlJs, applyRecords, type SqliteRunner } from './sqlite.ts';
import { decodeRecords } from './journal.ts';
import { diskFiles } from './files.ts';
import { recover } from './recovery.ts';
import { writeSnapshot } from './snapshot.ts';
import { pruneFiles } from './layout.ts';
import type { Logger } from '../log.ts';
import type { ShadowInit, ShadowReply, ShadowRequest } from './shadow.ts';

const port = parentPort!;
const init = workerData as ShadowInit;
const send = (reply: ShadowReply) => port.postMessage(reply);
const log: Logger = {
  error: (msg) => send({ type: 'log', level: 'error', msg }),
  warn: (msg) => send({ type: 'log', level: 'warn', msg }),
  info: (msg) => send({ type: 'log', level: 'info', msg }),
  debug: (msg) => send({ type: 'log', level: 'debug', msg }),
};

const backlog: ShadowRequest[] = [];
let handle: ((msg: ShadowRequest) => void) | null = null;
port.on('message', (msg: ShadowRequest) => (handle ? handle(msg) : backlog.push(msg)));

const SQL = await loadSqlJs();
const recovered = recover(SQL, diskFiles, init.dir, log, { repairTail: false, upToSeq: init.upToSeq });
const runner: SqliteRunner = recovered.runner;
let applied = recovered.lastSeq;
if (applied !== init.upToSeq) {
  send({ type: 'broken', error: `shadow copy recovered to record ${applied}, expected ${init.upToSeq}` });
  process.exit(1);
}

handle = (msg) => {
  if (msg.type === 'records') {
    const fresh = decodeRecords(msg.bytes).records.filter((r) => r.seq > applied);
    if (fresh.length && fresh[0]!.seq !== applied + 1) {
      send({ type: 'broken', error: `shadow copy got record ${fresh[0]!.seq} after ${applied}` });
      process.exit(1);
    }
    applyRecords(runner, fresh);
    if (fresh.length) applied = fresh[fresh.length - 1]!.seq;
  } else if (msg.type === 'snapshot') {
    if (msg.seq !== applied) {
      send({ type: 'snapshot-failed', id: msg.id, error: `shadow copy is at record ${applied}, not ${msg.seq}` });
      return;
    }
    const started = performance.now();
    try {
      const image = runner.db.export();
      runner.resetStatements(); // export() freed them
      const exportMs = performance.now() - started;
      const { file, bytes } = writeSnapshot(SQL, diskFiles, init.dir, msg.seq, image);
      let pruned: string[] = [];
      try {
        if (msg.prune) pruned = pruneFiles(diskFiles, init.dir, msg.seq);
      } catch (err) {
        log.warn(`could not delete old snapshot/journal files: ${(err as Error).message}`);
      }
      send({ type: 'snapshot-done', id: msg.id, file, bytes, exportMs, totalMs: performance.now() - started, pruned });
    } catch (err) {
      try {
        runner.resetStatements();
      } catch {
        // the database did not reopen; the next records will fail and restart this worker
      }
      send({ type: 'snapshot-failed', id: msg.id, error: (err as Error).message });
    }
  }
};
for (const msg of backlog.splice(0)) handle(msg);
