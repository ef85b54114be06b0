// The server name is part of every user ID, so it is remembered in the database: the offline
// CLI then makes users with the same name the server uses.
import type { Storage } from '../storage/types.ts';
import type { Logger } from '../log.ts';

export function storedServerName(storage: Storage): string | null {
  return storage.read((db) => db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'server_name'`)?.value ?? null);
}

/** Records the server name on first start; warns when it changed while users exist (their IDs keep the old name). */
export async function pinServerName(storage: Storage, serverName: string, log: Logger): Promise<void> {
  const stored = storedServerName(storage);
  if (stored === serverName) return;
  if (stored !== null) {
    const users = storage.read((db) => db.get<{ n: number }>(`SELECT count(*) AS n FROM users`)!.n);
    if (users > 0) {
      log.warn(`server name is now "${serverName}" but existing accounts were made as "${stored}"; they can only log in under the old name`);
      return;
    }
  }
  await storage.write((db) => {
    db.run(`INSERT INTO meta (key, value) VALUES ('server_name', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [serverName]);
  });
}
