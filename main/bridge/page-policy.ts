/**
 * What serves the renderer's files, as both servers do it (the app's `app://` protocol,
 * main/app/app-protocol.ts, and `npm run dev:web`): one Content-Security-Policy and one table of
 * content types.
 */

/**
 * The page's policy: our scripts only (no inline, no eval), inline styles (Vue's style bindings),
 * images from us or data:, sounds from us or from a blob: the page made (a call's recording it
 * fetched through the engine, played in History), connections to us only (the engine does SIP and RTP;
 * in a browser, `'self'` is the bridge's own socket), no frames, no plugins, no forms.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The content types of the files the page is made of; a file of any other kind is not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wav': 'audio/wav',
};
