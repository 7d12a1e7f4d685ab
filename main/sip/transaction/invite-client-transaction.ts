/**
 * The INVITE client transaction: RFC 3261 §17.1.1 with the Accepted state of RFC 6026 §7.2.
 *
 *                                |INVITE from TU
 *              Timer A fires     |INVITE sent
 *              Reset A,          V                      Timer B fires
 *              INVITE sent +-----------+                or Transport Err.
 *                +---------|           |---------------+inform TU (408 / 503)
 *                |         |  Calling  |               |
 *                +-------->|           |-------------->|
 *                          +-----------+ 2xx           |
 *                             |  |       2xx to TU     |
 *                             |  |1xx                  |
 *     300-699 +---------------+  |1xx to TU            |
 *    ACK sent |                  |                     |
 * resp. to TU |  1xx             V                     |
 *             |  1xx to TU  +-----------+              |
 *             |  +----------|           |              |
 *             |  |          |Proceeding |------------->|
 *             |  +--------->|           | Transport Err.
 *             |             +-----------+ inform TU    |
 *             |    300-699     |    |  2xx             |
 *             |    ACK sent,   |    |  2xx to TU       |
 *             |    resp. to TU |    +------+           |
 *             V                V           V           |
 *      +-----------+                +-----------+      |
 *      |           |                |           |      |
 *      | Completed |                | Accepted  |<--+ 2xx to TU
 *      |           |                |           |---+  |
 *      +-----------+                +-----------+      |
 *       ^   |  |                          |            |
 *       |   |  | Timer D fires            | Timer M    |
 *  300-699  |  | or Transport Err.        | fires      |
 *  ACK sent |  | (inform TU)              |            |
 *       +---+  V                          V            |
 *         +------------------------------------+       |
 *         |             Terminated             |<------+
 *         +------------------------------------+
 *
 * Timer A (UDP only) starts at T1 and doubles at each firing, with no cap (§17.1.1.2);
 * Timer B = 64·T1; Timer D = 32 s on UDP, 0 on reliable transports; Timer M = 64·T1.
 * The ACK for a 300-699 is built here (§17.1.1.3); the ACK for a 2xx belongs to the TU.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { TransportError } from '../transport/types.ts';
import { ClientTransactionBase } from './client-transaction-base.ts';
import type { ClientTransactionOptions } from './client-transaction-base.ts';
import { createAck } from './create-ack.ts';
import { timerValues } from './timers.ts';

export type InviteClientTransactionState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';

export class InviteClientTransaction extends ClientTransactionBase<InviteClientTransactionState> {
  readonly kind = 'invite-client' as const;
  #ack: SipRequest | undefined;
  #intervalA = 0;
  readonly #timerA = this.timer(() => this.#fireA());
  readonly #timerB = this.timer(() => this.#fireB());
  readonly #timerD = this.timer(() => this.terminate());
  readonly #timerM = this.timer(() => this.terminate());

  constructor(opts: ClientTransactionOptions) {
    super(opts, 'Calling');
  }

  /** The ACK this transaction sent for a 300-699 response, if any. */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  start(): void {
    const t = timerValues(this.context.timers, this.reliable);
    // §17.1.1.2: Timer A only on unreliable transports, Timer B on every transport.
    if (!this.reliable) {
      this.#intervalA = t.A;
      this.#timerA.start(this.#intervalA);
    }
    this.#timerB.start(t.B);
    this.send(this.request, () => {
      // The transport may have switched to a stream (§18.1.1): no retransmissions then.
      if (this.reliable) this.#timerA.clear();
    });
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'Calling':
      case 'Proceeding':
        if (status < 200) {
          if (this.state === 'Calling') {
            // §17.1.1.2: a provisional stops retransmissions; Timer B only matters in Calling.
            this.setState('Proceeding');
            this.#timerA.clear();
            this.#timerB.clear();
            this.toTU(response);
          } else {
            this.toTU(response);
          }
        } else if (status < 300) {
          // RFC 6026 §7.2: a 2xx moves to Accepted; the TU sends the ACK itself.
          this.#stopWaiting();
          this.setState('Accepted');
          this.#timerM.start(timerValues(this.context.timers, this.reliable).M);
          this.toTU(response);
        } else {
          this.#stopWaiting();
          this.setState('Completed');
          this.#sendAck(response);
          this.toTU(response);
          // §17.1.1.2: Timer D absorbs final-response retransmissions; zero on reliable transports.
          const d = timerValues(this.context.timers, this.reliable).D;
          if (d === 0) this.terminate();
          else this.#timerD.start(d);
        }
        return;
      case 'Completed':
        // §17.1.1.2: a retransmitted final response is answered with the same ACK, not passed up.
        if (status >= 300 && this.#ack) this.send(this.#ack);
        return;
      case 'Accepted':
        // RFC 6026 §7.2: every further 2xx goes to the TU (forked or retransmitted answers).
        if (status >= 200 && status < 300) this.toTU(response);
        return;
      case 'Terminated':
        return;
    }
  }

  protected onTransportFailure(error: TransportError): void {
    switch (this.state) {
      case 'Calling':
      case 'Proceeding':
        this.transportFailed(error);
        return;
      case 'Completed':
        // §17.1.1.2: the ACK could not be sent; the TU already has its final response.
        this.terminate();
        return;
      default:
        return;
    }
  }

  #stopWaiting(): void {
    this.#timerA.clear();
    this.#timerB.clear();
  }

  #sendAck(response: SipResponse): void {
    const ack = createAck(this.request, response);
    this.#ack = ack;
    this.send(ack);
  }

  /** §17.1.1.2: retransmit, then reset Timer A to twice its last value. */
  #fireA(): void {
    if (this.state !== 'Calling') return;
    this.send(this.request);
    this.probeIfSilent(() => this.state === 'Calling');
    this.#intervalA *= 2;
    this.#timerA.start(this.#intervalA);
  }

  /** §17.1.1.2: Timer B in Calling → Terminated, the TU hears 408 (§8.1.3.1). */
  #fireB(): void {
    if (this.state === 'Calling') this.timeout();
  }
}
