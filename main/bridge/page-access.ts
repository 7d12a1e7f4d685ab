/**
 * Who may use the dev:web page and its bridge. The printed link carries a token that works once:
 * its first load trades it for a session cookie and is sent on (303) to the same address without
 * the token; every later load and the bridge's WebSocket need the cookie, and the token is spent.
 *
 *   const access = new PageAccess({ port });
 *   const url = `http://127.0.0.1:${port}/?token=${access.token}`;   // printed; works once
 *   if (!access.gate(req, res)) return;                              // every HTTP request
 *   access.admits(req.headers.cookie)                                // the WebSocket upgrade
 *
 * The cookie is random per server run, HttpOnly (the page's scripts never see it) and
 * SameSite=Strict (another site's page cannot make the browser send it). Cookies do not tell
 * ports apart (RFC 6265 §8.5), so its name carries the port: two servers side by side keep theirs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface PageAccessOptions {
  /** The server's port (it names the cookie). */
  port: number;
  /** The first link's token; default 32 random bytes, hex. */
  token?: string;
}

/** Equal strings, compared in constant time. */
function same(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

const REFUSED = [
  'This address needs the link that `npm run dev:web` printed. Each link works once, in one browser:',
  'restart `npm run dev:web` for a new one.',
  '',
].join('\n');

export class PageAccess {
  /** The token of the first link (the one dev:web prints). */
  readonly token: string;
  /** The session cookie's name: `appel-session-PORT`. */
  readonly cookieName: string;
  readonly #session = randomBytes(32).toString('hex');
  /** Tokens not used yet: each is removed on its first use. */
  readonly #unspent = new Set<string>();

  constructor(opts: PageAccessOptions) {
    this.cookieName = `appel-session-${opts.port}`;
    this.token = opts.token ?? randomBytes(32).toString('hex');
    this.#unspent.add(this.token);
  }

  /** One more one-time token (a process that started the server opens several browsers: tests). */
  issue(): string {
    const token = randomBytes(32).toString('hex');
    this.#unspent.add(token);
    return token;
  }

  /** The session as a `Cookie` header value, for a process that started the server (tests). */
  get cookie(): string {
    return `${this.cookieName}=${this.#session}`;
  }

  /** True the first time a token we issued is given; false when wrong or spent. */
  spend(given: string): boolean {
    for (const token of this.#unspent) {
      if (same(given, token)) {
        this.#unspent.delete(token);
        return true;
      }
    }
    return false;
  }

  /** True when a `Cookie` header holds our session. */
  admits(cookieHeader: string | undefined): boolean {
    if (!cookieHeader) return false;
    for (const pair of cookieHeader.split(';')) {
      const at = pair.indexOf('=');
      if (at > 0 && pair.slice(0, at).trim() === this.cookieName && same(pair.slice(at + 1).trim(), this.#session)) return true;
    }
    return false;
  }

  /**
   * The HTTP side: a load with an unspent token gets the cookie and a 303 to the address without
   * it; a spent or wrong token gets 403, a load without the cookie 401, both with a sentence
   * saying what to do. True when the request may be served.
   */
  gate(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = url.searchParams.get('token');
    const hasSession = this.admits(req.headers.cookie);
    if (given !== null) {
      const spent = this.spend(given);
      if (!spent && !hasSession) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(REFUSED);
        return false;
      }
      url.searchParams.delete('token');
      const headers: Record<string, string> = { Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-store' };
      if (spent) headers['Set-Cookie'] = `${this.cookie}; Path=/; HttpOnly; SameSite=Strict`;
      res.writeHead(303, headers).end();
      return false;
    }
    if (!hasSession) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(REFUSED);
      return false;
    }
    return true;
  }
}
