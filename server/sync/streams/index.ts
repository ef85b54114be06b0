// Every sync stream provider, in the order they run. A plain list: adding a stream adds one line.
// The events provider runs first: it fills req.joinedRoomIds / newlyJoinedRoomIds for the others.
// Providers after it may add to rooms.join[roomId] for rooms in req.joinedRoomIds (ephemeral,
// account_data, unread_notifications); use emptyJoinedRoom() when the room has no section yet.
import type { ServerContext } from '../../context.ts';
import type { StreamProvider } from '../types.ts';
import { EventsStream } from './events.ts';
import { ToDeviceStream } from './to_device.ts';
import { DeviceListsStream } from './device_lists.ts';

/** Built before the SyncService exists, so from every service but it. */
export function createStreamProviders(ctx: Omit<ServerContext, 'sync'>): StreamProvider[] {
  return [
    new EventsStream(ctx.storage, ctx.clock, ctx.rooms),
    ...ctx.userData.streams(),
    new ToDeviceStream(ctx.storage, ctx.e2ee.toDevice, ctx.e2ee.keys),
    new DeviceListsStream(ctx.storage, ctx.e2ee.deviceLists, ctx.rooms),
  ];
}
