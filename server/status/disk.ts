// The database's footprint in the data dir (snapshots + journals) and when the newest snapshot was
// written, read from the files themselves so snapshots taken in the background count too.
import fs from 'node:fs/promises';
import { watch } from 'node:fs';
import path from 'node:path';

const DATABASE_FILE = /^(snapshot-\d+\.db|journal-\d+\.log)$/;
const SNAPSHOT_FILE = /^snapshot-\d+\.db$/;

export async function databaseFiles(dataDir: string): Promise<{ bytes: number; lastSnapshotTs: number | null }> {
  let bytes = 0;
  let lastSnapshotTs: number | null = null;
  for (const name of await fs.readdir(dataDir).catch(() => [] as string[])) {
    if (!DATABASE_FILE.test(name)) continue;
    const stat = await fs.stat(path.join(dataDir, name)).catch(() => null);
    if (!stat) continue; // pruned meanwhile
    bytes += stat.size;
    if (SNAPSHOT_FILE.test(name)) lastSnapshotTs = Math.max(lastSnapshotTs ?? 0, Math.round(stat.mtimeMs));
  }
  return { bytes, lastSnapshotTs };
}

/**
 * Calls onChange when a database file changes (journal appends, a snapshot written or pruned),
 * including writes that come from neither HTTP nor rooms (the CLI's admin socket, background
 * snapshots). Returns the stop function; a data dir that cannot be watched is simply not watched.
 */
export function watchDatabaseFiles(dataDir: string, onChange: () => void): () => void {
  try {
    const watcher = watch(dataDir, (_event, name) => {
      if (name === null || DATABASE_FILE.test(String(name))) onChange();
    });
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  } catch {
    return () => {};
  }
}
