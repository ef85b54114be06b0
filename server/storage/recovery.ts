// Start-up: the newest readable snapshot, then every journal record after it, in sequence.
// A torn tail of the last journal is cut off (it was never acknowledged); a corrupt snapshot
// falls back to the one before; if nothing is readable we refuse to start rather than start
// empty over existing data.
import type { Database, SqlJsStatic } from 'sql.js';
import type { Logger } from '../log.ts';
import type { FileLayer } from './files.ts';
import { decodeRecords, scanJournal } from './journal.ts';
import { LEGACY_FILES, listStorageFiles, type SeqFile } from './layout.ts';
import { loadSnapshot } from './snapshot.ts';
import type { SharedImage } from './image.ts';
import { applyRecords, SqliteRunner } from './sqlite.ts';
import { StorageError } from './errors.ts';
import path from 'node:path';

export interface RecoverOptions {
  /** Cut a torn tail off the last journal (only the owner of the data dir may). */
  repairTail: boolean;
  /** Load exactly this snapshot instead of the newest readable one (null: start empty). */
  snapshot?: SeqFile | null;
  /** Stop replay after this record. */
  upToSeq?: number;
}

export interface Recovered {
  db: Database;
  /** The database's file storage when it was loaded from a snapshot (see image.ts), else null. */
  image: SharedImage | null;
  runner: SqliteRunner;
  /** The snapshot loaded, or null when the database started empty. */
  snapshot: SeqFile | null;
  /** Sequence number of the last record applied. */
  lastSeq: number;
  /** The journal new records are appended to, with its valid length and record count. */
  tail: { file: SeqFile; length: number; records: number } | null;
}

export function recover(SQL: SqlJsStatic, files: FileLayer, dir: string, log: Logger, options: RecoverOptions): Recovered {
  const legacy = LEGACY_FILES.filter((name) => files.exists(path.join(dir, name)));
  if (legacy.length) {
    throw new StorageError(
      `${dir} holds data in the pre-release storage format (${legacy.join(', ')}), which this Meowtrix cannot read; move it aside to start afresh`,
    );
  }
  const listing = listStorageFiles(files, dir);
  const candidates = options.snapshot === undefined ? [...listing.snapshots].reverse() : options.snapshot ? [options.snapshot] : [];
  // With the journal complete from record 1, replaying all of it is the oldest fallback.
  const journalsFromStart = listing.journals[0]?.seq === 1;
  // Room for the replay and the writes to come, so the database's storage is rarely reallocated
  // (sql.js would copy it whole each time). Only the pages written to become resident.
  const journalBytes = listing.journals.reduce((n, j) => n + files.size(j.path), 0);
  const headroom = (imageBytes: number) => Math.min(Math.max(imageBytes / 8, 64 * 2 ** 20) + 4 * journalBytes, imageBytes + 256 * 2 ** 20);
  const { snapshot, image } = loadNewestSnapshot(SQL, files, dir, log, candidates, options.repairTail, journalsFromStart, headroom);
  const db = image?.db ?? new SQL.Database();
  const runner = new SqliteRunner(db);
  const base = snapshot?.seq ?? 0;
  let lastSeq = base;
  let tail: Recovered['tail'] = null;

  let journals = listing.journals;
  if (options.repairTail) journals = removeStrayJournals(files, journals, log);
  const firstNeeded = journals.findIndex((j, i) => i === journals.length - 1 || journals[i + 1]!.seq > base + 1);
  if (firstNeeded >= 0 && journals[firstNeeded]!.seq > base + 1) {
    db.close();
    throw new StorageError(
      `cannot recover ${dir}: records ${base + 1}-${journals[firstNeeded]!.seq - 1} are missing ` +
        `(${snapshot ? `after snapshot ${snapshot.path}` : 'no readable snapshot'}, next journal is ${journals[firstNeeded]!.path})`,
    );
  }
  const upTo = options.upToSeq ?? Infinity;
  for (let i = Math.max(firstNeeded, 0); i < journals.length && firstNeeded >= 0 && lastSeq < upTo; i++) {
    const journal = journals[i]!;
    const isLast = i === journals.length - 1;
    if (journal.seq > lastSeq + 1) {
      db.close();
      throw new StorageError(`cannot recover ${dir}: records ${lastSeq + 1}-${journal.seq - 1} are missing before ${journal.path}`);
    }
    // Replayed a window at a time, each in its own transaction: memory stays bounded whatever the journal's size.
    const decoded = scanJournal(files, journal.path, (records) => {
      const fresh = records.filter((r) => r.seq > lastSeq && r.seq <= upTo);
      if (fresh.length && fresh[0]!.seq !== lastSeq + 1) {
        db.close();
        throw new StorageError(`cannot recover ${dir}: ${journal.path} continues at record ${fresh[0]!.seq}, expected ${lastSeq + 1}`);
      }
      if (!fresh.length) return;
      for (const [k, outcome] of applyRecords(runner, fresh).entries()) {
        if (outcome) log.warn(`journal ${journal.path}: record ${fresh[k]!.seq} did not apply, as when it was written: ${outcome.message}`);
      }
      lastSeq = fresh[fresh.length - 1]!.seq;
    });
    if (decoded.validLength < decoded.totalLength && lastSeq < upTo) {
      const torn = decoded.totalLength - decoded.validLength;
      if (isLast && options.repairTail) {
        log.warn(`journal ${journal.path}: truncated a torn or corrupt tail of ${torn} bytes after record ${lastSeq} (never acknowledged)`);
        const fd = files.open(journal.path, false);
        try {
          files.truncateSync(fd, decoded.validLength);
          files.fsyncSync(fd);
        } finally {
          files.close(fd);
        }
      } else if (!isLast) {
        log.warn(`journal ${journal.path}: ignored ${torn} unreadable bytes after record ${lastSeq}; the next journal continues from there`);
      }
    }
    if (isLast) tail = { file: journal, length: decoded.validLength, records: decoded.records };
  }
  return { db, image, runner, snapshot, lastSeq, tail };
}

function loadNewestSnapshot(
  SQL: SqlJsStatic,
  files: FileLayer,
  dir: string,
  log: Logger,
  candidates: readonly SeqFile[],
  setAsideCorrupt: boolean,
  journalsFromStart: boolean,
  headroom: (imageBytes: number) => number,
): { snapshot: SeqFile | null; image: SharedImage | null } {
  const failures: string[] = [];
  const corrupt: string[] = [];
  // Once an older one loads, rename the bad ones out of the way (kept for inspection) so they
  // are neither retried nor counted as the newest snapshot when old files are pruned.
  const setAside = () => {
    if (!setAsideCorrupt) return;
    for (const file of corrupt) {
      files.rename(file, `${file}.corrupt`);
      log.warn(`renamed the unreadable snapshot to ${file}.corrupt`);
    }
  };
  for (const candidate of candidates) {
    let loaded: SharedImage;
    try {
      const { seq, image } = loadSnapshot(SQL, files, candidate.path, headroom);
      if (seq !== candidate.seq) {
        image.db.close();
        throw new Error(`${candidate.path} holds seq ${seq}, not ${candidate.seq}`);
      }
      loaded = image;
    } catch (err) {
      const reason = (err as Error).message;
      failures.push(reason);
      log.error(`snapshot unreadable: ${reason}`);
      corrupt.push(candidate.path);
      continue;
    }
    if (failures.length) log.warn(`fell back to snapshot ${candidate.path}`);
    setAside();
    return { snapshot: candidate, image: loaded };
  }
  if (candidates.length && !journalsFromStart) {
    throw new StorageError(`cannot start: no readable snapshot in ${dir} (${failures.join('; ')}); refusing to start empty over existing data`);
  }
  if (candidates.length) {
    log.warn('no readable snapshot; replaying the whole journal from record 1');
    setAside();
  }
  return { snapshot: null, image: null };
}

/**
 * A rotation that failed after creating its new journal may leave an empty file behind, named
 * for a record that went into the previous journal instead. It holds nothing; remove it so that
 * names keep telling where each journal starts.
 */
function removeStrayJournals(files: FileLayer, journals: readonly SeqFile[], log: Logger): SeqFile[] {
  const kept: SeqFile[] = [];
  for (const [i, journal] of journals.entries()) {
    const empty = files.size(journal.path) === 0;
    const last = i === journals.length - 1;
    const previous = kept.at(-1);
    // Empty and either followed by another journal, or named for a record the previous journal holds.
    if (empty && previous && (!last || decodeRecords(files.readFile(previous.path)).records.some((r) => r.seq >= journal.seq))) {
      files.unlink(journal.path);
      log.warn(`removed the empty journal ${journal.path} left by an interrupted rotation`);
      continue;
    }
    kept.push(journal);
  }
  return kept;
}

