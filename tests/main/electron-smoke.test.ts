// The desktop app launched for real: the window shows the renderer, the preload bridge answers, the
// page has no Node, "Host server" toggled over IPC starts a homeserver in a utility process (not a
// child of Node's fork) whose /health answers and stops it again, and quitting stops the server with
// a final snapshot. Needs the Electron runtime binary; skipped with the reason when it is absent.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { ROOT, tempDataDir } from '../helpers/server.ts';
import { freePort } from '../helpers/host.ts';

/** The Electron binary: $MEOWTRIX_ELECTRON, or the one `npm install` fetched. Never downloads. */
function electronBinary(): string | null {
  if (process.env.MEOWTRIX_ELECTRON) return fs.existsSync(process.env.MEOWTRIX_ELECTRON) ? process.env.MEOWTRIX_ELECTRON : null;
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const bin = path.join(pkg, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(bin) ? bin : null;
}

const BUILT = ['dist/main/main.js', 'dist/main/preload.cjs', 'dist/server/host_entry.js', 'dist/renderer/index.html'].map((p) => path.join(ROOT, p));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Electron app', () => {
  it('opens a sandboxed window with the typed bridge, hosts a server, and stops it on quit', async (ctx) => {
    const bin = electronBinary();
    if (!bin) {
      // Straight to stderr: the shared config silences console output of tests that do not fail.
      process.stderr.write('Electron smoke test skipped: Electron runtime not installed\n');
      ctx.skip('Electron runtime not installed');
      return;
    }
    const missing = BUILT.filter((f) => !fs.existsSync(f));
    if (missing.length) throw new Error(`build first (npm run build): missing ${missing.join(', ')}`);

    const userData = tempDataDir('meowtrix-electron-');
    dirs.push(userData);
    const app = await _electron.launch({ executablePath: bin, args: [ROOT, '--no-sandbox'], cwd: ROOT, env: { ...process.env, MEOWTRIX_USER_DATA: userData } });
    let closed = false;
    try {
      const page = await app.firstWindow();
      await expect.poll(() => page.getByRole('heading', { name: 'Meowtrix' }).first().isVisible(), { timeout: 15_000 }).toBe(true);
      // The window is shown (not started hidden: no --hidden).
      await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible()), { timeout: 10_000 }).toBe(true);
      const info = await page.evaluate(() => (window as any).meowtrix.getAppInfo());
      expect(info.name).toBe('Meowtrix');
      expect(typeof info.electronVersion).toBe('string');
      // Isolation: no Node or Electron internals in the page's world.
      const leaks = await page.evaluate(() => [typeof (window as any).require, typeof (window as any).process, typeof (window as any).ipcRenderer]);
      expect(leaks).toEqual(['undefined', 'undefined', 'undefined']);
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        // getLastWebPreferences is real Electron API but missing from its .d.ts.
        const prefs = (BrowserWindow.getAllWindows()[0]!.webContents as any).getLastWebPreferences();
        return { sandboxed: prefs.sandbox, isolated: prefs.contextIsolation };
      });
      expect(prefs).toEqual({ sandboxed: true, isolated: true });
      // Payloads are validated in main.
      expect(await page.evaluate(() => (window as any).meowtrix.setSettings({ port: 'x' }))).toMatchObject({ ok: false, field: 'port' });
      // Hidden in the tray (as the close button does), a notification click's showWindow brings it back.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.hide());
      await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible())).toBe(false);
      await page.evaluate(() => (window as any).meowtrix.showWindow());
      await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible()), { timeout: 10_000 }).toBe(true);

      const port = await freePort();
      const dataDir = path.join(userData, 'server');
      expect(await page.evaluate((patch) => (window as any).meowtrix.setSettings(patch), { port, bind: 'local', serverName: 'smoke.test', dataDir })).toMatchObject({ ok: true });
      const view = await page.evaluate(() => (window as any).meowtrix.setHosting(true));
      expect(view.status.state).toBe('running');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.text()).toBe('OK');
      // The server runs in a utility process: its pid is neither main's nor a Node fork's child of it.
      const pids = await app.evaluate(({ app: electronApp }) => ({ main: process.pid, utility: electronApp.getAppMetrics().filter((m) => m.type === 'Utility').map((m) => m.pid) }));
      expect(pids.utility).toContain(view.status.pid);
      // Off and on again, live.
      expect((await page.evaluate(() => (window as any).meowtrix.setHosting(false))).status.state).toBe('stopped');
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      expect((await page.evaluate(() => (window as any).meowtrix.setHosting(true))).status.state).toBe('running');
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('OK');
      // Something in the journal, so the quit has a snapshot to write.
      const user = await fetch(`http://127.0.0.1:${port}/_matrix/client/v3/register/available?username=smoke`);
      expect(user.status).toBe(200);

      // Quit as the tray's Quit does: before-quit waits for the server to stop.
      const exited = new Promise<void>((resolve) => app.process().once('exit', () => resolve()));
      await app.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => {});
      await exited;
      closed = true;
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      expect(fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8')).toMatch(/homeserver stopped/);
      expect(fs.readdirSync(dataDir).some((f) => /^snapshot-\d+\.db$/.test(f))).toBe(true);
    } finally {
      if (!closed) await app.close();
    }
  }, 90_000);
});
