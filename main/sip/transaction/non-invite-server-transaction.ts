/**
 * The non-INVITE server transaction: RFC 3261 §17.2.2.
 *
 *                                   |Request received
 *                                   |pass to TU
 *                                   V
 *                             +-----------+
 *                             |           |
 *                             | Trying    |-------------+
 *                             |           |             |
 *                             +-----------+             |200-699 from TU
 *                                   |                   |send response
 *                                   |1xx from TU        |
 *                                   |send response      |
 *                                   |                   |
 *                Request            V      1xx from TU  |
 *                send response+-----------+send response|
 *                    +--------|           |--------+    |
 *                    |        | Proceeding|        |    |
 *                    +------->|           |<-------+    |
 *             +<--------------|           |             |
 *             |Trnsprt Err    +-----------+             |
 *             |Inform TU            |                   |
 *             |                     |                   |
 *             |                     |200-699 from TU    |
 *             |                     |send response      |
 *             |  Request            V                   |
 *             |  send response+-----------+             |
 *             |      +--------|           |             |
 *             |      |        | Completed |<------------+
 *             |      +------->|           |
 *             +<--------------|           |
 *             |Trnsprt Err    +-----------+
 *             |Inform TU            |
 *             |                     |Timer J fires
 *             |                     |-
 *             |                     |
 *             |                     V
 *             |               +-----------+
 *             |               |           |
 *             +-------------->| Terminated|
 *                             |           |
 *                             +-----------+
 *
 * Request retransmissions are discarded in Trying, answered with the last provisional in
 * Proceeding and with the final response in Completed. Timer J = 64·T1 on UDP, 0 on reliable.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Incoming } from '../transport/types.ts';
import { ServerTransactionBase } from './server-transaction-base.ts';
import type { ServerTransactionOptions } from './server-transaction-base.ts';
import { timerValues } from './timers.ts';

export type NonInviteServerTransactionState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerTransactionState> {
  readonly kind = 'non-invite-server' as const;
  readonly #timerJ = this.timer(() => this.terminate());

  constructor(opts: ServerTransactionOptions) {
    super(opts, 'Trying');
  }

  /** Whether a final response was sent. */
  get answered(): boolean {
    return this.state === 'Completed' || this.state === 'Terminated';
  }

  respond(response: SipResponse): void {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return;
    if (response.status < 200) {
      this.setState('Proceeding');
      this.send(response);
      return;
    }
    this.setState('Completed');
    this.send(response);
    // §17.2.2: Timer J = 64·T1 on unreliable transports, zero on reliable ones.
    const j = timerValues(this.context.timers, this.reliable).J;
    if (j === 0) this.terminate();
    else {
      this.#timerJ.start(j);
      this.compact();
    }
  }

  receiveRequest(_incoming: Incoming & { message: SipRequest }): void {
    // §17.2.2: discarded in Trying; the last response is resent in Proceeding and Completed.
    if (this.state === 'Proceeding' || this.state === 'Completed') this.resend();
  }
}
