// The one-time key counts and unused fallback key types every sync response carries, kept per
// device: they change only when a device uploads keys or someone claims one, while a chat wakes
// every long-poll for each message (2 queries per response otherwise). Any change to either key
// table drops the whole cache (storage.tableVersion changes as soon as a write changes the table,
// and again when its batch ends), so a response never carries a stale count.
import type { Storage } from '../storage/types.ts';
import type { DeviceKeysService } from '../e2ee/device_keys.ts';

const MAX_DEVICES = 2_000;

export interface KeyCounts {
  oneTimeKeyCounts: Readonly<Record<string, number>>;
  unusedFallbackKeyTypes: readonly string[];
}

export class KeyCountsCache {
  private readonly storage: Storage;
  private readonly keys: DeviceKeysService;
  private readonly devices = new Map<string, KeyCounts>();
  private otkVersion = -1;
  private fallbackVersion = -1;

  constructor(storage: Storage, keys: DeviceKeysService) {
    this.storage = storage;
    this.keys = keys;
  }

  /** Shared, frozen values: copy before changing them. */
  get(userId: string, deviceId: string): KeyCounts {
    const otkVersion = this.storage.tableVersion('e2e_one_time_keys');
    const fallbackVersion = this.storage.tableVersion('e2e_fallback_keys');
    if (otkVersion !== this.otkVersion || fallbackVersion !== this.fallbackVersion) {
      this.devices.clear();
      this.otkVersion = otkVersion;
      this.fallbackVersion = fallbackVersion;
    }
    const key = `${userId}\u0000${deviceId}`;
    let counts = this.devices.get(key);
    if (!counts) {
      counts = Object.freeze({
        oneTimeKeyCounts: Object.freeze(this.keys.oneTimeKeyCounts(userId, deviceId)),
        unusedFallbackKeyTypes: Object.freeze(this.keys.unusedFallbackKeyTypes(userId, deviceId)),
      });
      if (this.devices.size >= MAX_DEVICES) this.devices.clear();
      this.devices.set(key, counts);
    }
    return counts;
  }
}
