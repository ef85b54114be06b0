// Access token → owner, kept in memory: every authenticated request needs it, and a sql.js
// lookup costs more than the rest of a small request. The cache is dropped whenever a write
// touched access_tokens or users (login, logout, device deletion, password change with logout,
// deactivation, admin changes, profile changes), so it can never answer with a revoked token
// or a stale admin flag, whichever code path made the change. Unknown tokens are not cached.
// Keyed by the token itself, so a request that hits the cache does not hash it (only the
// database holds hashes; this map lives and dies with the process, like the requests that carry tokens).
import type { Storage } from '../storage/types.ts';
import type { TokenOwner } from '../storage/repos/tokens.ts';
import { TableCache } from '../storage/table_cache.ts';

const MAX_ENTRIES = 10_000;

export class TokenCache {
  private readonly owners: TableCache<TokenOwner | undefined>;

  constructor(storage: Storage) {
    this.owners = new TableCache(storage, ['access_tokens', 'users'], MAX_ENTRIES);
  }

  /** The owner of this access token, from memory when nothing changed since it was read (unknown tokens are not kept). */
  find(accessToken: string, load: () => TokenOwner | undefined): TokenOwner | undefined {
    return this.owners.getOrLoad(accessToken, load);
  }
}
