// The E2EE services, built together and wired to accounts (devices) and rooms (membership).
import type { Storage } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import type { ChangeSink, DeviceDirectory, MembershipView } from './deps.ts';
import { DeviceKeysService } from './device_keys.ts';
import { DeviceListService } from './device_lists.ts';
import { KeyBackupService } from './key_backup.ts';
import { ToDeviceService } from './to_device.ts';

export interface E2eeServices {
  keys: DeviceKeysService;
  deviceLists: DeviceListService;
  toDevice: ToDeviceService;
  backup: KeyBackupService;
}

export function createE2eeServices(deps: {
  storage: Storage;
  log: Logger;
  devices: DeviceDirectory;
  members: MembershipView;
  changes: ChangeSink;
}): E2eeServices {
  return {
    keys: new DeviceKeysService(deps),
    deviceLists: new DeviceListService(deps.storage, deps.members),
    toDevice: new ToDeviceService(deps),
    backup: new KeyBackupService(deps.storage),
  };
}
