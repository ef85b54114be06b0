// Renderer figures (issue 9), in headless Chromium against a real server process:
// time from page start to an interactive room list for a user in 50 rooms; time to switch
// between two rooms of 1,000 messages; JS heap and DOM size after scrolling back 5,000 messages.
//   node bench/renderer.ts [--quick]        (needs the built renderer: npm run build:renderer)
import { startServer } from '../tests/helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../tests/helpers/accounts.ts';
import { assertRendererBuilt, launchBrowser, openGuardedPage } from '../tests/helpers/browser.ts';

const quick = process.argv.includes('--quick');
const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);
const ROOMS = 50;
const SWITCH_MESSAGES = quick ? 200 : 1000;
const SCROLL_MESSAGES = quick ? 1000 : 5000;

assertRendererBuilt();
const server = await startServer();
const browser = await launchBrowser();
try {
  const anna = await registerAndLogin(server, 'anna', 'anna-pw');
  const bob = await registerAndLogin(server, 'bob', 'bob-pw');

  const call = async (who: LoggedIn, method: string, path: string, body: unknown): Promise<Record<string, string>> => {
    const res = await fetch(server.url + path, { method, headers: { Authorization: `Bearer ${who.accessToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status === 429) {
      // Rate-limited like any client: wait as told, then retry (same txn ID, so no duplicates).
      const { retry_after_ms } = (await res.json()) as { retry_after_ms?: number };
      await new Promise((r) => setTimeout(r, retry_after_ms ?? 100));
      return call(who, method, path, body);
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  let txn = 0;
  const fill = async (roomId: string, prefix: string, count: number) => {
    for (let i = 1; i <= count; i++) {
      await call(bob, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${txn++}`, { msgtype: 'm.text', body: `${prefix} message ${i}` });
    }
  };
  const room = async (name: string) => {
    const { room_id } = await call(bob, 'POST', '/_matrix/client/v3/createRoom', { name, preset: 'public_chat' });
    await call(anna, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room_id!)}`, {});
    return room_id!;
  };

  console.log(`setting up ${ROOMS} rooms, 2 × ${SWITCH_MESSAGES} and ${SCROLL_MESSAGES} messages…`);
  const small: string[] = [];
  for (let i = 0; i < ROOMS - 3; i++) small.push(await room(`Room ${i}`));
  const [big1, big2, huge] = [await room('Big one'), await room('Big two'), await room('Huge')];
  await Promise.all([
    ...small.map((r, i) => fill(r, `room ${i}`, 1)),
    fill(big1!, 'big1', SWITCH_MESSAGES),
    fill(big2!, 'big2', SWITCH_MESSAGES),
    fill(huge!, 'huge', SCROLL_MESSAGES),
  ]);

  // A remembered session, as after a restart: the app starts straight into the chat.
  const session = { baseUrl: server.url, userId: anna.userId, accessToken: anna.accessToken, deviceId: anna.deviceId };
  const openApp = async () => {
    const guarded = await openGuardedPage(browser);
    await guarded.context.addInitScript((s) => localStorage.setItem('meowtrix.session', s), JSON.stringify(session));
    return guarded;
  };

  // 1. Start → interactive room list (all 50 rooms shown, clickable).
  const startSamples: number[] = [];
  for (let run = 0; run < (quick ? 2 : 5); run++) {
    const { page, context } = await openApp();
    await page.goto(server.url + '/');
    await page.waitForFunction((n) => document.querySelectorAll('nav .list button.room').length >= n, ROOMS, { polling: 'raf', timeout: 120_000 });
    startSamples.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  report('start to interactive list of 50 rooms', 'ms', startSamples);

  // 2. Switching between two rooms of many messages: click → the newest message on screen.
  const { page, context } = await openApp();
  await page.goto(server.url + '/');
  await page.waitForFunction((n) => document.querySelectorAll('nav .list button.room').length >= n, ROOMS, { timeout: 120_000 });
  const switchTo = (name: string, lastText: string) =>
    page.evaluate(
      ([name, lastText]) =>
        new Promise<number>((resolve) => {
          const button = [...document.querySelectorAll<HTMLButtonElement>('nav .list button.room')].find((b) => b.querySelector('.name')?.textContent === name)!;
          const started = performance.now();
          button.click();
          const check = () => {
            const shown = [...document.querySelectorAll('[role=log] article .text')].some((el) => el.textContent === lastText);
            if (shown) resolve(performance.now() - started);
            else requestAnimationFrame(check);
          };
          check();
        }),
      [name, lastText] as const,
    );
  await switchTo('Big one', `big1 message ${SWITCH_MESSAGES}`);
  await switchTo('Big two', `big2 message ${SWITCH_MESSAGES}`);
  const switchSamples: number[] = [];
  for (let i = 0; i < 10; i++) {
    switchSamples.push(await switchTo(i % 2 ? 'Big two' : 'Big one', i % 2 ? `big2 message ${SWITCH_MESSAGES}` : `big1 message ${SWITCH_MESSAGES}`));
  }
  report(`switch between rooms of ${SWITCH_MESSAGES} messages`, 'ms', switchSamples);

  // 3. Scroll back through every message of one room, then measure the tab.
  await switchTo('Huge', `huge message ${SCROLL_MESSAGES}`);
  const scroller = page.getByRole('log');
  const started = Date.now();
  while ((await page.getByText('huge message 1', { exact: true }).count()) === 0) {
    await scroller.evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(20);
    if (Date.now() - started > 600_000) throw new Error('scrollback did not reach the first message in 10 minutes');
  }
  console.log(`scrolled back ${SCROLL_MESSAGES} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  report(`JS heap after scrolling ${SCROLL_MESSAGES} messages`, 'MB', [metric('JSHeapUsedSize') / 1024 / 1024]);
  report(`DOM nodes after scrolling ${SCROLL_MESSAGES} messages`, 'nodes', [metric('Nodes')]);
  await context.close();
} finally {
  await browser.close();
  await server.dispose();
}
