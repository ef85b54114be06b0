// The built renderer, served by a real homeserver process, renders its first screen in headless Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { assertRendererBuilt, eventually, launchBrowser, openGuardedPage, saveScreenshot } from '../helpers/browser.ts';

let server: ServerProcess;
let browser: Browser;
beforeAll(async () => {
  assertRendererBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('first screen', () => {
  it('shows the app name, logs no errors and never leaves loopback', async () => {
    const { page, context, offLoopback, consoleErrors } = await openGuardedPage(browser);
    const response = await page.goto(server.url + '/');
    expect(response?.status()).toBe(200);
    await eventually(() => page.getByRole('heading', { name: 'Meowtrix' }).isVisible()).toBe(true);
    expect(await page.title()).toContain('Meowtrix');
    await saveScreenshot(page, 'first-screen');
    await context.close();
    expect(consoleErrors).toEqual([]);
    expect(offLoopback).toEqual([]);
  });

  it('speaks Chinese when the browser prefers zh-CN', async () => {
    const { page, context, offLoopback, consoleErrors } = await openGuardedPage(browser, { locale: 'zh-CN' });
    await page.goto(server.url + '/');
    await eventually(() => page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await context.close();
    expect(consoleErrors).toEqual([]);
    expect(offLoopback).toEqual([]);
  });

  it('the loopback guard catches and blocks a request to another host', async () => {
    const { page, context, offLoopback } = await openGuardedPage(browser);
    await page.goto(server.url + '/');
    // 192.0.2.0/24 is TEST-NET-1: never routed; the guard aborts it before it leaves anyway.
    const failed = await page.evaluate(() => fetch('http://192.0.2.1/probe').then(() => false, () => true));
    await context.close();
    expect(failed).toBe(true);
    expect(offLoopback).toEqual(['http://192.0.2.1/probe']);
  });
});
