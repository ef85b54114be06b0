// Security headers for the web client served at '/'. The policy matches the renderer's own
// <meta> CSP (renderer/index.html) and adds what a <meta> cannot say: no framing (clickjacking).
// The homeserver the app talks to may be any http(s) origin, hence connect-src http: https:.
import type { RequestHandler } from 'express';

export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'", // matrix-js-sdk's Rust crypto is WebAssembly
  "style-src 'self' 'unsafe-inline'", // Svelte sets style attributes
  "img-src 'self' blob: data: http: https:",
  "media-src 'self' blob: http: https:",
  "connect-src 'self' http: https: ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const webClientHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', WEB_CLIENT_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};
