/**
 * What the INVITE and non-INVITE server transactions share: the request and where it came
 * from, sending responses back the way §18.2.2 says (the transport decides), and termination.
 *
 * Once a final response is sent, a transaction over UDP lives on only to answer retransmissions
 * (Timer J, L, H, I: up to 64·T1 = 32 s), and at a high call rate thousands of them wait at once.
 * Then it keeps its request and last response as bytes (`compact()`), not as parsed messages of a
 * hundred small objects each that every young-generation garbage collection would copy: at 240
 * calls/s those copies made the engine's main thread pause 15-40 ms, long enough for calls to
 * pile up. Either is parsed again from its bytes on the rare occasion it is needed (a
 * retransmission, a CANCEL, a peer without the magic cookie).
 *
 * Those bytes are copied into buffers of their own size: a message's bytes are usually a view on a
 * larger buffer (Node's 64 KB pool that small Buffers are cut from, a TCP read), and the view
 * would keep the whole of it alive for those 32 s — at one call every second, hundreds of KB.
 */
import { parseMessage } from '../message/parse-message.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { isReliable } from '../transport/types.ts';
import type { Incoming, TransportError } from '../transport/types.ts';
import { asTransportError } from './client-transaction-base.ts';
import { Timer } from './timers.ts';
import { safely } from './types.ts';
import type { ServerTransactionEvents, TransactionContext, TransactionState } from './types.ts';

export interface ServerTransactionOptions {
  /** The request that created the transaction, as it arrived. */
  incoming: Incoming & { message: SipRequest };
  context: TransactionContext;
  /** Called once, when the transaction reaches Terminated (the layer forgets it then). */
  onTerminated?: () => void;
}

/** `bytes` alone: the view itself when it spans its whole buffer, else a copy of just its bytes. */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** A compacted transaction's request: where it came from, and its bytes, parsed again when asked for. */
class KeptArrival implements Incoming {
  readonly protocol: Incoming['protocol'];
  readonly source: Incoming['source'];
  readonly local: Incoming['local'];
  readonly connectionId: string | undefined;
  readonly #bytes: Uint8Array;

  constructor(incoming: Incoming & { message: SipRequest }) {
    this.protocol = incoming.protocol;
    this.source = incoming.source;
    this.local = incoming.local;
    this.connectionId = incoming.connectionId;
    this.#bytes = ownBytes(incoming.message.toBytes());
  }

  get message(): SipRequest {
    return parseMessage(this.#bytes) as SipRequest;
  }
}

export abstract class ServerTransactionBase<S extends TransactionState> implements ServerTransactionEvents {
  readonly method: string;
  protected readonly context: TransactionContext;
  onTransportError: ((error: TransportError) => void) | undefined;
  onTimeout: (() => void) | undefined;
  onTerminated: (() => void) | undefined;
  #state: S;
  /** The request and where it came from (a KeptArrival once compacted). */
  #incoming: Incoming & { message: SipRequest };
  #lastResponse: SipResponse | undefined;
  #lastResponseBytes: Uint8Array | undefined;
  readonly #onTerminatedLayer: (() => void) | undefined;
  readonly #timers: Timer[] = [];

  protected constructor(opts: ServerTransactionOptions, initial: S) {
    this.#incoming = opts.incoming;
    this.method = opts.incoming.message.method;
    this.context = opts.context;
    this.#state = initial;
    this.#onTerminatedLayer = opts.onTerminated;
  }

  get state(): S {
    return this.#state;
  }

  /** The request that created the transaction, as it arrived. */
  get request(): SipRequest {
    return this.#incoming.message;
  }

  /** The request with where it came from (protocol, source, our socket, connection). */
  get incoming(): Incoming & { message: SipRequest } {
    return this.#incoming;
  }

  /** Whether the request came over a reliable transport (no response retransmissions, zero waits). */
  get reliable(): boolean {
    return isReliable(this.incoming.protocol);
  }

  /** The last response passed to the transport, which answers request retransmissions. */
  get lastResponse(): SipResponse | undefined {
    if (this.#lastResponse) return this.#lastResponse;
    return this.#lastResponseBytes ? (parseMessage(this.#lastResponseBytes) as SipResponse) : undefined;
  }

  /**
   * Keep the request and the last response as bytes from now on (see the file's comment): for a
   * transaction that waits for retransmissions after its final response. The next `send()`
   * (a 2xx the TU retransmits) holds its response as an object again until compacted again.
   */
  protected compact(): void {
    if (this.terminated) return;
    if (this.#lastResponse) {
      this.#lastResponseBytes = ownBytes(this.#lastResponse.toBytes());
      this.#lastResponse = undefined;
    }
    if (!(this.#incoming instanceof KeptArrival)) this.#incoming = new KeptArrival(this.#incoming);
  }

  /** The TU's response to the request. What happens depends on the state (see the diagram). */
  abstract respond(response: SipResponse): void;

  /** A retransmission of the request, or an ACK, matched to this transaction (§17.2.3). */
  abstract receiveRequest(incoming: Incoming & { message: SipRequest }): void;

  protected get terminated(): boolean {
    return this.#state === 'Terminated';
  }

  protected setState(state: S): void {
    this.#state = state;
  }

  protected timer(fire: () => void): Timer {
    const t = new Timer(this.context.clock, () => {
      if (!this.terminated) fire();
    });
    this.#timers.push(t);
    return t;
  }

  /** Pass a response to the transport (§18.2.2 is the transport's business), remembering it. */
  protected send(response: SipResponse): void {
    this.#lastResponse = response;
    this.#lastResponseBytes = undefined;
    this.#transmit(response);
  }

  #transmit(response: SipResponse): void {
    this.context.transport.sendResponse(response, this.#incoming).catch((error: unknown) => {
      const failure = asTransportError(error);
      if (!this.terminated) return this.onTransportFailure(failure);
      // A final response on a stream ends the transaction at once (Timer J/I = 0): still say it failed.
      const hook = this.onTransportError;
      if (hook) safely(() => hook(failure));
    });
  }

  /** Resend the last response, if there is one (as it is kept: an object, or bytes parsed for this send). */
  protected resend(): void {
    const response = this.lastResponse;
    if (response) this.#transmit(response);
  }

  /** §17.2.4: a failure to send a response. The default ends the transaction and tells the TU. */
  protected onTransportFailure(error: TransportError): void {
    this.terminate();
    const hook = this.onTransportError;
    if (hook) safely(() => hook(error));
  }

  /** Enter Terminated: every timer stops, the layer forgets us, the TU hears it. Idempotent. */
  terminate(): void {
    if (this.terminated) return;
    this.#state = 'Terminated' as S;
    for (const t of this.#timers) t.clear();
    if (this.#onTerminatedLayer) safely(this.#onTerminatedLayer);
    const hook = this.onTerminated;
    if (hook) safely(hook);
  }
}
