// What every API module is given: the config and the services it may call.
// Later features add their services here (storage, accounts, rooms, sync, media, ...).
import type { HomeserverConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Storage } from './storage/types.ts';
import type { Clock } from './clock.ts';

export interface ServerContext {
  config: HomeserverConfig;
  log: Logger;
  storage: Storage;
  clock: Clock;
}
