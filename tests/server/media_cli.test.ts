// `meowtrix-server media usage|purge`: through the running server's admin socket, and offline.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { patternBytes, uploadBytes } from '../helpers/media.ts';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('media CLI', () => {
  let server: ServerProcess;
  let alice: LoggedIn;
  let bob: LoggedIn;

  beforeAll(async () => {
    server = await startServer();
    alice = await registerAndLogin(server, 'alice');
    bob = await registerAndLogin(server, 'bob');
  });
  afterAll(() => server?.dispose());

  it('reports usage per user while the server runs, and purges old uploads', async () => {
    const old = await uploadBytes(server.url, alice.accessToken, patternBytes(2048));
    await uploadBytes(server.url, alice.accessToken, patternBytes(1024));
    await uploadBytes(server.url, bob.accessToken, patternBytes(4096));

    const usage = cli('media', 'usage', '--data', server.dataDir);
    expect(usage.status, usage.stderr).toBe(0);
    expect(usage.stdout).toContain('@alice:test.local  2 files  3.0 KB');
    expect(usage.stdout).toContain('@bob:test.local  1 file  4.0 KB');
    expect(usage.stdout).toMatch(/Total: 3 files, 7\.0 KB/);

    // Nothing is older than a day yet.
    const none = cli('media', 'purge', '--older-than', '1d', '--data', server.dataDir);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toContain('Deleted 0 uploads');

    await new Promise((r) => setTimeout(r, 20));
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const fresh = await uploadBytes(server.url, bob.accessToken, 'fresh');
    const purge = cli('media', 'purge', '--before', cutoff.toISOString(), '--data', server.dataDir);
    expect(purge.status, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(`Deleted 3 uploads made before ${cutoff.toISOString()} (7.0 KB)`);
    expect((await request(server.url, 'GET', `/_matrix/media/v3/download/test.local/${old.mediaId}`)).status).toBe(404);
    expect((await request(server.url, 'GET', `/_matrix/media/v3/download/test.local/${fresh.mediaId}`)).status).toBe(200);

    const bad = cli('media', 'purge', '--older-than', 'soon', '--data', server.dataDir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--older-than must look like');
  });

  it('works on the data dir directly when no server is running', async () => {
    await server.stop();
    const usage = cli('media', 'usage', '--data', server.dataDir);
    expect(usage.status, usage.stderr).toBe(0);
    expect(usage.stdout).toContain('@bob:test.local  1 file  5 B');
  });
});
