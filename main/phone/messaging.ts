/**
 * Requests outside a dialog that are not calls: instant messages (RFC 3428 MESSAGE, sent and
 * received) and OPTIONS pings (RFC 3261 §11). A message received is said as 'message:received',
 * one sent as 'message:state' once its answer is in. Who may send us one is decided before this
 * (the incoming policy, admissions.ts).
 */
import { randomUUID } from 'node:crypto';
import type { SipRequest, UserAgent } from '../sip/index.ts';
import type { MessageSnapshot, OptionsAnswer } from '../contract/api.ts';
import type { Accounts } from './accounts.ts';
import type { Publish } from './phone-events.ts';

export class Messaging {
  readonly #ua: UserAgent;
  readonly #accounts: Pick<Accounts, 'get' | 'outOfDialogRoute'>;
  readonly #publish: Publish;

  constructor(opts: { ua: UserAgent; accounts: Pick<Accounts, 'get' | 'outOfDialogRoute'>; publish: Publish }) {
    this.#ua = opts.ua;
    this.#accounts = opts.accounts;
    this.#publish = opts.publish;
    this.#ua.onMessage((m) => {
      const snap: MessageSnapshot = {
        id: randomUUID(),
        direction: 'incoming',
        peer: m.from,
        text: m.text,
        contentType: m.contentType,
        time: Date.now(),
        status: 'received',
      };
      this.#publish('message:received', snap);
    });
  }

  /** OPTIONS (RFC 3261 §11): what the peer answers about itself, and how long the answer took. */
  async options(req: { accountId?: string; to: string; proxy?: string }): Promise<OptionsAnswer> {
    const account = req.accountId ? this.#accounts.get(req.accountId) : undefined;
    const sentAt = performance.now();
    const res = await this.#ua.sendOutOfDialog({
      method: 'OPTIONS',
      to: req.to,
      ...this.#accounts.outOfDialogRoute(account, req.proxy),
      fields: [['Accept', 'application/sdp']],
    });
    const rttMs = Math.round((performance.now() - sentAt) * 10) / 10;
    const list = (name: string) => {
      const values = res.headers(name).map((v) => v.trim()).filter((v) => v !== '');
      return values.length ? values : undefined;
    };
    const allow = list('Allow');
    const supported = list('Supported');
    const accept = list('Accept');
    // §20.35: a response names its software in Server; some peers put User-Agent there.
    const userAgent = res.header('Server') ?? res.header('User-Agent');
    return { status: res.status, reason: res.reason, ...(allow ? { allow } : {}), ...(supported ? { supported } : {}), ...(accept ? { accept } : {}), ...(userAgent ? { userAgent } : {}), rttMs };
  }

  async send(req: { accountId?: string; to: string; text: string; proxy?: string }): Promise<MessageSnapshot> {
    const account = req.accountId ? this.#accounts.get(req.accountId) : undefined;
    const snap: MessageSnapshot = {
      id: randomUUID(),
      direction: 'outgoing',
      peer: req.to,
      text: req.text,
      contentType: 'text/plain;charset=UTF-8',
      time: Date.now(),
      status: 'sending',
    };
    // RFC 3428 §4: MESSAGE outside a dialog, text/plain body.
    const res = await this.#ua.sendOutOfDialog({
      method: 'MESSAGE',
      to: req.to,
      ...this.#accounts.outOfDialogRoute(account, req.proxy),
      fields: [['Content-Type', snap.contentType]],
      body: req.text,
    });
    if (res.status >= 200 && res.status < 300) snap.status = 'sent';
    else {
      snap.status = 'failed';
      snap.error = res.status === 408 || res.status === 503 ? res.reason : `${req.to} answered ${res.status} ${res.reason}`;
    }
    this.#publish('message:state', { ...snap });
    return snap;
  }
}

/** A MESSAGE inside a call's dialog (RFC 3428 §4): text only (415 otherwise), said as 'message:received' from the call's peer. */
export function receiveInDialog(request: SipRequest, reply: (status: number, opts?: { headers?: Array<[string, string]> }) => void, peer: string, publish: Publish): void {
  const type = (request.header('Content-Type') ?? 'text/plain').trim();
  if (!/^text\//i.test(type)) {
    reply(415, { headers: [['Accept', 'text/plain']] });
    return;
  }
  reply(200);
  const text = new TextDecoder().decode(request.body);
  publish('message:received', { id: randomUUID(), direction: 'incoming', peer, text, contentType: type, time: Date.now(), status: 'received' });
}
