// The engine's files in the data dir, and which of them may be deleted.
//
//   snapshot-<seq>.db   the database as of journal record <seq> (see snapshot.ts)
//   journal-<seq>.log   records from <seq> on, until the next journal file's first seq
//   meowtrix.lock       held by the running server (see lock.ts)
//
// The newest two readable snapshots are kept, with every journal needed to replay from the
// older one, so a snapshot that later turns out to be corrupt can fall back to its predecessor.
import path from 'node:path';
import type { FileLayer } from './files.ts';

export const LOCK_FILE = 'meowtrix.lock';
/** Files of the pre-release format, which had no sequence numbers. */
export const LEGACY_FILES = ['meowtrix.db', 'journal.log'];

const SNAPSHOT = /^snapshot-(\d{16})\.db$/;
const JOURNAL = /^journal-(\d{16})\.log$/;
const TEMP = /^snapshot-\d{16}\.db\.tmp$/;

const pad = (seq: number) => String(seq).padStart(16, '0');
export const snapshotName = (seq: number) => `snapshot-${pad(seq)}.db`;
export const journalName = (firstSeq: number) => `journal-${pad(firstSeq)}.log`;

export interface SeqFile {
  seq: number;
  path: string;
}

export interface StorageFiles {
  /** Oldest first. */
  snapshots: SeqFile[];
  /** Oldest first; seq is the first record's sequence number. */
  journals: SeqFile[];
  temps: string[];
}

export function listStorageFiles(files: FileLayer, dir: string): StorageFiles {
  const out: StorageFiles = { snapshots: [], journals: [], temps: [] };
  for (const name of files.list(dir)) {
    const full = path.join(dir, name);
    let m: RegExpExecArray | null;
    if ((m = SNAPSHOT.exec(name))) out.snapshots.push({ seq: Number(m[1]), path: full });
    else if ((m = JOURNAL.exec(name))) out.journals.push({ seq: Number(m[1]), path: full });
    else if (TEMP.test(name)) out.temps.push(full);
  }
  out.snapshots.sort((a, b) => a.seq - b.seq);
  out.journals.sort((a, b) => a.seq - b.seq);
  return out;
}

/** Journals whose records are all contained in the snapshot at seq `keepFrom` may go. */
export function obsoleteJournals(journals: readonly SeqFile[], keepFrom: number): SeqFile[] {
  const out: SeqFile[] = [];
  for (let i = 0; i + 1 < journals.length; i++) {
    if (journals[i + 1]!.seq <= keepFrom + 1) out.push(journals[i]!);
  }
  return out;
}

/**
 * Deletes what the two newest snapshots (the newest proven readable) make unnecessary.
 * `newest` is the seq of the snapshot just verified.
 */
export function pruneFiles(files: FileLayer, dir: string, newest: number): string[] {
  const { snapshots, journals } = listStorageFiles(files, dir);
  const kept = snapshots.filter((s) => s.seq <= newest).slice(-2);
  if (!kept.length) return [];
  const keepFrom = kept[0]!.seq;
  const doomed = [...snapshots.filter((s) => s.seq < keepFrom), ...obsoleteJournals(journals, keepFrom)];
  for (const f of doomed) files.unlink(f.path);
  if (doomed.length) files.fsyncDir(dir);
  return doomed.map((f) => f.path);
}
