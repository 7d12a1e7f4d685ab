/**
 * The INVITE server transaction: RFC 3261 §17.2.1 with the Accepted state of RFC 6026 §7.1.
 *
 *                               |INVITE
 *                               |pass INV to TU
 *            INVITE             V send 100 if TU won't in 200 ms
 *            send response+-----------+
 *                +--------|           |--------+ 101-199 from TU
 *                |        |           |        | send response
 *                +------->|           |<-------+
 *                         | Proceeding|
 *                         |           |--------+ Transport Err.
 *                         |           |        | Inform TU
 *                         |           |------->+------------------+
 *                         +-----------+                           |
 *            300-699 from TU |     |2xx from TU                   |
 *            send response   |     |send response                 |
 *                            |     +------------------+           |
 *            INVITE          V                        V           |
 *            send response+-----------+        +-----------+      |
 *                +--------|           |        |           |<---+ 2xx from TU
 *                |        | Completed |        | Accepted  |----+ send response
 *                +------->|           |        |           |<---+ INVITE: absorb
 *                         +-----------+        |           |----+ ACK: to TU
 *          Timer G fires    |  ^  |  |         |           |<---+ Transport Err.
 *          send response ---+  |  |  |         +-----------+----+ Inform TU
 *                     +--------+  |  |              |
 *                         ACK     |  | Timer H      | Timer L fires
 *                         -       |  | fires or     |
 *                         V       |  | Transport    |
 *                   +-----------+ |  | Err., Inform |
 *                   | Confirmed | |  | TU           |
 *                   +-----------+ |  |              |
 *          ACK: absorb  |         |  |              |
 *          Timer I fires|         |  |              |
 *                       V         V  V              V
 *                   +-------------------------------------+
 *                   |              Terminated             |<-- Transport Err. (Proceeding)
 *                   +-------------------------------------+
 *
 * Timer G (UDP only) starts at T1 and doubles up to T2; Timer H = 64·T1; Timer I = T4 on UDP,
 * 0 on reliable transports; Timer L = 64·T1. The TU retransmits its 2xx itself (§13.3.1.4),
 * by calling `respond()` again while the transaction is Accepted.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Incoming, TransportError } from '../transport/types.ts';
import { ServerTransactionBase } from './server-transaction-base.ts';
import type { ServerTransactionOptions } from './server-transaction-base.ts';
import { synthesizeResponse } from './synthesize-response.ts';
import { type Timer, timerValues } from './timers.ts';
import { safely } from './types.ts';

export type InviteServerTransactionState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

export interface InviteServerTransactionOptions extends ServerTransactionOptions {
  /** RFC 6026 §7.1: an ACK matched while Accepted is the TU's business (it acknowledges a 2xx). */
  onAck?: (incoming: Incoming & { message: SipRequest }) => void;
}

export class InviteServerTransaction extends ServerTransactionBase<InviteServerTransactionState> {
  readonly kind = 'invite-server' as const;
  readonly #onAck: ((incoming: Incoming & { message: SipRequest }) => void) | undefined;
  #intervalG = 0;
  readonly #timerTrying = this.timer(() => this.#fireTrying());
  // The others are made when first started: a transaction whose call was answered (the common
  // case) only ever needs Timer L, and it is kept for L's 32 s (see server-transaction-base.ts).
  #timerG: Timer | undefined;
  #timerH: Timer | undefined;
  #timerI: Timer | undefined;
  #timerL: Timer | undefined;

  constructor(opts: InviteServerTransactionOptions) {
    super(opts, 'Proceeding');
    this.#onAck = opts.onAck;
    // §17.2.1: 100 Trying unless the TU answers within 200 ms.
    this.#timerTrying.start(timerValues(this.context.timers, this.reliable).trying);
  }

  /** Whether a final response was sent (a CANCEL has no effect then, §9.2). */
  get answered(): boolean {
    return this.state !== 'Proceeding';
  }

  respond(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'Proceeding':
        this.#timerTrying.clear();
        if (status < 200) {
          this.send(response);
        } else if (status < 300) {
          // RFC 6026 §7.1: 2xx → Accepted, Timer L; the TU owns 2xx retransmissions.
          this.setState('Accepted');
          this.#timerL = this.timer(() => this.terminate());
          this.#timerL.start(timerValues(this.context.timers, this.reliable).L);
          this.send(response);
          this.compact();
        } else {
          this.setState('Completed');
          const t = timerValues(this.context.timers, this.reliable);
          if (!this.reliable) {
            this.#intervalG = t.G;
            this.#timerG = this.timer(() => this.#fireG());
            this.#timerG.start(this.#intervalG);
          }
          this.#timerH = this.timer(() => this.#fireH());
          this.#timerH.start(t.H);
          this.send(response);
          this.compact();
        }
        return;
      case 'Accepted':
        // RFC 6026 §7.1: 2xx retransmissions from the TU pass through.
        if (status >= 200 && status < 300) {
          this.send(response);
          this.compact();
        }
        return;
      default:
        return;
    }
  }

  receiveRequest(incoming: Incoming & { message: SipRequest }): void {
    const isAck = incoming.message.method === 'ACK';
    switch (this.state) {
      case 'Proceeding':
        // §17.2.1: a retransmitted INVITE gets the most recent provisional response.
        if (!isAck) this.resend();
        return;
      case 'Completed':
        if (isAck) {
          // §17.2.1: ACK → Confirmed; stop Timer G, start Timer I.
          this.#timerG?.clear();
          this.#timerH?.clear();
          this.setState('Confirmed');
          const i = timerValues(this.context.timers, this.reliable).I;
          if (i === 0) this.terminate();
          else {
            this.#timerI = this.timer(() => this.terminate());
            this.#timerI.start(i);
          }
        } else {
          this.resend();
        }
        return;
      case 'Accepted':
        // RFC 6026 §7.1: INVITE retransmissions are absorbed; ACKs go to the TU.
        if (isAck && this.#onAck) {
          const onAck = this.#onAck;
          safely(() => onAck(incoming));
        }
        return;
      default:
        // Confirmed: ACK retransmissions are absorbed (§17.2.1).
        return;
    }
  }

  protected override onTransportFailure(error: TransportError): void {
    if (this.state === 'Accepted') {
      // RFC 6026 §7.1: inform the TU and stay Accepted (the TU may still retransmit its 2xx).
      const hook = this.onTransportError;
      if (hook) safely(() => hook(error));
      return;
    }
    super.onTransportFailure(error);
  }

  #fireTrying(): void {
    if (this.state !== 'Proceeding' || this.lastResponse) return;
    // §17.2.1: the 100 carries no To tag (§8.2.6 as amended there).
    this.send(synthesizeResponse(this.request, 100, 'Trying'));
  }

  /** §17.2.1: Timer G resends the final response and resets to min(2·G, T2). */
  #fireG(): void {
    if (this.state !== 'Completed') return;
    this.resend();
    this.#intervalG = Math.min(2 * this.#intervalG, timerValues(this.context.timers).T2);
    this.#timerG?.start(this.#intervalG);
  }

  /** §17.2.1: Timer H in Completed → Terminated, the TU learns the ACK never came. */
  #fireH(): void {
    if (this.state !== 'Completed') return;
    this.terminate();
    const hook = this.onTimeout;
    if (hook) safely(hook);
  }
}
