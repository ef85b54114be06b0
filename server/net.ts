// Which addresses phones on the LAN can reach this server at.
import os from 'node:os';

export function isLoopback(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || bind.startsWith('127.');
}

/** The URLs a phone on the LAN can type into FluffyChat: one per non-internal IPv4 address. */
export function lanUrls(port: number, bind: string): string[] {
  if (bind !== '0.0.0.0' && bind !== '::') return [`http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`];
  const urls: string[] = [];
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) urls.push(`http://${a.address}:${port}`);
    }
  }
  return urls;
}
