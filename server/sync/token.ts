// Sync tokens: "s" followed by every stream's position, in STREAMS order, joined by "_".
// An older token (fewer positions) decodes with the missing streams at 0.
import type { StreamName, StreamPositions } from './types.ts';
import { errors } from '../http/errors.ts';

export const STREAMS: readonly StreamName[] = ['events', 'account_data', 'receipts', 'typing', 'presence', 'to_device', 'device_lists'];

export function encodeSyncToken(positions: StreamPositions): string {
  return 's' + STREAMS.map((s) => positions[s]).join('_');
}

export function decodeSyncToken(token: string): StreamPositions {
  const m = /^s(\d+(?:_\d+)*)$/.exec(token);
  if (!m) throw errors.invalidParam(`Malformed sync token "${token.slice(0, 64)}"`);
  const parts = m[1]!.split('_').map(Number);
  if (parts.length > STREAMS.length || parts.some((n) => !Number.isSafeInteger(n))) {
    throw errors.invalidParam(`Malformed sync token "${token.slice(0, 64)}"`);
  }
  return Object.fromEntries(STREAMS.map((s, i) => [s, parts[i] ?? 0])) as StreamPositions;
}
