// What every API module is given: the config and the services it may call.
// Later features add their services here (storage, accounts, rooms, sync, media, ...).
import type { HomeserverConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Storage } from './storage/types.ts';
import type { Clock } from './clock.ts';
import type { AccountService } from './accounts/service.ts';
import type { ProfileService } from './accounts/profiles.ts';
import type { RegistrationTokenService } from './accounts/registration_tokens.ts';
import type { UiaService } from './accounts/uia.ts';
import type { E2eeServices } from './e2ee/index.ts';
import type { Notifier } from './sync/notifier.ts';
import type { MediaService } from './media/service.ts';
import type { UserData } from './userdata/index.ts';
import type { RoomService } from './rooms/service.ts';
import type { SyncService } from './sync/service.ts';
import type { PusherService } from './push/pushers.ts';
import type { ActionLimiter } from './http/action_limits.ts';
import type { StatusService } from './status/service.ts';
import type { SearchIndexer } from './search/indexer.ts';

export interface ServerContext {
  config: HomeserverConfig;
  log: Logger;
  storage: Storage;
  clock: Clock;
  accounts: AccountService;
  profiles: ProfileService;
  registrationTokens: RegistrationTokenService;
  /** User-interactive auth, shared by every endpoint that re-checks the user. */
  uia: UiaService;
  /** Wakes waiting /sync long-polls after a committed change (their answers wait until it is durable). */
  notifier: Notifier;
  /** Device keys, cross-signing, to-device messages and key backup. */
  e2ee: E2eeServices;
  /** Uploaded files: content store, thumbnails, URL previews' limits. */
  media: MediaService;
  /** Rooms and their events: build, authorise, persist, notify. */
  rooms: RoomService;
  /** GET /sync: the stream providers and long-polling. */
  sync: SyncService;
  /** Per-user data: account data, push rules and unread counts, receipts, typing, presence. */
  userData: UserData;
  /** Rate limits on registering, sending, uploading and inviting. */
  limits: ActionLimiter;
  /** Pushers and delivery to their push gateways. */
  push: { pushers: PusherService };
  /** The host's live status (desktop host panel): uptime, connected devices, messages today, sizes. */
  status: StatusService;
  /** Writes the search index behind the events; a search waits for it. */
  searchIndex: SearchIndexer;
}
