/**
 * What a usage (registration, MESSAGE, OPTIONS) needs to send one request outside a dialog:
 * the next hop resolved (outbound proxy, else the Request-URI, RFC 3263), each target tried in
 * turn on a transport error, a timeout or a 503 (RFC 3263 §4.3), one client transaction per
 * try, and the final response back. Implemented by `UserAgent`.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { ClientTransaction } from '../transaction/transaction-layer.ts';
import type { Target, TransportError, TransportProtocol } from '../transport/types.ts';

/** The flow a request went out on: what a Contact or a keep-alive needs to know. */
export interface FlowInfo {
  protocol: TransportProtocol;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  connectionId?: string;
}

export interface SendOptions {
  /**
   * Called once per target just before the request is sent there, with the flow it will use:
   * the place to set a Contact that names our local address.
   */
  prepare?: (flow: FlowInfo) => void;
  /** Outbound proxy URI: every request goes there instead of where the Request-URI says. */
  proxy?: string;
  /** Transport to use when neither the URI nor DNS decides. */
  transport?: TransportProtocol;
  /**
   * A flow to reuse (a dialog's): a resolved target with the same protocol and address gets its
   * `connectionId`, so an open connection carries the request (RFC 5626 §5.3, RFC 3261 §18.1.1).
   */
  flow?: Target;
  /** Each client transaction as it starts, one per target tried (to CANCEL an INVITE, §9.1). */
  onTransaction?: (tx: ClientTransaction) => void;
  /** Every provisional response of each try (INVITE: 1xx; the final one is what `send` resolves with). */
  onProvisional?: (response: SipResponse) => void;
  /** Responses the transaction passes up after its first final one: 2xx retransmissions and forks (RFC 6026). */
  onLateResponse?: (response: SipResponse) => void;
}

export interface OutOfDialogSender {
  /**
   * Send and wait for the final response (provisional ones are skipped). Never rejects for a
   * protocol outcome: a timeout comes back as 408 and a transport failure as 503, with a reason
   * phrase in words ("no answer from 127.0.0.1:5060 over UDP after 32 s"), and the transport's
   * error as `failure` (a refused TLS certificate's code and facts).
   */
  send(request: SipRequest, options?: SendOptions): Promise<{ response: SipResponse; flow: FlowInfo; failure?: TransportError }>;
}
