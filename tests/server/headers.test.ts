// Headers and what leaves the server: security headers on the served web client (and the app
// still runs under them in Chromium), no stack traces or paths in error bodies, and logs that
// never carry passwords, tokens or message bodies, even at debug level.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, login, createUser } from '../helpers/accounts.ts';
import { TestUser, enc } from '../helpers/rooms.ts';
import { assertRendererBuilt, launchBrowser, openGuardedPage } from '../helpers/browser.ts';

const PASSWORD = 'Tr0ub4dor-secret-pw';
const NEW_PASSWORD = 'N3w-secret-pw-after-change';
const MESSAGE = 'private message body 5c1d';
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ args: ['--log-level', 'debug'] });
});
afterAll(async () => {
  await server?.dispose();
});

describe('the served web client', () => {
  test('HTML carries CSP with frame-ancestors, X-Frame-Options, Referrer-Policy and nosniff', async () => {
    assertRendererBuilt();
    for (const path of ['/', '/index.html']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toMatch(/script-src 'self'( 'wasm-unsafe-eval')?;/);
      expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  test('the Svelte app still starts under that policy, with no CSP violations', async () => {
    assertRendererBuilt();
    const browser = await launchBrowser();
    try {
      const guarded = await openGuardedPage(browser);
      const violations: string[] = [];
      guarded.page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/.test(msg.text())) violations.push(msg.text());
      });
      await guarded.page.goto(server.url + '/');
      await guarded.page.waitForFunction(() => (document.querySelector('#app')?.children.length ?? 0) > 0, null, { timeout: 20_000 });
      await guarded.page.locator('input').first().waitFor({ timeout: 20_000 });
      expect(violations).toEqual([]);
      expect(guarded.consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
      await guarded.context.close();
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('error bodies', () => {
  test('never carry stack traces or file paths', async () => {
    const user = await registerAndLogin(server, 'errbody');
    const bodies: string[] = [];
    const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers: { Authorization: `Bearer ${user.accessToken}`, ...headers }, agent: false }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        });
        req.on('error', reject);
        req.end(body);
      });
    bodies.push(await raw('POST', '/_matrix/client/v3/createRoom', '{"broken', { 'Content-Type': 'application/json' }));
    bodies.push(await raw('POST', '/_matrix/client/v3/createRoom', '{"initial_state":[{"type":1}],"power_level_content_override":"x"}', { 'Content-Type': 'application/json' }));
    bodies.push(await raw('GET', '/_matrix/client/v3/rooms/%E0%A4%A/messages'));
    bodies.push(await raw('GET', '/_matrix/media/v3/download/test.local/..%2F..%2Fetc%2Fpasswd'));
    bodies.push(await raw('GET', '/_matrix/client/v1/media/download/test.local/..%2Fsnapshot-0000000000000000.db'));
    bodies.push(await raw('GET', '/../../etc/passwd'));
    bodies.push(await raw('PATCH', '/_matrix/client/v3/sync'));
    bodies.push(await raw('GET', `/_matrix/client/v3/sync?filter=${'%7B'.repeat(3)}`));
    bodies.push(await raw('GET', '/_matrix/client/v3/sync', undefined, { 'X-Huge': 'x'.repeat(20_000) }));
    bodies.push(await raw('PUT', '/_matrix/client/v3/rooms/!x:test.local/send/m.room.message/1', 'x'.repeat(5 * 1024 * 1024), { 'Content-Type': 'application/json' }));
    for (const text of bodies) {
      const [status, ...rest] = text.split(' ');
      expect(Number(status), text.slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(Number(status), text.slice(0, 200)).toBeLessThan(500);
      const body = JSON.parse(rest.join(' '));
      expect(typeof body.errcode).toBe('string');
      expect(text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|\.js\b|node_modules|\/home\/|\/tmp\/|root:x:0/);
      expect(text).not.toContain(server.dataDir);
    }
  });
});

describe('logs', () => {
  test('contain no passwords, access tokens or message bodies, even at debug level', async () => {
    await createUser(server, 'logger', PASSWORD);
    const session = await login(server, 'logger', PASSWORD);
    // A failed login and a failed password change log their attempts, not their passwords.
    await request(server.url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'logger' }, password: `${PASSWORD}-wrong` } });
    const u = new TestUser(server, session);
    const roomId = await u.createRoom({ name: 'log test' });
    await u.text(roomId, MESSAGE);
    await u.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/bad`, { msgtype: 'm.text', body: `${MESSAGE} 2`, n: 1.5 });
    const challenge = await u.call('POST', '/account/password', { new_password: NEW_PASSWORD });
    await u.call('POST', '/account/password', { new_password: NEW_PASSWORD, auth: { type: 'm.login.password', session: challenge.body.session, identifier: { type: 'm.id.user', user: 'logger' }, password: PASSWORD } });
    const again = await login(server, 'logger', NEW_PASSWORD);
    await request(server.url, 'GET', `/_matrix/client/v3/sync?access_token=${again.accessToken}`);
    await u.call('GET', '/sync?timeout=0');
    await new Promise((r) => setTimeout(r, 300));
    const log = server.output();
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, NEW_PASSWORD, session.accessToken, again.accessToken, MESSAGE]) {
      expect(log.includes(secret), `the log contains "${secret.slice(0, 12)}…"`).toBe(false);
    }
  });
});
