// Accounts: creating users, sessions (device + access token), devices, passwords, deactivation.
// Every slow or random value (scrypt, tokens, device IDs, times) is made before storage.write,
// because write functions are synchronous and replayed from the journal.
import { createHash } from 'node:crypto';
import type { SqlWriter, Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import type { Requester } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { isValidNewLocalpart, makeUserId, parseUserId, randomString, randomToken } from '../ids.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { accountErrors } from './errors.ts';
import * as users from '../storage/repos/users.ts';
import * as devices from '../storage/repos/devices.ts';
import * as tokens from '../storage/repos/tokens.ts';
import { TokenCache } from './token_cache.ts';

export interface Session {
  userId: string;
  deviceId: string;
  accessToken: string;
}

export interface LastSeen {
  ip: string;
  userAgent: string | null;
  ts: number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export const MAX_PASSWORD_LENGTH = 512;

export class AccountService {
  readonly serverName: string;
  private readonly storage: Storage;
  private readonly clock: Clock;
  // Last use of each device, kept in memory: persisting it would cost an fsync per request.
  private readonly lastSeen = new Map<string, LastSeen>();
  private readonly devicesRemovedListeners: ((userId: string, deviceIds: string[]) => void)[] = [];
  private readonly deactivatedListeners: ((userId: string) => void)[] = [];
  private readonly seenListeners: (() => void)[] = [];
  private readonly tokenOwners: TokenCache;

  constructor(deps: { storage: Storage; clock: Clock; serverName: string }) {
    this.storage = deps.storage;
    this.tokenOwners = new TokenCache(deps.storage);
    this.clock = deps.clock;
    this.serverName = deps.serverName;
  }

  /** Called after devices are deleted (logout, DELETE /devices, deactivation): E2EE drops their keys. */
  onDevicesRemoved(listener: (userId: string, deviceIds: string[]) => void): void {
    this.devicesRemovedListeners.push(listener);
  }

  /** Called after a user is deactivated: rooms may make them leave. */
  onUserDeactivated(listener: (userId: string) => void): void {
    this.deactivatedListeners.push(listener);
  }

  /** "anna", "Anna" or "@anna:server" → "@anna:server"; null when it cannot be a local user. */
  resolveLocalUser(input: string): string | null {
    if (typeof input !== 'string' || input.length === 0) return null;
    if (input.startsWith('@')) {
      const parsed = parseUserId(input);
      if (!parsed || parsed.serverName !== this.serverName) return null;
      return makeUserId(parsed.localpart.toLowerCase(), this.serverName);
    }
    if (input.includes(':')) return null;
    return makeUserId(input.toLowerCase(), this.serverName);
  }

  isLocalUserId(userId: string): boolean {
    return parseUserId(userId)?.serverName === this.serverName;
  }

  getUser(userId: string): users.UserRow | undefined {
    return this.storage.read((db) => users.getUser(db, userId));
  }

  /** Checks a localpart for a new account: M_INVALID_USERNAME / M_USER_IN_USE. */
  checkNewLocalpart(localpart: string): string {
    if (typeof localpart !== 'string' || !isValidNewLocalpart(localpart)) throw accountErrors.invalidUsername();
    const userId = makeUserId(localpart, this.serverName);
    if (Buffer.byteLength(userId) > 255) throw accountErrors.invalidUsername('User ID too long');
    if (this.getUser(userId)) throw accountErrors.userInUse();
    return userId;
  }

  /** `guard` runs inside the same transaction (e.g. to consume a registration token) and may throw to abort. */
  async createUser(options: {
    localpart: string;
    password: string | null;
    admin?: boolean;
    displayname?: string | null;
    guard?: (db: SqlWriter, now: number) => void;
  }): Promise<string> {
    const userId = this.checkNewLocalpart(options.localpart);
    const passwordHash = options.password === null ? null : await hashPassword(checkPassword(options.password));
    const createdTs = this.clock.now();
    await this.storage.write((db) => {
      if (users.getUser(db, userId)) throw accountErrors.userInUse();
      options.guard?.(db, createdTs);
      users.insertUser(db, {
        userId,
        localpart: options.localpart,
        passwordHash,
        isAdmin: options.admin ?? false,
        displayname: options.displayname ?? options.localpart,
        createdTs,
      });
    });
    return userId;
  }

  /** Password login. Unknown user and wrong password look the same (and take the same time). */
  async passwordLogin(options: { user: string; password: string; deviceId?: string; deviceDisplayName?: string | null }): Promise<Session> {
    // No stored password is this long; do not spend scrypt on megabytes.
    if (options.password.length > MAX_PASSWORD_LENGTH) throw accountErrors.badLogin();
    const userId = this.resolveLocalUser(options.user);
    const user = userId ? this.getUser(userId) : undefined;
    const ok = await verifyPassword(options.password, user?.password_hash);
    if (!ok || !user) throw accountErrors.badLogin();
    if (user.deactivated) throw accountErrors.userDeactivated();
    // If the password changed while scrypt ran, the old one must not open a session.
    return this.createSession(user.user_id, options.deviceId, options.deviceDisplayName ?? null, user.password_hash);
  }

  /** Checks the password of an existing user (UIA). */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    const user = this.getUser(userId);
    const ok = await verifyPassword(password, user?.password_hash);
    return ok && !!user && !user.deactivated;
  }

  /** A new access token on a new device, or on an existing device (its old tokens are revoked). */
  async createSession(userId: string, requestedDeviceId: string | undefined, displayName: string | null, verifiedHash?: string | null): Promise<Session> {
    const deviceId = requestedDeviceId ?? randomString(10);
    const accessToken = randomToken(256);
    const tokenHash = hashToken(accessToken);
    const now = this.clock.now();
    await this.storage.write((db) => {
      const user = users.getUser(db, userId);
      if (!user) throw accountErrors.userNotFound();
      if (user.deactivated) throw accountErrors.userDeactivated();
      if (verifiedHash !== undefined && user.password_hash !== verifiedHash) throw accountErrors.badLogin();
      if (devices.getDevice(db, userId, deviceId)) {
        // Spec: initial_device_display_name is ignored for a known device.
        tokens.deleteDeviceTokens(db, userId, deviceId);
      } else {
        devices.insertDevice(db, { userId, deviceId, displayName, createdTs: now });
      }
      tokens.insertToken(db, { tokenHash, userId, deviceId, createdTs: now });
    });
    return { userId, deviceId, accessToken };
  }

  /** The requester behind an access token, or M_UNKNOWN_TOKEN. */
  authenticateToken(accessToken: string, seen?: { ip: string; userAgent: string | null }): Requester {
    const owner = this.tokenOwners.find(accessToken, () => this.storage.read((db) => tokens.findTokenOwner(db, hashToken(accessToken))));
    if (!owner || owner.deactivated) throw errors.unknownToken();
    if (seen) {
      this.lastSeen.set(`${owner.user_id}|${owner.device_id}`, { ...seen, ts: this.clock.now() });
      for (const listener of this.seenListeners) listener();
    }
    return { userId: owner.user_id, deviceId: owner.device_id, isAdmin: owner.is_admin === 1 };
  }

  lastSeenOf(userId: string, deviceId: string): LastSeen | null {
    return this.lastSeen.get(`${userId}|${deviceId}`) ?? null;
  }

  /** Devices used since `sinceTs` (the host's status: who is connected). */
  recentlySeen(sinceTs: number): (LastSeen & { userId: string; deviceId: string })[] {
    const out: (LastSeen & { userId: string; deviceId: string })[] = [];
    for (const [key, seen] of this.lastSeen) {
      if (seen.ts < sinceTs) continue;
      const bar = key.indexOf('|');
      out.push({ ...seen, userId: key.slice(0, bar), deviceId: key.slice(bar + 1) });
    }
    return out;
  }

  /** Called after a device made an authenticated request (the host's status feed). */
  onSeen(listener: () => void): void {
    this.seenListeners.push(listener);
  }

  listDevices(userId: string): devices.DeviceRow[] {
    return this.storage.read((db) => devices.listDevices(db, userId));
  }

  getDevice(userId: string, deviceId: string): devices.DeviceRow | undefined {
    return this.storage.read((db) => devices.getDevice(db, userId, deviceId));
  }

  async setDeviceDisplayName(userId: string, deviceId: string, displayName: string | null): Promise<void> {
    const changed = await this.storage.write((db) => devices.setDeviceDisplayName(db, userId, deviceId, displayName));
    if (!changed) throw accountErrors.deviceNotFound();
  }

  /** Deletes devices and revokes their tokens; unknown IDs are ignored. */
  async deleteDevices(userId: string, deviceIds: string[]): Promise<void> {
    const removed = await this.storage.write((db) => {
      const gone: string[] = [];
      for (const deviceId of deviceIds) {
        tokens.deleteDeviceTokens(db, userId, deviceId);
        if (devices.deleteDevice(db, userId, deviceId)) gone.push(deviceId);
      }
      return gone;
    });
    if (removed.length) this.emitDevicesRemoved(userId, removed);
  }

  /** POST /logout/all: every device and token of the user. */
  async logoutAll(userId: string): Promise<void> {
    const removed = await this.storage.write((db) => {
      const gone = devices.listDevices(db, userId).map((d) => d.device_id);
      tokens.deleteUserTokens(db, userId);
      devices.deleteAllDevices(db, userId);
      return gone;
    });
    if (removed.length) this.emitDevicesRemoved(userId, removed);
  }

  /** Sets a new password; with logoutDevices, every device but `keepDeviceId` is logged out. */
  async setPassword(userId: string, newPassword: string, options: { logoutDevices: boolean; keepDeviceId?: string }): Promise<void> {
    const hash = await hashPassword(checkPassword(newPassword));
    const removed = await this.storage.write((db) => {
      if (!users.getUser(db, userId)) throw accountErrors.userNotFound();
      users.setPasswordHash(db, userId, hash);
      if (!options.logoutDevices) return [];
      const gone = devices.listDevices(db, userId).map((d) => d.device_id).filter((id) => id !== options.keepDeviceId);
      for (const deviceId of gone) {
        tokens.deleteDeviceTokens(db, userId, deviceId);
        devices.deleteDevice(db, userId, deviceId);
      }
      return gone;
    });
    if (removed.length) this.emitDevicesRemoved(userId, removed);
  }

  async setAdmin(userId: string, isAdmin: boolean): Promise<void> {
    await this.storage.write((db) => users.setAdmin(db, userId, isAdmin));
  }

  /** Deactivation: no more logins, every token and device gone, password cleared. */
  async deactivate(userId: string): Promise<void> {
    const removed = await this.storage.write((db) => {
      if (!users.getUser(db, userId)) throw accountErrors.userNotFound();
      const gone = devices.listDevices(db, userId).map((d) => d.device_id);
      tokens.deleteUserTokens(db, userId);
      devices.deleteAllDevices(db, userId);
      users.setPasswordHash(db, userId, null);
      users.setDeactivated(db, userId, true);
      return gone;
    });
    if (removed.length) this.emitDevicesRemoved(userId, removed);
    for (const listener of this.deactivatedListeners) listener(userId);
  }

  /** Re-enables a deactivated account (admin API); it needs a new password to log in. */
  async reactivate(userId: string): Promise<void> {
    await this.storage.write((db) => users.setDeactivated(db, userId, false));
  }

  private emitDevicesRemoved(userId: string, deviceIds: string[]): void {
    for (const deviceId of deviceIds) this.lastSeen.delete(`${userId}|${deviceId}`);
    for (const listener of this.devicesRemovedListeners) listener(userId, deviceIds);
  }
}

/** Rejects passwords that are empty or absurdly long (scrypt would still hash megabytes). */
export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0) throw accountErrors.weakPassword('Password must not be empty');
  if (password.length > MAX_PASSWORD_LENGTH) throw errors.invalidParam(`Password longer than ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}
