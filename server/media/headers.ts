// Response headers for served media: type, disposition, and the protections that keep an
// uploaded HTML or SVG file from running script in the server's origin.

// Content repository, "Serving inline content": the only types a server should serve inline.
const INLINE_TYPES = new Set([
  'text/css', 'text/plain', 'text/csv', 'application/json', 'application/ld+json',
  'image/jpeg', 'image/gif', 'image/png', 'image/apng', 'image/webp', 'image/avif',
  'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime',
  'audio/mp4', 'audio/webm', 'audio/aac', 'audio/mpeg', 'audio/ogg', 'audio/wave', 'audio/wav',
  'audio/x-wav', 'audio/x-pn-wav', 'audio/flac', 'audio/x-flac',
]);

// A media type as RFC 9110 allows it (token/token, optional parameters), printable ASCII only.
const CONTENT_TYPE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+\/[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*;[\x20-\x7e]*)?$/;

/** The uploader's Content-Type if it is well formed, else application/octet-stream. */
export function normaliseContentType(header: string | undefined): string {
  const value = header?.trim();
  return value && value.length <= 255 && CONTENT_TYPE.test(value) ? value : 'application/octet-stream';
}

export function essence(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(essence(contentType));
}

/**
 * RFC 6266 Content-Disposition: `inline` only for the spec's safe types. The name goes in a
 * quoted ASCII `filename` (non-ASCII replaced) and, when it is not plain ASCII, an exact
 * RFC 8187 `filename*`, which every current browser and Matrix client prefers.
 */
export function contentDisposition(contentType: string, fileName: string | null, forceInline = false): string {
  const kind = forceInline || isInlineSafe(contentType) ? 'inline' : 'attachment';
  const name = fileName === null ? '' : sanitiseFileName(fileName);
  if (!name) return kind;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&');
  if (/^[\x20-\x7e]*$/.test(name)) return `${kind}; filename="${ascii}"`;
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/** Control characters and path separators have no place in a suggested file name. */
function sanitiseFileName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').slice(0, 255);
}

function encodeRfc8187(value: string): string {
  // attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Headers every media response carries. The CSP sandbox makes a browser that opens the file
 * treat it as an opaque origin with scripts off; nosniff stops it guessing a more dangerous type.
 */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': "sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
    'X-Content-Type-Options': 'nosniff',
    // Web clients (Element, Cinny, our own) load media from another origin into <img>/<video>.
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

/**
 * Stored content never changes under its ID (it can only be deleted), so caches may keep it.
 * Authenticated media must not sit in shared caches.
 */
export function cacheControl(authenticated: boolean): string {
  return authenticated ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable';
}
