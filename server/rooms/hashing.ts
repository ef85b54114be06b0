// Content hashes, reference hashes (event IDs, room v4+ format) and signatures of events
// (server-server spec: "Calculating the content hash/reference hash", appendix "Signing Details").
// node:crypto's one-shot hash(): no Hash object per digest (three digests per stored event).
import { hash } from 'node:crypto';
import type { JsonObject } from '../http/body.ts';
import { canonicalJson } from './canonical_json.ts';
import { redactEvent } from './redaction.ts';
import type { RoomVersion } from './versions.ts';
import type { SigningKey } from './signing_key.ts';

/** sha256 over the event without unsigned, signatures and hashes: unpadded base64. */
export function contentHash(event: JsonObject): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event;
  return hash('sha256', canonicalJson(rest), 'base64').replace(/=+$/, '');
}

/** The reference hash of the redacted event, as an event ID: "$" + unpadded base64url. */
export function referenceEventId(event: JsonObject, version: RoomVersion): string {
  const { unsigned: _u, signatures: _s, ...redacted } = redactEvent(event, version);
  delete redacted.event_id;
  return '$' + hash('sha256', canonicalJson(redacted), 'base64url');
}

/** Adds hashes.sha256 and this server's signature over the redacted form; returns the event ID. */
export function hashAndSign(event: JsonObject, version: RoomVersion, serverName: string, key: SigningKey): string {
  event.hashes = { sha256: contentHash(event) };
  const { unsigned: _u, signatures: _s, ...redacted } = redactEvent(event, version);
  const bytes = canonicalJson(redacted);
  event.signatures = { [serverName]: { [key.keyId]: key.sign(bytes) } };
  // v4+ events carry no event_id, so the signed bytes are exactly what the reference hash covers.
  if ('event_id' in redacted) return referenceEventId(event, version);
  return '$' + hash('sha256', bytes, 'base64url');
}
