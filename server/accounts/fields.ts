// Typed reads of request-body fields for the account endpoints: a wrong type is a 400 naming the field.
import { errors } from '../http/errors.ts';

type Body = Record<string, unknown>;

export function optString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.badJson(`"${field}" must be a string`);
  return v;
}

export function reqString(body: Body, field: string): string {
  const v = optString(body, field);
  if (v === undefined) throw errors.missingParam(`"${field}" is required`);
  return v;
}

export function optBool(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw errors.badJson(`"${field}" must be true or false`);
  return v;
}

export function optInt(body: Body, field: string): number | null | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw errors.badJson(`"${field}" must be a non-negative integer`);
  return v;
}

export function optObject(body: Body, field: string): Body | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw errors.badJson(`"${field}" must be an object`);
  return v as Body;
}

export function stringList(body: Body, field: string): string[] {
  const v = body[field];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw errors.badJson(`"${field}" must be an array of strings`);
  return v as string[];
}

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
