// "Can phones reach it?": probe /health on every LAN address, and find which firewall (ufw or
// firewalld) is on, so the panel shows the one command that opens the port.
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { probeHealth } from './supervisor.ts';

export type FirewallKind = 'ufw' | 'firewalld';

export interface Reachability {
  addresses: { url: string; reachable: boolean }[];
  /** Active firewalls found on this PC (they may block phones even when this PC reaches itself). */
  firewalls: FirewallKind[];
}

/** ufw keeps its on/off state in a world-readable file (ufw status itself needs root). */
export function ufwEnabled(confText: string): boolean {
  return /^\s*ENABLED\s*=\s*yes\s*$/im.test(confText);
}

function firewalldRunning(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('firewall-cmd', ['--state'], { timeout: 3000 }, (err, stdout) => resolve(!err && stdout.trim() === 'running'));
  });
}

export async function detectFirewalls(ufwConf = '/etc/ufw/ufw.conf'): Promise<FirewallKind[]> {
  const found: FirewallKind[] = [];
  try {
    if (ufwEnabled(fs.readFileSync(ufwConf, 'utf8'))) found.push('ufw');
  } catch {
    // ufw not installed
  }
  if (await firewalldRunning()) found.push('firewalld');
  return found;
}

export async function checkReachability(urls: string[], firewalls: () => Promise<FirewallKind[]> = () => detectFirewalls()): Promise<Reachability> {
  const [addresses, found] = await Promise.all([Promise.all(urls.map(async (url) => ({ url, reachable: await probeHealth(url) }))), firewalls()]);
  return { addresses, firewalls: found };
}

/** The exact command that opens the port for that firewall. */
export function openPortCommand(kind: FirewallKind, port: number): string {
  return kind === 'ufw' ? `sudo ufw allow ${port}/tcp` : `sudo firewall-cmd --permanent --add-port=${port}/tcp && sudo firewall-cmd --reload`;
}
