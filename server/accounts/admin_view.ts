// Users and devices as the Synapse admin API shows them (synapse-admin reads these fields).
import type { UserRow } from '../storage/repos/users.ts';
import type { DeviceRow } from '../storage/repos/devices.ts';
import type { AccountService } from './service.ts';

export function adminUserSummary(row: UserRow): Record<string, unknown> {
  return {
    name: row.user_id,
    displayname: row.displayname,
    avatar_url: row.avatar_url,
    admin: row.is_admin === 1,
    deactivated: row.deactivated === 1,
    is_guest: false,
    user_type: null,
    shadow_banned: false,
    locked: false,
    erased: false,
    creation_ts: row.created_ts,
  };
}

export function adminUserDetails(row: UserRow): Record<string, unknown> {
  return {
    ...adminUserSummary(row),
    threepids: [],
    external_ids: [],
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
  };
}

export function adminDevice(accounts: AccountService, row: DeviceRow): Record<string, unknown> {
  const seen = accounts.lastSeenOf(row.user_id, row.device_id);
  return {
    device_id: row.device_id,
    display_name: row.display_name,
    last_seen_ip: seen?.ip ?? null,
    last_seen_ts: seen?.ts ?? null,
    last_seen_user_agent: seen?.userAgent ?? null,
    user_id: row.user_id,
  };
}
