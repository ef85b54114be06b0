// m.ignored_user_list (client-server spec "Ignoring Users"): the users whose events and invites
// the ignorer must not be sent. Read from account data inside the caller's read transaction, so
// sync, /messages, /context and /search see the same list.
import type { SqlReader } from '../storage/types.ts';
import { getAccountData } from '../storage/repos/account_data.ts';

export const IGNORED_USER_LIST = 'm.ignored_user_list';

/** Users `userId` ignores (empty when none). */
export function ignoredUsers(db: SqlReader, userId: string): ReadonlySet<string> {
  const json = getAccountData(db, userId, '', IGNORED_USER_LIST);
  if (json === undefined) return EMPTY;
  try {
    const content = JSON.parse(json) as { ignored_users?: unknown };
    const list = content.ignored_users;
    if (!list || typeof list !== 'object' || Array.isArray(list)) return EMPTY;
    const users = Object.keys(list).filter((u) => u !== userId);
    return users.length ? new Set(users) : EMPTY;
  } catch {
    return EMPTY;
  }
}

/**
 * Whether an event from `sender` is hidden from the ignorer. State events stay visible: hiding
 * them would leave the room's state (membership, names) wrong on the client.
 */
export function hiddenByIgnore(ignored: ReadonlySet<string>, row: { sender: string; state_key: string | null }): boolean {
  return row.state_key === null && ignored.has(row.sender);
}

const EMPTY: ReadonlySet<string> = new Set();
