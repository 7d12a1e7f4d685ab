/**
 * The non-INVITE client transaction: RFC 3261 §17.1.2.
 *
 *                                    |Request from TU
 *                                    |send request
 *                Timer E             V
 *                send request  +-----------+
 *                    +---------|           |-------------------+
 *                    |         |  Trying   |  Timer F          |
 *                    +-------->|           |  or Transport Err.|
 *                              +-----------+  inform TU        |
 *                 200-699         |  |        (408 / 503)      |
 *                 resp. to TU     |  |1xx                      |
 *                 +---------------+  |resp. to TU              |
 *                 |                  |                         |
 *                 |   Timer E        V       Timer F           |
 *                 |   send req +-----------+ or Transport Err. |
 *                 |  +---------|           | inform TU         |
 *                 |  |         |Proceeding |------------------>|
 *                 |  +-------->|           |-----+             |
 *                 |            +-----------+     |1xx          |
 *                 |              |      ^        |resp to TU   |
 *                 | 200-699      |      +--------+             |
 *                 | resp. to TU  |                             |
 *                 |              |                             |
 *                 |              V                             |
 *                 |            +-----------+                   |
 *                 |            |           |                   |
 *                 |            | Completed |                   |
 *                 |            |           |                   |
 *                 |            +-----------+                   |
 *                 |              ^   |                         |
 *                 |              |   | Timer K                 |
 *                 +--------------+   | -                       |
 *                                    |                         |
 *                                    V                         |
 *                              +-----------+                   |
 *                              |           |                   |
 *                              | Terminated|<------------------+
 *                              |           |
 *                              +-----------+
 *
 * Timer E (UDP only) starts at T1 and doubles up to T2 in Trying; in Proceeding it fires
 * every T2. Timer F = 64·T1. Timer K = T4 on UDP, 0 on reliable transports.
 */
import type { SipResponse } from '../message/types.ts';
import type { TransportError } from '../transport/types.ts';
import { ClientTransactionBase } from './client-transaction-base.ts';
import type { ClientTransactionOptions } from './client-transaction-base.ts';
import { timerValues } from './timers.ts';

export type NonInviteClientTransactionState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientTransactionState> {
  readonly kind = 'non-invite-client' as const;
  #intervalE = 0;
  readonly #timerE = this.timer(() => this.#fireE());
  readonly #timerF = this.timer(() => this.timeout());
  readonly #timerK = this.timer(() => this.terminate());

  constructor(opts: ClientTransactionOptions) {
    super(opts, 'Trying');
  }

  start(): void {
    const t = timerValues(this.context.timers, this.reliable);
    if (!this.reliable) {
      this.#intervalE = t.E;
      this.#timerE.start(this.#intervalE);
    }
    this.#timerF.start(t.F);
    this.send(this.request, () => {
      if (this.reliable) this.#timerE.clear();
    });
  }

  receiveResponse(response: SipResponse): void {
    switch (this.state) {
      case 'Trying':
      case 'Proceeding':
        if (response.status < 200) {
          this.setState('Proceeding');
          this.toTU(response);
        } else {
          this.#timerE.clear();
          this.#timerF.clear();
          this.setState('Completed');
          this.toTU(response);
          // §17.1.2.2: Timer K = T4 on unreliable transports, zero on reliable ones.
          const k = timerValues(this.context.timers, this.reliable).K;
          if (k === 0) this.terminate();
          else this.#timerK.start(k);
        }
        return;
      default:
        // Completed: response retransmissions are absorbed (§17.1.2.2).
        return;
    }
  }

  protected onTransportFailure(error: TransportError): void {
    if (this.state === 'Trying' || this.state === 'Proceeding') this.transportFailed(error);
  }

  /** §17.1.2.2: Timer E resets to min(2·E, T2) in Trying, and to T2 in Proceeding. */
  #fireE(): void {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return;
    this.send(this.request);
    this.probeIfSilent(() => this.state === 'Trying');
    const { T2 } = timerValues(this.context.timers, false);
    this.#intervalE = this.state === 'Trying' ? Math.min(2 * this.#intervalE, T2) : T2;
    this.#timerE.start(this.#intervalE);
  }
}
