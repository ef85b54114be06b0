// Device management (spec "Device management"): list, show, rename; deleting one needs UIA
// and revokes its access tokens.
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { accountErrors } from '../accounts/errors.ts';
import type { DeviceRow } from '../storage/repos/devices.ts';
import { checkDisplayName } from '../accounts/fields.ts';
import { optString, stringList } from '../http/validate.ts';
import { PASSWORD_FLOWS } from './account.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const { accounts } = ctx;

  const view = (d: DeviceRow) => {
    const seen = accounts.lastSeenOf(d.user_id, d.device_id);
    return {
      device_id: d.device_id,
      display_name: d.display_name ?? undefined,
      last_seen_ip: seen?.ip,
      last_seen_ts: seen?.ts,
    };
  };

  routes.get(clientPath('/devices'), ({ user }) => ({ devices: accounts.listDevices(user.userId).map(view) }));

  routes.get(clientPath('/devices/:deviceId'), ({ user, params }) => {
    const device = accounts.getDevice(user.userId, params.deviceId!);
    if (!device) throw accountErrors.deviceNotFound();
    return view(device);
  });

  routes.put(clientPath('/devices/:deviceId'), async ({ user, params, body }) => {
    const displayName = checkDisplayName(optString(body, 'display_name'), 'display_name');
    // Spec: an unknown device is 404 (no device creation here).
    if (!accounts.getDevice(user.userId, params.deviceId!)) throw accountErrors.deviceNotFound();
    if (displayName !== undefined) await accounts.setDeviceDisplayName(user.userId, params.deviceId!, displayName);
    return {};
  });

  routes.delete(clientPath('/devices/:deviceId'), async ({ user, params, body }) => {
    if (!accounts.getDevice(user.userId, params.deviceId!)) throw accountErrors.deviceNotFound();
    await ctx.uia.authenticate({ action: `delete_device:${params.deviceId}`, userId: user.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await accounts.deleteDevices(user.userId, [params.deviceId!]);
    return {};
  });

  routes.post(clientPath('/delete_devices'), async ({ user, body }) => {
    const deviceIds = stringList(body, 'devices');
    await ctx.uia.authenticate({ action: `delete_devices:${[...deviceIds].sort().join(',')}`, userId: user.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await accounts.deleteDevices(user.userId, deviceIds);
    return {};
  });
}
