// Sync tokens: "s" followed by every stream's position, in STREAMS order, joined by "_".
// An older token (fewer positions) decodes with the missing streams at 0.
// Every /sync decodes one and encodes one (a 50-poll fan-out: 100 per message), so both are
// written out by hand rather than with a regex, split and Object.fromEntries. A new stream is
// added to STREAMS and to both functions below (the StreamPositions type points at decode).
import type { StreamName, StreamPositions } from './types.ts';
import { errors } from '../http/errors.ts';

export const STREAMS: readonly StreamName[] = ['events', 'account_data', 'receipts', 'typing', 'presence', 'to_device', 'device_lists'];

export function encodeSyncToken(p: StreamPositions): string {
  return `s${p.events}_${p.account_data}_${p.receipts}_${p.typing}_${p.presence}_${p.to_device}_${p.device_lists}`;
}

export function decodeSyncToken(token: string): StreamPositions {
  const parts: number[] = [];
  let value = 0;
  let digits = 0; // of the current position
  if (token.charCodeAt(0) !== 0x73) return malformed(token); // 's'
  for (let i = 1; i <= token.length; i++) {
    const c = i < token.length ? token.charCodeAt(i) : 0x5f; // the end closes the last position like a '_'
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits++;
      // Past 2^53 - 1 the sum is no longer exact, but it never comes back below: reject it.
      if (value > Number.MAX_SAFE_INTEGER) return malformed(token);
    } else if (c === 0x5f && digits > 0 && parts.length < STREAMS.length) {
      parts.push(value);
      value = 0;
      digits = 0;
    } else {
      return malformed(token);
    }
  }
  return {
    events: parts[0]!,
    account_data: parts[1] ?? 0,
    receipts: parts[2] ?? 0,
    typing: parts[3] ?? 0,
    presence: parts[4] ?? 0,
    to_device: parts[5] ?? 0,
    device_lists: parts[6] ?? 0,
  };
}

function malformed(token: string): never {
  throw errors.invalidParam(`Malformed sync token "${token.slice(0, 64)}"`);
}
