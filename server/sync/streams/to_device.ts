// The to_device stream, plus the key counts every response carries (CLIENT-COMPAT rules 2, 3, 10).
// Counts are read here, when the response is built, not when the long-poll began.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import type { ToDeviceService } from '../../e2ee/to_device.ts';
import type { DeviceKeysService } from '../../e2ee/device_keys.ts';
import type { Storage } from '../../storage/types.ts';
import { KeyCountsCache } from '../key_counts_cache.ts';

const MAX_DEVICES = 5_000;

export class ToDeviceStream implements StreamProvider {
  readonly stream = 'to_device' as const;
  private readonly toDevice: ToDeviceService;
  private readonly keyCounts: KeyCountsCache;
  /** Per device ("user\0device"): the position it last acknowledged. */
  private readonly acknowledged = new Map<string, number>();

  constructor(storage: Storage, toDevice: ToDeviceService, keys: DeviceKeysService) {
    this.toDevice = toDevice;
    this.keyCounts = new KeyCountsCache(storage, keys);
  }

  latest(): number {
    return this.toDevice.latest();
  }

  completeSync(req: SyncRequest, res: SyncResponse, to: number): number {
    return this.fill(req, res, 0, to);
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): number {
    // Syncing with `from` acknowledges every message delivered up to it. Once a device has
    // acknowledged up to a position no message can appear at or below it again (new ones are
    // numbered after the stream's latest), so a repeat of that position needs no query: every
    // long-poll but the first after a delivery sends the same to_device position.
    const key = `${req.userId}\u0000${req.deviceId}`;
    if (from > (this.acknowledged.get(key) ?? 0)) {
      this.toDevice.acknowledge(req.userId, req.deviceId, from);
      if (from <= to) {
        if (this.acknowledged.size >= MAX_DEVICES) this.acknowledged.clear();
        this.acknowledged.set(key, from);
      }
    }
    return this.fill(req, res, from, to);
  }

  private fill(req: SyncRequest, res: SyncResponse, from: number, to: number): number {
    const { events, reached } = this.toDevice.pending(req.userId, req.deviceId, from, to);
    res.to_device.events.push(...events);
    const counts = this.keyCounts.get(req.userId, req.deviceId);
    res.device_one_time_keys_count = { ...counts.oneTimeKeyCounts };
    res.device_unused_fallback_key_types = [...counts.unusedFallbackKeyTypes];
    return reached;
  }
}
