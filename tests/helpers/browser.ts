// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a guard that
// fails the test when any request leaves loopback, and a log of console errors.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const RENDERER_INDEX = path.join(ROOT, 'dist', 'renderer', 'index.html');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** The renderer must be built first (`npm test` does it; alone: `npm run build:renderer`). */
export function assertRendererBuilt(): void {
  if (!fs.existsSync(RENDERER_INDEX)) {
    throw new Error(`${RENDERER_INDEX} is missing: run "npm run build:renderer" before the renderer tests`);
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for URLs that stay on this machine: loopback HTTP(S)/WS, and non-network schemes. */
export function staysOnLoopback(url: string): boolean {
  const u = new URL(url);
  if (['file:', 'data:', 'blob:', 'about:', 'chrome:', 'chrome-extension:', 'devtools:'].includes(u.protocol)) return true;
  return LOOPBACK_HOSTS.has(u.hostname) || /^127\./.test(u.hostname);
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Every URL the page tried to reach off loopback (each was aborted). */
  offLoopback: string[];
  /** console.error messages and uncaught page errors (the browser's "Failed to load resource" lines are in httpErrors). */
  consoleErrors: string[];
  /** Every HTTP response with status >= 400, as "STATUS METHOD path". */
  httpErrors: string[];
}

/** A fresh context and page, with requests off loopback aborted and recorded. */
export async function openGuardedPage(
  browser: Browser,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<GuardedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1200, height: 800 },
    serviceWorkers: 'block',
  });
  const offLoopback: string[] = [];
  const consoleErrors: string[] = [];
  const httpErrors: string[] = [];
  await context.route('**', (route) => {
    const url = route.request().url();
    if (staysOnLoopback(url)) return route.continue();
    offLoopback.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (staysOnLoopback(ws.url())) return ws.connectToServer();
    offLoopback.push(ws.url());
    return ws.close();
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource:')) consoleErrors.push(msg.text());
  });
  page.on('response', (res) => {
    if (res.status() >= 400) httpErrors.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  return { context, page, offLoopback, consoleErrors, httpErrors };
}

/** Saves a PNG under test-artifacts/ (gitignored) and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** expect.poll with room for a loaded machine: the UI is waited for, never timed. */
export function eventually<T>(fn: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) {
  return expect.poll(fn, { timeout: 20_000, interval: 100, ...options });
}
