/**
 * Our page's own origin, `app://appel/`, instead of `file://` (Electron security checklist: "use
 * a custom protocol"): a stable origin for the IPC sender check, `'self'` in the CSP that means
 * our files only, and no reach into the rest of the disk. `protocol.handle('app', …)` (main.ts)
 * answers with `appResponse`: the built renderer (dist/renderer), and the sounds under
 * `/sounds/` (assets/sounds: the ringtone), each with the Content-Security-Policy header.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_TYPES, CSP } from '../bridge/page-policy.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'appel';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

export { CSP };

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
  if (!(extname(file) in CONTENT_TYPES)) return { status: 404 };
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
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': CONTENT_TYPES[extname(found.file)] } });
  } catch {
    return new Response(null, { status: 404, headers });
  }
}
