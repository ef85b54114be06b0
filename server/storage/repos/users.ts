// The users table: accounts, password hashes, admin flag, deactivation and profile.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface UserRow {
  user_id: string;
  localpart: string;
  password_hash: string | null;
  is_admin: number;
  deactivated: number;
  displayname: string | null;
  avatar_url: string | null;
  created_ts: number;
}

export interface NewUser {
  userId: string;
  localpart: string;
  passwordHash: string | null;
  isAdmin: boolean;
  displayname: string | null;
  createdTs: number;
}

export function getUser(db: SqlReader, userId: string): UserRow | undefined {
  return db.get<UserRow>(`SELECT * FROM users WHERE user_id = ?`, [userId]);
}

export function insertUser(db: SqlWriter, user: NewUser): void {
  db.run(
    `INSERT INTO users (user_id, localpart, password_hash, is_admin, deactivated, displayname, avatar_url, created_ts)
     VALUES (?, ?, ?, ?, 0, ?, NULL, ?)`,
    [user.userId, user.localpart, user.passwordHash, user.isAdmin ? 1 : 0, user.displayname, user.createdTs],
  );
}

export function listUsers(db: SqlReader, options: { from: number; limit: number; name?: string; includeDeactivated: boolean }): { users: UserRow[]; total: number } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (!options.includeDeactivated) where.push('deactivated = 0');
  if (options.name) {
    where.push(`(instr(lower(user_id), ?) > 0 OR instr(lower(coalesce(displayname, '')), ?) > 0)`);
    params.push(options.name.toLowerCase(), options.name.toLowerCase());
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM users ${clause}`, params)!.n;
  const users = db.all<UserRow>(`SELECT * FROM users ${clause} ORDER BY user_id LIMIT ? OFFSET ?`, [...params, options.limit, options.from]);
  return { users, total };
}

export function countUsers(db: SqlReader): number {
  return db.get<{ n: number }>(`SELECT count(*) AS n FROM users`)!.n;
}

export function setPasswordHash(db: SqlWriter, userId: string, hash: string | null): void {
  db.run(`UPDATE users SET password_hash = ? WHERE user_id = ?`, [hash, userId]);
}

export function setAdmin(db: SqlWriter, userId: string, isAdmin: boolean): void {
  db.run(`UPDATE users SET is_admin = ? WHERE user_id = ?`, [isAdmin ? 1 : 0, userId]);
}

export function setDeactivated(db: SqlWriter, userId: string, deactivated: boolean): void {
  db.run(`UPDATE users SET deactivated = ? WHERE user_id = ?`, [deactivated ? 1 : 0, userId]);
}

export function setDisplayname(db: SqlWriter, userId: string, displayname: string | null): void {
  db.run(`UPDATE users SET displayname = ? WHERE user_id = ?`, [displayname, userId]);
}

export function setAvatarUrl(db: SqlWriter, userId: string, avatarUrl: string | null): void {
  db.run(`UPDATE users SET avatar_url = ? WHERE user_id = ?`, [avatarUrl, userId]);
}
