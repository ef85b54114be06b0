// Which addresses a URL preview may contact: public unicast only. Loopback, the LAN, link-local,
// carrier NAT, multicast, documentation and other special ranges are refused, so a preview
// request can never be used to probe or attack this PC or the household's network (SSRF).
import net from 'node:net';
import { Resolver } from 'node:dns/promises';

const SPECIAL = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  SPECIAL.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['2001::', 23], // Teredo, benchmarking, ORCHID and other IETF special purpose blocks
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address that may be private
] as const) {
  SPECIAL.addSubnet(address, prefix, 'ipv6');
}
const GLOBAL_UNICAST_V6 = new net.BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** True for addresses a preview may connect to. IPv4-mapped IPv6 is judged as the IPv4 it carries. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !SPECIAL.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]!);
  return GLOBAL_UNICAST_V6.check(address, 'ipv6') && !SPECIAL.check(address, 'ipv6');
}

// Names that can only mean this machine or nothing at all (RFC 6761, 6762, 8375).
const LOOPBACK_NAMES = /(^|\.)localhost\.?$/i;
const NEVER_RESOLVED = /(^|\.)(invalid|test|example|local|internal|lan|home\.arpa)\.?$/i;

export type HostCheck =
  | { kind: 'ok'; address: string; family: 4 | 6 }
  | { kind: 'blocked' }
  | { kind: 'unreachable'; reason: string };

/** Resolves a URL host once and vets every address; the caller connects to the address returned. */
export async function checkHost(hostname: string, timeoutMs: number): Promise<HostCheck> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return isPublicAddress(host) ? { kind: 'ok', address: host, family: net.isIP(host) as 4 | 6 } : { kind: 'blocked' };
  if (LOOPBACK_NAMES.test(host)) return { kind: 'blocked' };
  if (NEVER_RESOLVED.test(host) || !host.includes('.')) return { kind: 'unreachable', reason: 'not a public host name' };
  // c-ares, not getaddrinfo: an offline LAN makes lookups hang, and getaddrinfo would hold one of
  // libuv's four pool threads (which file I/O and thumbnails need) for as long as that lasts.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  const [v4, v6] = await Promise.all([
    resolver.resolve4(host).catch(() => [] as string[]),
    resolver.resolve6(host).catch(() => [] as string[]),
  ]);
  const addresses = [...v4, ...v6];
  if (addresses.length === 0) return { kind: 'unreachable', reason: 'no address' };
  // One private answer is enough to refuse: DNS rebinding tricks mix public and private records.
  if (addresses.some((a) => !isPublicAddress(a))) return { kind: 'blocked' };
  const first = addresses[0]!;
  return { kind: 'ok', address: first, family: net.isIP(first) as 4 | 6 };
}
