// mxc:// URIs and the checks every media path parameter passes before it can name a file.
import { isValidServerName } from '../config.ts';
import { randomString } from '../ids.ts';
import { errors } from '../http/errors.ts';

// Content repository "Security considerations": media IDs are [A-Za-z0-9_-] only, which also
// makes path traversal impossible once this check has passed.
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function isValidMediaId(mediaId: string): boolean {
  return typeof mediaId === 'string' && MEDIA_ID.test(mediaId);
}

export function newMediaId(): string {
  return randomString(24);
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}

/**
 * The media ID named by a `{serverName}/{mediaId}` pair, if it is ours. Express has already
 * percent-decoded the server name, so `archpc%3A8008` and `archpc:8008` arrive alike.
 * Another server's media is "not found": this server does not federate.
 */
export function localMediaId(localServerName: string, serverName: string | undefined, mediaId: string | undefined): string {
  if (!serverName || !isValidServerName(serverName)) throw errors.invalidParam('Invalid server name');
  if (!mediaId || !isValidMediaId(mediaId)) throw errors.invalidParam('Invalid media ID');
  if (serverName.toLowerCase() !== localServerName.toLowerCase()) throw errors.notFound('Media not found');
  return mediaId;
}
