// Checks the homeserver address a person typed. We insist on the scheme: guessing https would fail
// on a LAN server, and guessing http would silently downgrade a real https server.
export type UrlCheck = { ok: true; url: string } | { ok: false; problem: 'empty' | 'no-scheme' | 'invalid' };

export function checkHomeserverUrl(input: string): UrlCheck {
  const text = input.trim();
  if (!text) return { ok: false, problem: 'empty' };
  if (!/^https?:\/\//i.test(text)) return { ok: false, problem: 'no-scheme' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'invalid' };
  }
  if (!url.hostname || url.username || url.password || url.search || url.hash) return { ok: false, problem: 'invalid' };
  return { ok: true, url: url.origin + url.pathname.replace(/\/+$/, '') };
}

/** When the homeserver itself served this page, its origin is the homeserver. */
export function servedByHomeserverUrl(location: Location): string {
  return location.protocol === 'http:' || location.protocol === 'https:' ? location.origin : '';
}
