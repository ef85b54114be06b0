// What people search reads: active local users and their profiles (the users table, migration 002).
import type { SqlReader } from '../types.ts';

export interface DirectoryUser {
  user_id: string;
  displayname: string | null;
  avatar_url: string | null;
}

export function activeUsers(db: SqlReader): DirectoryUser[] {
  return db.all<DirectoryUser>(`SELECT user_id, displayname, avatar_url FROM users WHERE deactivated = 0 ORDER BY user_id`);
}

/** Active users among `userIds`. */
export function activeUsersAmong(db: SqlReader, userIds: string[]): DirectoryUser[] {
  if (!userIds.length) return [];
  return db.all<DirectoryUser>(
    `SELECT user_id, displayname, avatar_url FROM users WHERE deactivated = 0 AND user_id IN (${userIds.map(() => '?').join(', ')}) ORDER BY user_id`,
    userIds,
  );
}
