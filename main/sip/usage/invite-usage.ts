/**
 * The INVITE usage: creates InviteSessions and routes to them what the UA core and the
 * transaction layer receive (RFC 3261 §12.2.2, §13.3, §9.2).
 *
 *   const usage = new InviteUsage({ ua, clock?, userAgent?, sessionTimer?, dialogMethods?, random? });
 *   usage.onIncoming((session) => { session.delegate = {…}; session.ringing(); … });
 *   const session = usage.invite({ to, from, offer?, proxy?, credentials?, headers?, … });
 *   usage.sessions          the live sessions
 *   usage.close()           end every call (CANCEL / 480 / BYE) and stop routing
 *   usage.onDialogRequest(handler)   in-dialog requests offered to an extension (transfer: REFER,
 *                           NOTIFY) before `session.delegate.onRequest`; the handler returns true
 *                           when it took the request (and answers it through `reply`)
 *   usage.findDialog(id)    the session owning a dialog, early ones included (Replaces, RFC 3891 §3)
 *
 * Routing: an INVITE without To tag is a new call (482 for a merged request, §8.2.2.2; 422 when
 * its Session-Expires is too short; 480 when nobody listens); a request with a To tag goes to
 * the session that owns that dialog (early ones included), else it is left to the core (481).
 * ACKs for 2xx, CANCELs and 2xx that outlived their transaction arrive through the
 * transaction layer hooks, which this usage owns.
 *
 * Methods: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, INFO (+ `dialogMethods`, e.g. REFER and
 * NOTIFY, handed to `session.delegate.onRequest`). Option tags: 100rel, timer.
 */
import { dialogIdOf, dialogKey } from '../dialog/dialog.ts';
import type { Dialog, DialogId } from '../dialog/dialog.ts';
import { createResponse, generateTag } from '../message/index.ts';
import type { SipRequest } from '../message/types.ts';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.ts';
import type { IncomingRequest, ServerTransaction } from '../transaction/transaction-layer.ts';
import { realClock } from '../transaction/timers.ts';
import type { Clock } from '../transaction/timers.ts';
import type { Target } from '../transport/types.ts';
import { contactFor, InviteSession } from './invite-session.ts';
import type { InviteOptions, ReplyOptions, SessionHost } from './invite-session.ts';
import { DEFAULT_SESSION_TIMER } from './session-timer.ts';
import type { SessionTimerConfig } from './session-timer.ts';
import type { UserAgent, UserAgentUsage } from './user-agent.ts';

export interface InviteUsageOptions {
  ua: UserAgent;
  /** The clock the UA runs on (the same one, so FakeClock drives everything in tests). */
  clock?: Clock;
  /** User-Agent / Server header value. */
  userAgent?: string;
  /** RFC 4028 settings; `false` turns session timers off. Default 1800 s asked, 90 s minimum. */
  sessionTimer?: Partial<SessionTimerConfig> | false;
  /** In-dialog methods the layer above answers through `delegate.onRequest` (REFER, NOTIFY…). */
  dialogMethods?: string[];
  /** Random source for back-offs (§14.1) and Retry-After; tests fix it. */
  random?: () => number;
}

/** An extension's hook for in-dialog requests: true when it took the request. */
export type DialogRequestHandler = (session: InviteSession, request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void) => boolean;

const METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'PRACK', 'UPDATE', 'INFO'];

export class InviteUsage implements UserAgentUsage {
  readonly methods: readonly string[];
  readonly extensions: readonly string[] = ['100rel', 'timer'];
  readonly #ua: UserAgent;
  readonly #host: SessionHost;
  readonly #dialogs = new Map<string, { dialog: Dialog; session: InviteSession }>();
  readonly #sessions = new Set<InviteSession>();
  /** Incoming INVITE server transactions → their session (CANCEL, §9.2). */
  readonly #byServerTx = new Map<InviteServerTransaction, InviteSession>();
  /** Call-ID + our From tag → UAC session (2xx that outlived the transaction). */
  readonly #byCall = new Map<string, InviteSession>();
  /** Call-ID + From tag + CSeq of INVITEs being handled (merged requests, §8.2.2.2). */
  readonly #merged = new Map<string, InviteSession | null>();
  #onIncoming: ((session: InviteSession) => void) | undefined;
  readonly #dialogHandlers: DialogRequestHandler[] = [];
  #closed = false;

  constructor(opts: InviteUsageOptions) {
    this.#ua = opts.ua;
    this.methods = [...new Set([...METHODS, ...(opts.dialogMethods ?? []).map((m) => m.toUpperCase())])];
    const timer = opts.sessionTimer === false ? undefined : { ...DEFAULT_SESSION_TIMER, ...opts.sessionTimer };
    this.#host = {
      ua: opts.ua,
      clock: opts.clock ?? realClock,
      userAgent: opts.userAgent,
      sessionTimer: timer,
      random: opts.random ?? Math.random,
      bindDialog: (dialog, session) => this.#dialogs.set(dialog.key, { dialog, session }),
      unbindDialog: (dialog) => {
        if (this.#dialogs.get(dialog.key)?.dialog === dialog) this.#dialogs.delete(dialog.key);
      },
      ended: (session) => this.#forget(session),
      dialogRequest: (session, request, reply) => this.#dialogRequest(session, request, reply),
    };
    opts.ua.addUsage(this);
    const layer = opts.ua.transactions;
    layer.onAck((incoming) => this.#receiveAck(incoming));
    layer.onCancel((tx, incoming) => this.#byServerTx.get(tx)?.receiveCancel(incoming.message));
    layer.onStray2xx((response) => {
      const id = dialogIdOf(response);
      const session = this.#byCall.get(`${id.callId}\n${id.localTag}`);
      session?.receiveStray2xx(response);
    });
  }

  /** New incoming calls. Without a listener, INVITEs are answered 480. */
  onIncoming(handler: (session: InviteSession) => void): void {
    this.#onIncoming = handler;
  }

  get sessions(): ReadonlySet<InviteSession> {
    return this.#sessions;
  }

  /** In-dialog requests an extension answers before the session's delegate (tried in the order added). */
  onDialogRequest(handler: DialogRequestHandler): void {
    this.#dialogHandlers.push(handler);
  }

  /** The live session and dialog with this id as seen from our side (early dialogs included). */
  findDialog(id: DialogId): { session: InviteSession; dialog: Dialog } | undefined {
    return this.#dialogs.get(dialogKey(id));
  }

  #dialogRequest(session: InviteSession, request: SipRequest, reply: (status: number, opts?: ReplyOptions) => void): boolean {
    for (const handler of this.#dialogHandlers) {
      try {
        if (handler(session, request, reply)) return true;
      } catch {
        reply(500);
        return true;
      }
    }
    return false;
  }

  /** UAC: place a call. The session is returned at once (state Calling); listen to its events. */
  invite(opts: InviteOptions): InviteSession {
    if (this.#closed) throw new Error('invite: the INVITE usage is closed');
    const session = InviteSession.outgoing(this.#host, opts);
    this.#sessions.add(session);
    this.#byCall.set(`${session.callId}\n${session.localTag}`, session);
    void session.start();
    return session;
  }

  /** End every call and refuse new ones. */
  close(): void {
    this.#closed = true;
    for (const s of [...this.#sessions]) s.terminate();
  }

  #forget(session: InviteSession): void {
    this.#sessions.delete(session);
    for (const [tx, s] of this.#byServerTx) if (s === session) this.#byServerTx.delete(tx);
    for (const [key, s] of this.#merged) if (s === session) this.#merged.delete(key);
    // Keep the UAC entry a while: a 2xx that crosses a CANCEL or BYE is still ACKed (§13.2.2.4).
    const key = `${session.callId}\n${session.localTag}`;
    if (this.#byCall.get(key) === session) {
      const T1 = this.#ua.transactions.timers.T1;
      this.#host.clock.setTimeout(() => {
        if (this.#byCall.get(key) === session) this.#byCall.delete(key);
      }, 64 * T1);
    }
  }

  /** UserAgentUsage: requests that passed the §8.2 checks. */
  handleRequest(tx: ServerTransaction, incoming: IncomingRequest): boolean {
    const request = incoming.message;
    const toTag = request.to().params.get('tag');
    if (toTag) {
      const entry = this.#dialogs.get(dialogKey(dialogIdOf(request)));
      if (!entry) return false; // §12.2.2: the core answers 481.
      entry.session.receiveRequest(tx, incoming, entry.dialog);
      return true;
    }
    if (request.method !== 'INVITE' || tx.kind !== 'invite-server') return false;
    if (this.#closed) {
      tx.respond(createResponse(request, { status: 480, toTag: generateTag() }));
      return true;
    }
    // §8.2.2.2: the same request arriving by two paths (a fork that merged) gets 482.
    const mergeKey = `${request.callId()}\n${request.from().params.get('tag') ?? ''}\n${request.cseq().seq}`;
    // (Retransmissions never get here: the transaction layer absorbs them.)
    if (this.#merged.has(mergeKey)) {
      tx.respond(createResponse(request, { status: 482, toTag: generateTag() }));
      return true;
    }
    this.#merged.set(mergeKey, null);
    void this.#newCall(tx, incoming, mergeKey);
    return true;
  }

  async #newCall(tx: InviteServerTransaction, incoming: IncomingRequest, mergeKey: string): Promise<void> {
    const request = incoming.message;
    try {
      const from: Target = { protocol: incoming.protocol, address: incoming.source.address, port: incoming.source.port };
      const flow = await this.#ua.flowFor(from);
      // Our Contact on the flow the INVITE came on: the listening port, the address it reached.
      const local = { ...flow, local: { address: incoming.local.address === '0.0.0.0' || incoming.local.address === '::' ? flow.local.address : incoming.local.address, port: flow.local.port } };
      const contact = contactFor(local, request.parsedUri().user, request.parsedUri().scheme === 'sips');
      const made = InviteSession.incoming(this.#host, tx, incoming, contact);
      if (!(made instanceof InviteSession)) {
        tx.respond(made.reject);
        this.#merged.delete(mergeKey);
        return;
      }
      this.#sessions.add(made);
      this.#byServerTx.set(tx, made);
      this.#merged.set(mergeKey, made);
      const handler = this.#onIncoming;
      if (!handler) {
        made.reject(480);
        return;
      }
      try {
        handler(made);
      } catch {
        // The listener's bug: the caller still deserves an answer.
        made.reject(500);
      }
    } catch (err) {
      this.#merged.delete(mergeKey);
      const e = err as { status?: number; reason?: string };
      try {
        tx.respond(createResponse(request, { status: e.status ?? 500, reason: e.reason, toTag: generateTag() }));
      } catch {
        // The transaction times out by itself.
      }
    }
  }

  #receiveAck(incoming: IncomingRequest): void {
    try {
      const ack = incoming.message;
      const entry = this.#dialogs.get(dialogKey(dialogIdOf(ack)));
      // Only from the dialog's path (dialog-path.ts): an ACK may carry the answer to our offer.
      if (entry && entry.session.fromPath(entry.dialog, incoming)) entry.session.receiveAck(ack);
    } catch {
      // A malformed ACK: nothing to answer.
    }
  }
}
