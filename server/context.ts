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
}
