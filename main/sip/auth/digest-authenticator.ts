/**
 * Answers digest challenges for one account (RFC 3261 §22.2, §22.3; RFC 7616; RFC 8760).
 *
 *   const auth = new DigestAuthenticator({ username: 'alice', password });
 *   // a 401 or 407 came back for `request`:
 *   const outcome = auth.authorize(request, response);
 *   if (outcome === 'retry') { bump CSeq, new branch (the transaction layer does it), resend }
 *   else show(outcome.reason)             // { kind: 'rejected', realm?, reason }
 *   // the next REGISTER refresh, before sending:
 *   auth.preAuthorize(request);           // credentials for every remembered realm, nc + 1
 *
 * Rules:
 * - 401 → WWW-Authenticate → Authorization; 407 → Proxy-Authenticate → Proxy-Authorization.
 * - Per realm, the strongest supported algorithm is answered (SHA-512-256 > SHA-256 > MD5,
 *   each with its -sess variant); unknown algorithms and schemes are ignored (RFC 8760 §2.4).
 * - qop=auth preferred, auth-int when it is the only one offered, none = RFC 2069.
 * - A challenge for a realm we just answered that is not `stale=true` means the credentials
 *   are wrong: `{ kind: 'rejected', realm }`, never a loop. `stale=true` is retried without
 *   counting as a failure, at most `MAX_STALE_RETRIES` times in a row. A challenge to a
 *   *pre-authorized* request (a refresh with an old nonce) is answered once.
 * - Two ways to retry after 'retry': re-send the request `authorize` changed (new CSeq and
 *   branch), or build a new request and call `preAuthorize` on it; both are recognised as
 *   the answer to the challenge.
 * - Credentials for other realms already on the request are kept.
 * - `userhash` (RFC 7616 §3.4.4) is not supported: the username is always sent in clear
 *   (servers fall back to that when `userhash` is absent from the credentials).
 *
 * The password lives in a private field: it is never in a thrown error, a reason, a log,
 * `toString()`, `JSON.stringify()` or `util.inspect()` of this object.
 */
import { randomBytes } from 'node:crypto';
import type { AuthHeader, SipRequest, SipResponse } from '../message/types.ts';
import { digestResponse, formatNonceCount } from './digest.ts';
import { parseDigestChallenge, strongestPerRealm } from './digest-challenge.ts';
import type { DigestChallenge } from './digest-challenge.ts';
import { formatAuthParams, formatCredentials } from './format-credentials.ts';

export interface DigestAuthenticatorOptions {
  username: string;
  password: string;
  /** Only answer challenges of this realm (the account's domain, say); others are ignored. */
  realm?: string;
  /**
   * Asked for each realm that challenges us: false refuses it (no credentials leave for a realm
   * that is not the account's: a callee or a man in the middle answering 401 with a realm of its
   * own must not get a response it can attack offline). Default: every realm (or `realm` alone).
   */
  trust?: (realm: string) => boolean;
  /** Client nonce source (tests fix it); default: 128 random bits in hex. */
  cnonce?: () => string;
}

/**
 * 'retry': answered. 'rejected': nothing to answer with (wrong password, unsupported scheme).
 * 'refused': the challenge came from a realm we do not trust; no credentials were written.
 */
export type AuthorizeOutcome = 'retry' | { kind: 'rejected'; realm?: string; reason: string } | { kind: 'refused'; realm: string; reason: string };

type ChallengeHeader = 'WWW-Authenticate' | 'Proxy-Authenticate';
type CredentialsHeader = 'Authorization' | 'Proxy-Authorization';

/** How many `stale=true` challenges in a row we follow before giving up on a server. */
export const MAX_STALE_RETRIES = 3;
/** How many answered `response` values are remembered per realm (to recognise our own answers). */
const REMEMBERED_ANSWERS = 32;

interface RealmState {
  challenge: DigestChallenge;
  header: CredentialsHeader;
  cnonce: string;
  /** Last nonce count used with `challenge.nonce`. */
  nc: number;
  /** `response` values of credentials written in answer to a challenge (not pre-authorizations). */
  answers: string[];
  staleRetries: number;
  /** A challenge was answered by `authorize` and no `preAuthorize` ran since (see the class doc). */
  fresh: boolean;
}

const CHALLENGE_HEADERS: Record<number, [ChallengeHeader, CredentialsHeader] | undefined> = {
  401: ['WWW-Authenticate', 'Authorization'],
  407: ['Proxy-Authenticate', 'Proxy-Authorization'],
};

/** Note a `response` we sent in answer to a challenge (bounded memory). */
function remember(state: RealmState, response: string): void {
  state.answers.push(response);
  if (state.answers.length > REMEMBERED_ANSWERS) state.answers.shift();
}

/** A credentials value's header name in canonical case, for comparing with `fields`. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export class DigestAuthenticator {
  readonly username: string;
  readonly realm: string | undefined;
  readonly #password: string;
  readonly #trust: (realm: string) => boolean;
  readonly #cnonce: () => string;
  readonly #realms = new Map<string, RealmState>();

  constructor(opts: DigestAuthenticatorOptions) {
    this.username = opts.username;
    this.realm = opts.realm;
    this.#password = opts.password;
    const realm = opts.realm;
    const trust = opts.trust;
    this.#trust = (r) => (realm === undefined || r === realm) && (trust === undefined || trust(r));
    this.#cnonce = opts.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  /** Realms we hold a challenge for (what `preAuthorize` will answer). */
  get realms(): string[] {
    return [...this.#realms.keys()];
  }

  /**
   * Answer the challenges of a 401/407 `response` to `request`: on 'retry' the request now
   * carries the right Authorization/Proxy-Authorization values (the caller re-sends it with a
   * new CSeq and branch); otherwise nothing was changed and the reason says why, in words.
   */
  authorize(request: SipRequest, response: SipResponse): AuthorizeOutcome {
    const names = CHALLENGE_HEADERS[response.status];
    if (names === undefined) {
      return { kind: 'rejected', reason: `${response.status} ${response.reason} is not a digest challenge` };
    }
    const [challengeHeader, credentialsHeader] = names;
    let offered: AuthHeader[];
    try {
      offered = response.auths(challengeHeader);
    } catch {
      return { kind: 'rejected', reason: `malformed ${challengeHeader} header` };
    }
    const digests = offered.map(parseDigestChallenge).filter((c): c is DigestChallenge => c !== undefined);
    const usable = digests.filter((c) => this.#trust(c.realm));
    const chosen = strongestPerRealm(usable);
    if (chosen.length === 0 && digests.length > 0) {
      const realms = [...new Set(digests.map((c) => JSON.stringify(c.realm)))].join(', ');
      const ours = this.realm === undefined ? "not this account's realm" : `this account answers realm "${this.realm}" only`;
      return { kind: 'refused', realm: digests[0].realm, reason: `asked for credentials by ${realms}: refused (${ours})` };
    }
    if (chosen.length === 0) {
      const what = offered.map((h) => `${h.scheme}${h.params.has('algorithm') ? ` ${h.params.get('algorithm')}` : ''}`);
      const realmNote = this.realm === undefined ? '' : ` for realm "${this.realm}"`;
      return {
        kind: 'rejected',
        reason: `no supported digest challenge${realmNote} in ${response.status} (offered: ${what.join(', ') || 'none'})`,
      };
    }

    const sent = this.#sentCredentials(request, credentialsHeader);
    // Decide everything before changing anything: a rejection leaves request and state as they were.
    for (const challenge of chosen) {
      const state = this.#realms.get(challenge.realm);
      const ours = sent.get(challenge.realm);
      if (state === undefined || ours === undefined) continue;
      if (challenge.stale) {
        if (state.staleRetries >= MAX_STALE_RETRIES) {
          return {
            kind: 'rejected',
            realm: challenge.realm,
            reason: `realm "${challenge.realm}" answered stale=true ${MAX_STALE_RETRIES + 1} times in a row`,
          };
        }
      } else if (state.answers.includes(ours)) {
        return {
          kind: 'rejected',
          realm: challenge.realm,
          reason: `wrong username or password for realm "${challenge.realm}" (user "${this.username}")`,
        };
      }
    }

    for (const challenge of chosen) {
      const previous = this.#realms.get(challenge.realm);
      const answeredBefore = previous !== undefined && sent.has(challenge.realm);
      const state: RealmState = {
        challenge,
        header: credentialsHeader,
        cnonce: this.#cnonce(),
        nc: 0,
        answers: previous?.answers ?? [],
        staleRetries: challenge.stale && answeredBefore ? (previous?.staleRetries ?? 0) + 1 : 0,
        fresh: true,
      };
      this.#realms.set(challenge.realm, state);
    }
    this.#replaceCredentials(
      request,
      credentialsHeader,
      chosen.map((c) => c.realm),
      (realm) => {
        const state = this.#realms.get(realm)!;
        const { value, response: answer } = this.#credentials(request, state);
        remember(state, answer);
        return value;
      },
    );
    return 'retry';
  }

  /**
   * The request `authorize` rewrote is re-sent as it is (same object, next CSeq): its
   * credentials are the answer to the challenge, so the next `preAuthorize` is a
   * pre-authorization, not the retry.
   */
  retrySent(): void {
    for (const state of this.#realms.values()) state.fresh = false;
  }

  /**
   * Add credentials for every remembered realm the request does not already carry, reusing
   * the last nonce with the nonce count incremented (RFC 7616 §3.4: nc counts requests sent
   * with one nonce). Returns how many credentials were added.
   *
   * Right after `authorize`, this is the retry (a caller may build a new request rather than
   * re-send the changed one): its credentials count as the answer to the challenge. Later,
   * it pre-authorizes a new request (a REGISTER refresh): a non-stale challenge to it may
   * just mean the old nonce expired, so it is answered once before any verdict, and the
   * stale-retry count starts again.
   */
  preAuthorize(request: SipRequest): number {
    let added = 0;
    for (const [realm, state] of this.#realms) {
      const carried = this.#sentCredentials(request, state.header);
      if (carried.has(realm)) continue;
      const { value, response } = this.#credentials(request, state);
      if (state.fresh) {
        remember(state, response);
        state.fresh = false;
      } else {
        state.staleRetries = 0;
        state.answers = state.answers.filter((a) => a !== response);
      }
      request.addHeader(state.header, value);
      added++;
    }
    return added;
  }

  /** Drop what we remember of one realm, or of all (after a password change, say). */
  forget(realm?: string): void {
    if (realm === undefined) this.#realms.clear();
    else this.#realms.delete(realm);
  }

  toString(): string {
    return `DigestAuthenticator(username=${this.username}${this.realm === undefined ? '' : `, realm=${this.realm}`})`;
  }

  toJSON(): { username: string; realm?: string } {
    return this.realm === undefined ? { username: this.username } : { username: this.username, realm: this.realm };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Next credentials for a realm: nc + 1 with the same nonce and cnonce. */
  #credentials(request: SipRequest, state: RealmState): { value: string; response: string } {
    const c = state.challenge;
    state.nc++;
    const response = digestResponse({
      algorithm: c.algorithm,
      username: this.username,
      realm: c.realm,
      password: this.#password,
      method: request.method,
      uri: request.uri,
      nonce: c.nonce,
      ...(c.qop ? { qop: c.qop, nc: state.nc, cnonce: state.cnonce } : {}),
      ...(c.algorithm.endsWith('-sess') ? { cnonce: state.cnonce } : {}),
      body: request.body,
    });
    const value = formatCredentials({
      username: this.username,
      realm: c.realm,
      nonce: c.nonce,
      uri: request.uri,
      response,
      algorithm: c.algorithm,
      ...(c.qop || c.algorithm.endsWith('-sess') ? { cnonce: state.cnonce } : {}),
      ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
      ...(c.qop ? { qop: c.qop, nc: formatNonceCount(state.nc) } : {}),
    });
    return { value, response };
  }

  /** realm → `response` of the Digest credentials the request carries in `header`. */
  #sentCredentials(request: SipRequest, header: CredentialsHeader): Map<string, string> {
    const out = new Map<string, string>();
    let carried: AuthHeader[];
    try {
      carried = request.auths(header);
    } catch {
      return out;
    }
    for (const c of carried) {
      const realm = c.params.get('realm');
      if (c.scheme.toLowerCase() === 'digest' && realm !== undefined) out.set(realm, c.params.get('response') ?? '');
    }
    return out;
  }

  /** Rewrite `header`: credentials of `realms` replaced by fresh ones, every other realm kept. */
  #replaceCredentials(
    request: SipRequest,
    header: CredentialsHeader,
    realms: string[],
    fresh: (realm: string) => string,
  ): void {
    const kept: string[] = [];
    let carried: AuthHeader[];
    try {
      carried = request.auths(header);
    } catch {
      carried = [];
    }
    for (const c of carried) {
      if (realms.includes(c.params.get('realm') ?? '')) continue;
      kept.push(formatAuthParams(c.scheme, c.params));
    }
    if (request.fields.some((f) => sameName(f.name, header))) request.removeHeader(header);
    for (const value of kept) request.addHeader(header, value);
    for (const realm of realms) request.addHeader(header, fresh(realm));
  }
}
