/**
 * Our page's own origin, `app://appel/`, instead of `file://` (Electron security checklist: "use
 * a custom protocol"): a stable origin for the IPC sender check, `'self'` in the CSP that means
 * our files only, and no reach into the rest of the disk. `protocol.handle('app', …)` (main.ts)
 * answers with `appResponse`: the built renderer (dist/renderer), and the sounds under
 * `/sounds/` (assets/sounds: the ringtone), each with the Content-Security-Policy header.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'appel';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

/**
 * The page's policy: our scripts only (no inline, no eval), inline styles (Vue's style bindings),
 * images from us or data:, sounds from us, no network at all from the page (the engine does SIP
 * and RTP in the main process), no frames, no plugins, no forms.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
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

export interface AppRoots {
  /** The built renderer (dist/renderer). */
  renderer: string;
  /** The sounds (assets/sounds). */
  sounds: string;
}

/** The file an `app://appel/…` URL names, or the status to answer. */
export function resolveAppUrl(url: string, roots: AppRoots): { file: string } | { status: 400 | 403 | 404 } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { status: 400 };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.hostname !== APP_HOST) return { status: 403 };
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return { status: 400 };
  }
  if (path.includes('\0')) return { status: 400 };
  if (path === '/' || path === '') path = '/index.html';
  const [root, rest] = path.startsWith('/sounds/') ? [roots.sounds, path.slice('/sounds'.length)] : [roots.renderer, path];
  const file = normalize(join(root, rest));
  if (file !== normalize(root) && !file.startsWith(normalize(root).replace(/[\\/]$/, '') + sep)) return { status: 403 };
  if (!(extname(file) in TYPES)) return { status: 404 };
  return { file };
}

/** The answer to one request on our scheme. */
export async function appResponse(request: { url: string; method?: string }, roots: AppRoots): Promise<Response> {
  const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
  if (request.method && request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers });
  const found = resolveAppUrl(request.url, roots);
  if ('status' in found) return new Response(null, { status: found.status, headers });
  try {
    const body = await readFile(found.file);
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': TYPES[extname(found.file)] } });
  } catch {
    return new Response(null, { status: 404, headers });
  }
}
