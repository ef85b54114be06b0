// People search (POST /user_directory/search): users sharing a joined room with the searcher,
// and, when the server is configured so (the default for a household), every local user.
// Every word of the term must occur in the user ID or display name, case-, accent- and
// width-insensitively; CJK words match as substrings (there are no spaces to split on).
import type { SqlReader } from '../storage/types.ts';
import { usersSharingRooms } from '../storage/repos/rooms.ts';
import { activeUsers, activeUsersAmong, type DirectoryUser } from '../storage/repos/user_directory.ts';
import { fold, runsOf } from '../search/tokens.ts';

export interface UserSearchResult {
  results: { user_id: string; display_name?: string; avatar_url?: string }[];
  limited: boolean;
}

export function searchUsers(db: SqlReader, searcher: string, term: string, limit: number, allLocalUsers: boolean): UserSearchResult {
  const words = runsOf(term).map((r) => r.text);
  if (!words.length) return { results: [], limited: false };
  const sharing = new Set(usersSharingRooms(db, searcher));
  const candidates = allLocalUsers ? activeUsers(db) : activeUsersAmong(db, [...sharing]);
  const scored: { user: DirectoryUser; score: number }[] = [];
  for (const user of candidates) {
    const localpart = fold(user.user_id.slice(1, user.user_id.indexOf(':')));
    const haystack = `${fold(user.user_id)} ${fold(user.displayname ?? '')}`;
    if (!words.every((w) => haystack.includes(w))) continue;
    // Better matches first: exact localpart, then prefixes, then room-mates.
    let score = 0;
    if (words.length === 1 && localpart === words[0]) score += 8;
    if (words.every((w) => localpart.startsWith(w) || fold(user.displayname ?? '').split(/\s+/).some((part) => part.startsWith(w)))) score += 4;
    if (sharing.has(user.user_id)) score += 2;
    scored.push({ user, score });
  }
  scored.sort((a, b) => b.score - a.score || sortName(a.user).localeCompare(sortName(b.user)));
  const results = scored.slice(0, limit).map(({ user }) => {
    const r: UserSearchResult['results'][number] = { user_id: user.user_id };
    if (user.displayname) r.display_name = user.displayname;
    if (user.avatar_url) r.avatar_url = user.avatar_url;
    return r;
  });
  return { results, limited: scored.length > limit };
}

function sortName(u: DirectoryUser): string {
  return fold(u.displayname ?? u.user_id.slice(1));
}
