// URL previews (OpenGraph). The household LAN is usually offline, so every step is short:
// 2 s to resolve, 4 s for the whole fetch, 512 KB of HTML at most; an unreachable site gets an
// empty preview at once. Addresses are vetted (url_guard.ts) and the connection is pinned to
// the vetted address, so a second DNS answer cannot redirect it to the LAN.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { MatrixError, errors } from '../http/errors.ts';
import { checkHost } from './url_guard.ts';

const DNS_TIMEOUT_MS = 2_000;
const FETCH_TIMEOUT_MS = 4_000;
const MAX_HTML_BYTES = 512 * 1024;
const MAX_REDIRECTS = 3;
const CACHE_TTL_MS = 60 * 60 * 1000;
/** An empty answer (site unreachable) is retried sooner: the internet may come back. */
const EMPTY_CACHE_TTL_MS = 5 * 60 * 1000;
/** Previews fetched at once; more get an empty preview rather than queueing behind a dead network. */
const MAX_IN_FLIGHT = 4;
const CACHE_ENTRIES = 500;

export type Preview = Record<string, string | number>;

export const previewErrors = {
  blocked: () => new MatrixError(403, 'M_FORBIDDEN', 'Previews of local network addresses are not allowed'),
};

export class UrlPreviewer {
  private readonly cache = new Map<string, { preview: Preview; expires: number }>();
  private readonly now: () => number;
  private inFlight = 0;

  constructor(now: () => number) {
    this.now = now;
  }

  /** The preview of `rawUrl`: {} when it cannot be fetched; 400 for a bad URL; 403 for a private address. */
  async preview(rawUrl: string | undefined): Promise<Preview> {
    if (!rawUrl) throw errors.missingParam('url is required');
    const url = parseHttpUrl(rawUrl);
    const key = url.href;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.preview;
    if (this.inFlight >= MAX_IN_FLIGHT) return {};
    this.inFlight++;
    let preview: Preview;
    try {
      preview = await fetchPreview(url, MAX_REDIRECTS);
    } finally {
      this.inFlight--;
    }
    this.cache.delete(key);
    const ttl = Object.keys(preview).length ? CACHE_TTL_MS : EMPTY_CACHE_TTL_MS;
    this.cache.set(key, { preview, expires: this.now() + ttl });
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return preview;
  }
}

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw errors.invalidParam('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.invalidParam('Only http and https URLs can be previewed');
  if (url.username || url.password) throw errors.invalidParam('URLs with credentials are not previewed');
  url.hash = '';
  return url;
}

async function fetchPreview(url: URL, redirectsLeft: number): Promise<Preview> {
  const host = await checkHost(url.hostname, DNS_TIMEOUT_MS);
  if (host.kind === 'blocked') throw previewErrors.blocked();
  if (host.kind === 'unreachable') return {};
  const response = await get(url, host.address, host.family);
  if (!response) return {};
  if (response.location !== null) {
    if (redirectsLeft === 0) return {};
    let next: URL;
    try {
      next = parseHttpUrl(new URL(response.location, url).href);
    } catch {
      return {};
    }
    return fetchPreview(next, redirectsLeft - 1);
  }
  return response.html === null ? {} : parseOpenGraph(response.html, url.href);
}

interface FetchResult {
  location: string | null;
  html: string | null;
}

/** One GET to the vetted address; null on any network failure or timeout. */
function get(url: URL, address: string, family: 4 | 6): Promise<FetchResult | null> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = client.get(
      url,
      {
        lookup: pinned,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        headers: { 'User-Agent': 'Meowtrix URL preview', Accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1' },
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.destroy();
          return resolve({ location: res.headers.location, html: null });
        }
        const type = String(res.headers['content-type'] ?? '').toLowerCase();
        if (status !== 200 || !/^(text\/html|application\/xhtml\+xml)/.test(type)) {
          res.destroy();
          return resolve({ location: null, html: null });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_HTML_BYTES) res.destroy(); // the <head> we want is at the start
        });
        const finish = () => resolve({ location: null, html: Buffer.concat(chunks).subarray(0, MAX_HTML_BYTES).toString('utf8') });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      },
    );
    req.on('error', () => resolve(null));
  });
}

const META_TAG = /<meta\b[^>]*>/gi;
const ATTRIBUTE = /([a-zA-Z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
const KEPT = new Set(['og:title', 'og:description', 'og:site_name', 'og:type', 'og:url', 'og:locale']);

/** OpenGraph fields from the page's meta tags, with <title> and the description as fallbacks. */
export function parseOpenGraph(html: string, pageUrl: string): Preview {
  const preview: Preview = {};
  let description: string | null = null;
  for (const tag of html.match(META_TAG) ?? []) {
    const attrs: Record<string, string> = {};
    for (const m of tag.matchAll(ATTRIBUTE)) attrs[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
    const name = (attrs.property ?? attrs.name ?? '').toLowerCase();
    const content = attrs.content;
    if (content === undefined) continue;
    if (KEPT.has(name) && !(name in preview)) preview[name] = content.slice(0, 1000);
    if (name === 'description' && description === null) description = content.slice(0, 1000);
  }
  if (!('og:title' in preview)) {
    const title = /<title\b[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
    if (title?.trim()) preview['og:title'] = decodeEntities(title.trim()).slice(0, 1000);
  }
  if (!('og:description' in preview) && description) preview['og:description'] = description;
  if (Object.keys(preview).length && !('og:url' in preview)) preview['og:url'] = pageUrl;
  return preview;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return named[body.toLowerCase()] ?? whole;
  });
}
