// The reachability self-check: /health probes on real sockets, ufw's state file, and the commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { checkReachability, detectFirewalls, openPortCommand, ufwEnabled } from '../../main/hosting/reachability.ts';
import { startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { freePort } from '../helpers/host.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe('reachability', () => {
  it('marks an address whose server answers /health, and one where nothing listens', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await checkReachability([server.url, closed], async () => ['ufw']);
    expect(result).toEqual({ addresses: [{ url: server.url, reachable: true }, { url: closed, reachable: false }], firewalls: ['ufw'] });
  });

  it('reads ufw on/off from its state file', async () => {
    expect(ufwEnabled('# comment\nENABLED=yes\nLOGLEVEL=low\n')).toBe(true);
    expect(ufwEnabled('ENABLED=no\n')).toBe(false);
    expect(ufwEnabled('# ENABLED=yes\n')).toBe(false);
    const dir = tempDataDir('meowtrix-ufw-');
    try {
      const conf = path.join(dir, 'ufw.conf');
      fs.writeFileSync(conf, 'ENABLED=yes\n');
      expect(await detectFirewalls(conf)).toContain('ufw');
      fs.writeFileSync(conf, 'ENABLED=no\n');
      expect(await detectFirewalls(conf)).not.toContain('ufw');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the exact command for each firewall', () => {
    expect(openPortCommand('ufw', 8008)).toBe('sudo ufw allow 8008/tcp');
    expect(openPortCommand('firewalld', 8008)).toBe('sudo firewall-cmd --permanent --add-port=8008/tcp && sudo firewall-cmd --reload');
  });
});
