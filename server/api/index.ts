// Every spec area's routes, in one list. Adding an area adds one line here.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import * as health from './health.ts';
import * as versions from './versions.ts';
import * as wellKnown from './well_known.ts';
import * as login from './login.ts';
import * as logout from './logout.ts';
import * as account from './account.ts';
import * as adminUsers from './admin_users.ts';
import * as register from './register.ts';
import * as devices from './devices.ts';
import * as capabilities from './capabilities.ts';
import * as profile from './profile.ts';
import * as adminTokens from './admin_tokens.ts';
import * as adminRegister from './admin_register.ts';
// Per-user data (issue 5 part 2).
import * as filter from './filter.ts';
import * as accountData from './account_data.ts';
import * as tags from './tags.ts';
import * as pushRules from './push_rules.ts';
import * as receipts from './receipts.ts';
import * as readMarkers from './read_markers.ts';
import * as typing from './typing.ts';
import * as presence from './presence.ts';
import * as notifications from './notifications.ts';

interface ApiArea {
  register(routes: RouteTable, ctx: ServerContext): void;
}

const AREAS: ApiArea[] = [health, versions, wellKnown, login, logout, account, adminUsers, register, devices, capabilities, profile, adminTokens, adminRegister];
// Per-user data (issue 5 part 2).
AREAS.push(filter, accountData, tags, pushRules, receipts, readMarkers, typing, presence, notifications);

export function registerAll(routes: RouteTable, ctx: ServerContext): void {
  for (const area of AREAS) area.register(routes, ctx);
}
