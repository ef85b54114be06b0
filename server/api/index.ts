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
import * as keys from './keys.ts';
import * as toDevice from './to_device.ts';
import * as keyBackup from './key_backup.ts';
import * as mediaUpload from './media_upload.ts';
import * as mediaDownload from './media_download.ts';
import * as mediaThumbnail from './media_thumbnail.ts';
import * as mediaConfig from './media_config.ts';
import * as mediaPreview from './media_preview.ts';
import * as adminMedia from './admin_media.ts';
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
// Rooms and sync (issue 5 part 1).
import * as createRoom from './create_room.ts';
import * as membership from './membership.ts';
import * as send from './send.ts';
import * as roomState from './state.ts';
import * as redaction from './redaction.ts';
import * as messages from './messages.ts';
import * as eventContext from './context.ts';
import * as roomEvent from './event.ts';
import * as members from './members.ts';
import * as relations from './relations.ts';
import * as aliases from './aliases.ts';
import * as sync from './sync.ts';
// Directory, search, spaces, push and the rest (issue 8).
import * as userDirectory from './user_directory.ts';
import * as publicRooms from './public_rooms.ts';
import * as hierarchy from './hierarchy.ts';
import * as search from './search.ts';
import * as roomUpgrade from './room_upgrade.ts';
import * as report from './report.ts';
import * as pushers from './pushers.ts';
import * as voip from './voip.ts';
import * as thirdparty from './thirdparty.ts';
import * as openid from './openid.ts';
import * as mutualRooms from './mutual_rooms.ts';
// The desktop host panel's live status (issue 11).
import * as adminStatus from './admin_status.ts';

interface ApiArea {
  register(routes: RouteTable, ctx: ServerContext): void;
}

const AREAS: ApiArea[] = [health, versions, wellKnown, login, logout, account, adminUsers, register, devices, capabilities, profile, adminTokens, adminRegister, keys, toDevice, keyBackup];
// Rooms and sync (issue 5 part 1).
AREAS.push(createRoom, membership, send, roomState, redaction, messages, eventContext, roomEvent, members, relations, aliases, sync);
// Media (issue 7).
AREAS.push(mediaUpload, mediaDownload, mediaThumbnail, mediaConfig, mediaPreview, adminMedia);
// Per-user data (issue 5 part 2).
AREAS.push(filter, accountData, tags, pushRules, receipts, readMarkers, typing, presence, notifications);
// Directory, search, spaces, push and the rest (issue 8).
AREAS.push(userDirectory, publicRooms, hierarchy, search, roomUpgrade, report, pushers, voip, thirdparty, openid, mutualRooms);
AREAS.push(adminStatus);

export function registerAll(routes: RouteTable, ctx: ServerContext): void {
  for (const area of AREAS) area.register(routes, ctx);
}
