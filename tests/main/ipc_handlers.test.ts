// The main-side IPC handlers against a real hosted server (forked host entry): every payload is
// validated in main, and hosting on/off, the host admin and backups work through them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { desktopHarness, type DesktopHarness } from '../helpers/host.ts';
import { IpcPayloadError } from '../../main/ipc_handlers.ts';
import { request } from '../helpers/server.ts';
import { probeHealth } from '../../main/hosting/supervisor.ts';

let h: DesktopHarness;
beforeAll(async () => {
  h = await desktopHarness();
});
afterAll(async () => {
  await h?.dispose();
});

describe('IPC handlers', () => {
  it('refuses wrong argument counts and types before doing anything', async () => {
    await expect(h.handlers['settings:get'](['extra'])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['hosting:set'](['true'])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['hosting:set']([])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['settings:set']([])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['app:set-unread']([-1])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['app:set-unread']([1.5])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['app:set-unread']([{}])).rejects.toBeInstanceOf(IpcPayloadError);
    expect(h.supervisor.status.state).toBe('stopped');
  });

  it('settings:set answers a bad value with the field and keeps the stored settings', async () => {
    const before = fs.readFileSync(h.settings.file, 'utf8');
    expect(await h.handlers['settings:set']([{ port: 'lots' }])).toEqual({ ok: false, field: 'port', error: expect.stringContaining('port') });
    expect(await h.handlers['settings:set']([{ bind: 'internet' }])).toMatchObject({ ok: false, field: 'bind' });
    expect(await h.handlers['settings:set'](['hosting'])).toMatchObject({ ok: false, field: 'settings' });
    expect(fs.readFileSync(h.settings.file, 'utf8')).toBe(before);
  });

  it('settings:set applies start at login through the autostart writer', async () => {
    expect(await h.handlers['settings:set']([{ startAtLogin: true }])).toMatchObject({ ok: true, settings: { startAtLogin: true } });
    expect(await h.handlers['settings:set']([{ startAtLogin: false }])).toMatchObject({ ok: true, settings: { startAtLogin: false } });
    expect(h.autostartCalls).toEqual([true, false]);
  });

  it('hosting on → server answers; admin created → panel session; off → server gone', async () => {
    expect(await h.handlers['hosting:admin-session']([])).toBeNull();
    const on = await h.handlers['hosting:set']([true]);
    expect(on.status.state).toBe('running');
    expect(on.lanUrls).toEqual([]); // bound to this PC only
    const url = on.status.url!;
    expect(await probeHealth(url)).toBe(true);
    expect((await h.handlers['settings:get']([])).hosting).toBe(true);

    expect(await h.handlers['hosting:create-admin'](['Bad Name', 'pw'])).toMatchObject({ ok: false });
    expect(await h.handlers['hosting:create-admin'](['anna', ''])).toMatchObject({ ok: false });
    const created = await h.handlers['hosting:create-admin'](['anna', 'correct horse battery']);
    if (!created.ok) throw new Error(created.error);
    expect(created.session).toMatchObject({ baseUrl: url, userId: '@anna:host.test' });
    // The window's session is a real login.
    expect((await request(url, 'GET', '/_matrix/client/v3/account/whoami', { token: created.session.accessToken })).body.user_id).toBe('@anna:host.test');
    // A second admin with the same name is refused by the server.
    expect(await h.handlers['hosting:create-admin'](['anna', 'x'])).toMatchObject({ ok: false });

    const panel = await h.handlers['hosting:admin-session']([]);
    expect(panel).toMatchObject({ baseUrl: url, userId: '@anna:host.test' });
    expect(panel!.deviceId).not.toBe(created.session.deviceId);
    const users = await request(url, 'GET', '/_synapse/admin/v2/users', { token: panel!.accessToken });
    expect(users.status).toBe(200);
    expect(fs.statSync(path.join(h.userData, 'host-admin.json')).mode & 0o077).toBe(0);
    expect((await h.handlers['hosting:get']([])).hasAdmin).toBe(true);

    // Accounts exist now: the server name is fixed.
    expect(await h.handlers['settings:set']([{ serverName: 'renamed' }])).toMatchObject({ ok: false, field: 'serverName' });

    // Bound to this PC only: no phone addresses to probe; firewalls as found on this machine.
    const reach = await h.handlers['hosting:reachability']([]);
    expect(reach.addresses).toEqual([]);
    for (const f of reach.firewalls) expect(f.command).toContain(String(h.port));

    const stats = await h.handlers['hosting:stats']([]);
    expect(stats.users).toBe(1);
    expect(stats.databaseBytes).toBeGreaterThan(0);
    expect(stats.mediaBytes).toBe(0);

    // Backup now: to the file the (test's) dialog chose; cancelled when none chosen.
    expect(await h.handlers['hosting:backup']([])).toEqual({ ok: false, cancelled: true });
    h.backupTarget.file = path.join(h.userData, 'backup.mxbak');
    const backup = await h.handlers['hosting:backup']([]);
    expect(backup).toMatchObject({ ok: true, file: h.backupTarget.file });
    expect(fs.statSync(h.backupTarget.file).size).toBe((backup as { bytes: number }).bytes);

    // Restore: an account made after the backup is gone, the server runs again on the restored data.
    const later = await request(url, 'PUT', '/_synapse/admin/v2/users/@later:host.test', { token: panel!.accessToken, body: { password: 'later-password' } });
    expect(later.status).toBe(201);
    expect(await h.handlers['hosting:restore']([])).toEqual({ ok: false, cancelled: true });
    h.restoreSource.file = h.backupTarget.file;
    expect(await h.handlers['hosting:restore']([])).toEqual({ ok: true, file: h.backupTarget.file });
    expect(h.supervisor.status.state).toBe('running');
    const afterRestore = await request(url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'later' }, password: 'later-password' } });
    expect(afterRestore.status).toBe(403);
    expect((await request(url, 'GET', '/_matrix/client/v3/account/whoami', { token: created.session.accessToken })).body.user_id).toBe('@anna:host.test');
    expect((await h.handlers['hosting:stats']([])).users).toBe(1);

    // A write after the restore puts a record in the journal; stopping then snapshots it.
    expect((await request(url, 'PUT', '/_synapse/admin/v2/users/@after:host.test', { token: panel!.accessToken, body: { password: 'after-password' } })).status).toBe(201);
    const beforeStop = Date.now();
    const off = await h.handlers['hosting:set']([false]);
    expect(off.status.state).toBe('stopped');
    // A clean stop leaves a final snapshot.
    expect((await h.handlers['hosting:stats']([])).lastSnapshotAt).toBeGreaterThanOrEqual(beforeStop - 1000);
    expect(await probeHealth(url)).toBe(false);
    expect(await h.handlers['hosting:admin-session']([])).toBeNull();
  }, 60_000);

  it('a port change while hosting restarts the server on the new port', async () => {
    await h.handlers['hosting:set']([true]);
    const oldUrl = h.supervisor.status.url!;
    const { freePort } = await import('../helpers/host.ts');
    const port = await freePort();
    expect(await h.handlers['settings:set']([{ port }])).toMatchObject({ ok: true });
    const view = await h.handlers['hosting:get']([]);
    expect(view.status).toMatchObject({ state: 'running', port });
    expect(await probeHealth(view.status.url!)).toBe(true);
    expect(await probeHealth(oldUrl)).toBe(false);
    await h.handlers['hosting:set']([false]);
  }, 60_000);
});
