// The one-time key counts and unused fallback key types every sync response carries, kept per
// device: they change only when a device uploads keys or someone claims one, while a chat wakes
// every long-poll for each message (2 queries per response otherwise). Any change to either key
// table drops the whole cache (storage.tableVersion changes as soon as a write changes the table,
// and again when its batch ends), so a response never carries a stale count.
import type { Storage } from '../storage/types.ts';
import type { DeviceKeysService } from '../e2ee/device_keys.ts';
import { TableCache } from '../storage/table_cache.ts';

const MAX_DEVICES = 2_000;

export interface KeyCounts {
  oneTimeKeyCounts: Readonly<Record<string, number>>;
  unusedFallbackKeyTypes: readonly string[];
}

export class KeyCountsCache {
  private readonly keys: DeviceKeysService;
  private readonly devices: TableCache<KeyCounts>;

  constructor(storage: Storage, keys: DeviceKeysService) {
    this.keys = keys;
    this.devices = new TableCache(storage, ['e2e_one_time_keys', 'e2e_fallback_keys'], MAX_DEVICES);
  }

  /** Shared, frozen values: copy before changing them. */
  get(userId: string, deviceId: string): KeyCounts {
    return this.devices.getOrLoad(`${userId}\u0000${deviceId}`, () => Object.freeze({
      oneTimeKeyCounts: Object.freeze(this.keys.oneTimeKeyCounts(userId, deviceId)),
      unusedFallbackKeyTypes: Object.freeze(this.keys.unusedFallbackKeyTypes(userId, deviceId)),
    }));
  }
}
