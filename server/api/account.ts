// /account/*: whoami, password change and deactivation (both behind UIA), and the (empty) 3PID list.
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { optBool, reqString } from '../http/validate.ts';
import { checkPassword } from '../accounts/service.ts';

export const PASSWORD_FLOWS = [['m.login.password']];

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/account/whoami'), ({ user }) => ({ user_id: user.userId, device_id: user.deviceId, is_guest: false }));

  routes.post(clientPath('/account/password'), async ({ user, body }) => {
    const newPassword = checkPassword(reqString(body, 'new_password'));
    const logoutDevices = optBool(body, 'logout_devices') ?? true;
    await ctx.uia.authenticate({ action: 'account_password', userId: user.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await ctx.accounts.setPassword(user.userId, newPassword, { logoutDevices, keepDeviceId: user.deviceId });
    return {};
  });

  routes.post(clientPath('/account/deactivate'), async ({ user, body }) => {
    optBool(body, 'erase');
    await ctx.uia.authenticate({ action: 'account_deactivate', userId: user.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await ctx.accounts.deactivate(user.userId);
    return { id_server_unbind_result: 'no-support' };
  });

  // No email or phone numbers on a LAN server; clients (Element) still ask.
  routes.get(clientPath('/account/3pid'), () => ({ threepids: [] }));
}
