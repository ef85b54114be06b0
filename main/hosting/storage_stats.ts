// Disk use of the hosted server's data dir for the panel's status: database (snapshot + journal),
// media files, and when the last snapshot was written.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface StorageStats {
  databaseBytes: number;
  mediaBytes: number;
  /** Epoch ms of the newest database snapshot, or null before the first. */
  lastSnapshotAt: number | null;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(full);
    else if (entry.isFile()) total += (await fs.stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export async function storageStats(dataDir: string): Promise<StorageStats> {
  let databaseBytes = 0;
  let lastSnapshotAt: number | null = null;
  for (const name of await fs.readdir(dataDir).catch(() => [] as string[])) {
    const snapshot = /^snapshot-\d+\.db$/.test(name);
    if (!snapshot && !/^journal-\d+\.log$/.test(name)) continue;
    const stat = await fs.stat(path.join(dataDir, name)).catch(() => null);
    if (!stat) continue;
    databaseBytes += stat.size;
    if (snapshot) lastSnapshotAt = Math.max(lastSnapshotAt ?? 0, stat.mtimeMs);
  }
  return { databaseBytes, mediaBytes: await treeBytes(path.join(dataDir, 'media')), lastSnapshotAt };
}
