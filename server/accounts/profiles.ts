// Profiles (display name, avatar URL), stored with the user. Listeners learn of changes so
// room membership events can follow a new name.
import type { Storage } from '../storage/types.ts';
import * as users from '../storage/repos/users.ts';
import { accountErrors } from './errors.ts';
import type { Logger } from '../log.ts';

export interface Profile {
  displayname: string | null;
  avatar_url: string | null;
}

export type ProfileListener = (userId: string, profile: Profile, previous: Profile) => void | Promise<void>;

export class ProfileService {
  private readonly storage: Storage;
  private readonly listeners: ProfileListener[] = [];
  private readonly log: Logger | undefined;

  constructor(storage: Storage, log?: Logger) {
    this.storage = storage;
    this.log = log;
  }

  /** Runs after every change, once it is durable. */
  onProfileChanged(listener: ProfileListener): void {
    this.listeners.push(listener);
  }

  /** The profile of a local user, or null when there is no such (active) user. */
  get(userId: string): Profile | null {
    const row = this.storage.read((db) => users.getUser(db, userId));
    if (!row || row.deactivated) return null;
    return { displayname: row.displayname, avatar_url: row.avatar_url };
  }

  async setDisplayname(userId: string, displayname: string | null): Promise<void> {
    await this.update(userId, { displayname });
  }

  async setAvatarUrl(userId: string, avatarUrl: string | null): Promise<void> {
    await this.update(userId, { avatar_url: avatarUrl });
  }

  private async update(userId: string, change: Partial<Profile>): Promise<void> {
    const result = await this.storage.write((db) => {
      const row = users.getUser(db, userId);
      if (!row) throw accountErrors.userNotFound();
      const previous: Profile = { displayname: row.displayname, avatar_url: row.avatar_url };
      if (change.displayname !== undefined) users.setDisplayname(db, userId, change.displayname);
      if (change.avatar_url !== undefined) users.setAvatarUrl(db, userId, change.avatar_url);
      return { previous, profile: { ...previous, ...change } };
    });
    if (result.previous.displayname === result.profile.displayname && result.previous.avatar_url === result.profile.avatar_url) return;
    // The change is already durable: a failing listener is logged, not reported to the client as a failure.
    for (const listener of this.listeners) {
      try {
        await listener(userId, result.profile, result.previous);
      } catch (err) {
        this.log?.error(`profile listener failed for ${userId}`, err);
      }
    }
  }
}
