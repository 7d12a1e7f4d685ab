/**
 * Session timers (RFC 4028): keep-alive of a call by periodic re-INVITE or UPDATE, so that a
 * call whose peer vanished ends by itself.
 *
 * Negotiation is pure (`uacRequestHeaders`, `negotiateAsUas`, `readSessionExpires`); the
 * `SessionTimer` only owns the clock: the refresher refreshes at half the interval (§10), the
 * other side sends BYE when no refresh came, min(32, interval/3) seconds before it ends (§10).
 *
 * `refresher` in a Session-Expires is relative to the transaction that negotiated it ('uac' =
 * the side that sent that request); the session turns it into 'local' or 'remote'.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Clock } from '../transaction/timers.ts';
import { Timer } from '../transaction/timers.ts';

export interface SessionTimerConfig {
  /** The interval we ask for, seconds (RFC 4028 §4 recommends 1800). */
  expires: number;
  /** The smallest interval we accept, seconds (§4: at least 90; lower only for tests). */
  minSE: number;
}

export const DEFAULT_SESSION_TIMER: Readonly<SessionTimerConfig> = { expires: 1800, minSE: 90 };

export interface SessionInterval {
  interval: number;
  refresher: 'uac' | 'uas';
}

/** `Session-Expires: 1800;refresher=uac` (§4), or undefined when absent or unreadable. */
export function readSessionExpires(message: SipRequest | SipResponse): { interval: number; refresher?: 'uac' | 'uas' } | undefined {
  const value = message.header('Session-Expires');
  if (value === undefined) return undefined;
  const [delta, ...params] = value.split(';').map((s) => s.trim());
  const interval = Number(delta);
  if (!/^\d+$/.test(delta) || !Number.isSafeInteger(interval) || interval <= 0) return undefined;
  let refresher: 'uac' | 'uas' | undefined;
  for (const p of params) {
    const [name, v] = p.split('=').map((s) => s.trim().toLowerCase());
    if (name === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
  }
  return { interval, refresher };
}

/** Min-SE (§5), or undefined. */
export function readMinSE(message: SipRequest | SipResponse): number | undefined {
  const value = message.header('Min-SE');
  if (value === undefined) return undefined;
  const n = Number(value.split(';')[0].trim());
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function supportsTimer(message: SipRequest | SipResponse): boolean {
  return message.headers('Supported').some((t) => t.trim().toLowerCase() === 'timer');
}

/** §7.1: what a session refresh request (or the initial INVITE) carries. */
export function uacRequestHeaders(interval: number, minSE: number, refresher?: 'uac' | 'uas'): Array<[string, string]> {
  return [
    ['Session-Expires', refresher ? `${interval};refresher=${refresher}` : String(interval)],
    ['Min-SE', String(minSE)],
  ];
}

export type UasNegotiation =
  | { kind: 'none' }
  | { kind: 'reject'; status: 422; minSE: number }
  | { kind: 'timer'; interval: number; refresher: 'uac' | 'uas'; headers: Array<[string, string]> };

/**
 * §9: the UAS side of a session refresh request (initial INVITE, re-INVITE, UPDATE).
 * - Session-Expires below our Min-SE: 422 with our Min-SE when the UAC supports timers, else the
 *   interval is raised (the UAC would not understand a 422).
 * - No Session-Expires: we still run the timer with our own interval (refresher: the UAC when it
 *   supports timers, else us).
 * - The response carries `Session-Expires` with the refresher, and `Require: timer` when the
 *   refresher is the UAC (§9).
 */
export function negotiateAsUas(request: SipRequest, config: SessionTimerConfig): UasNegotiation {
  const asked = readSessionExpires(request);
  const uacSupports = supportsTimer(request);
  const theirMin = readMinSE(request) ?? 90;
  let interval: number;
  if (asked) {
    if (asked.interval < config.minSE) {
      if (uacSupports) return { kind: 'reject', status: 422, minSE: config.minSE };
      interval = config.minSE;
    } else {
      // §9: the UAS may shorten the interval, never below the request's Min-SE.
      interval = Math.max(Math.min(asked.interval, config.expires), theirMin, config.minSE);
      if (interval > asked.interval) interval = asked.interval;
    }
  } else {
    interval = Math.max(config.expires, theirMin, config.minSE);
  }
  const refresher = asked?.refresher ?? (uacSupports ? 'uac' : 'uas');
  if (refresher === 'uac' && !uacSupports) return { kind: 'timer', interval, refresher: 'uas', headers: [['Session-Expires', `${interval};refresher=uas`]] };
  const headers: Array<[string, string]> = [['Session-Expires', `${interval};refresher=${refresher}`]];
  if (refresher === 'uac') headers.push(['Require', 'timer']);
  return { kind: 'timer', interval, refresher, headers };
}

/** §7.2: what a 2xx to our refresh request decided; undefined = no session timer. */
export function readAnswer(response: SipResponse): SessionInterval | undefined {
  const se = readSessionExpires(response);
  if (!se) return undefined;
  // §7.2: a 2xx without refresher means the UAC (we) refreshes.
  return { interval: se.interval, refresher: se.refresher ?? 'uac' };
}

export interface SessionTimerOptions {
  clock: Clock;
  /** Time to send a refresh (we are the refresher). */
  onRefresh: () => void;
  /** The session expired without a refresh (we are not the refresher): send BYE. */
  onExpire: () => void;
}

/** The clock side of §10. One running interval at a time; `start` again after every refresh. */
export class SessionTimer {
  readonly #refresh: Timer;
  readonly #expire: Timer;
  #interval = 0;
  #local = false;

  constructor(opts: SessionTimerOptions) {
    this.#refresh = new Timer(opts.clock, opts.onRefresh);
    this.#expire = new Timer(opts.clock, opts.onExpire);
  }

  get running(): boolean {
    return this.#refresh.running || this.#expire.running;
  }

  /** The interval in force, seconds (0: none). */
  get interval(): number {
    return this.#interval;
  }

  /** Whether we refresh. */
  get refresherIsLocal(): boolean {
    return this.#local;
  }

  /** §10: refresher at interval/2; the other side ends the session at interval − min(32, interval/3). */
  start(interval: number, refresher: 'local' | 'remote'): void {
    this.stop();
    this.#interval = interval;
    this.#local = refresher === 'local';
    if (this.#local) this.#refresh.start((interval * 1000) / 2);
    else this.#expire.start((interval - Math.min(32, interval / 3)) * 1000);
  }

  stop(): void {
    this.#refresh.clear();
    this.#expire.clear();
    this.#interval = 0;
  }
}
