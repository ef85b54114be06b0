// Account-specific field checks; the generic typed reads live in server/http/validate.ts.
import { errors } from '../http/errors.ts';

/** Device IDs are opaque, but a sane length keeps storage and logs tidy. */
export function checkDeviceId(deviceId: string): string {
  if (deviceId.length === 0 || deviceId.length > 255) throw errors.invalidParam('device_id must be 1-255 characters');
  return deviceId;
}

/** Display names and similar free text: bounded so one client cannot bloat everyone's sync. */
export function checkDisplayName(name: string | undefined, field: string, max = 256): string | undefined {
  if (name !== undefined && name.length > max) throw errors.invalidParam(`"${field}" is longer than ${max} characters`);
  return name;
}

/** Avatar URLs are mxc:// URIs, bounded in length. */
export function checkAvatarUrl(url: string | undefined, field = 'avatar_url'): string | undefined {
  if (url === undefined || url === '') return url;
  if (url.length > 1024 || !/^mxc:\/\/[^/]+\/[^/]+$/.test(url)) throw errors.invalidParam(`"${field}" must be an mxc:// URI`);
  return url;
}
