// Access token → owner, kept in memory: every authenticated request needs it, and a sql.js
// lookup costs more than the rest of a small request. The cache is dropped whenever a write
// touched access_tokens or users (login, logout, device deletion, password change with logout,
// deactivation, admin changes, profile changes), so it can never answer with a revoked token
// or a stale admin flag, whichever code path made the change. Unknown tokens are not cached.
// Keyed by the token itself, so a request that hits the cache does not hash it (only the
// database holds hashes; this map lives and dies with the process, like the requests that carry tokens).
import type { Storage } from '../storage/types.ts';
import type { TokenOwner } from '../storage/repos/tokens.ts';

const MAX_ENTRIES = 10_000;

export class TokenCache {
  private readonly storage: Storage;
  private readonly owners = new Map<string, TokenOwner>();
  private tokensVersion = -1;
  private usersVersion = -1;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /** The owner of this access token, from memory when nothing changed since it was read. */
  find(accessToken: string, load: () => TokenOwner | undefined): TokenOwner | undefined {
    const tokensVersion = this.storage.tableVersion('access_tokens');
    const usersVersion = this.storage.tableVersion('users');
    if (tokensVersion !== this.tokensVersion || usersVersion !== this.usersVersion) {
      this.owners.clear();
      this.tokensVersion = tokensVersion;
      this.usersVersion = usersVersion;
    }
    const cached = this.owners.get(accessToken);
    if (cached) return cached;
    const owner = load();
    if (owner) {
      if (this.owners.size >= MAX_ENTRIES) this.owners.clear();
      this.owners.set(accessToken, owner);
    }
    return owner;
  }
}
