// GET /capabilities (spec "Capabilities negotiation"): what this server lets clients change.
import { clientPath, type RouteTable } from '../http/routes.ts';

export function register(routes: RouteTable): void {
  routes.get(clientPath('/capabilities'), () => ({
    capabilities: {
      'm.change_password': { enabled: true },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
      'm.room_versions': { default: '10', available: { '10': 'stable', '11': 'stable' } },
    },
  }));
}
