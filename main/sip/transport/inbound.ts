/**
 * What the transport lets in (RFC 3261 §18.2.1, §18.1.2): every datagram and framed stream
 * message passes here before anyone above sees it.
 *
 *   1. CRLF keep-alives are ignored.
 *   2. A request over its source's rate (SourceLimiter) is dropped before it costs a parse, or
 *      refused with 503 and Retry-After (§21.5.4) once a second per source.
 *   3. Parse; a malformed request gets 400/505 on the way it came, a malformed response a log line.
 *   4. Screen: a request's top Via is stamped with `received`/`rport` (§18.2.1, RFC 3581 §4); a
 *      response whose top Via is not ours is discarded (§18.1.2).
 *   5. The message goes to every `onMessage` handler; a handler that throws is logged.
 *
 * An accepted connection's message deadline (a slowloris holds no descriptor) is kept by
 * StreamConnection; the connection caps by StreamPool.
 */
import { SipParseError, createErrorResponse, createResponse, formatVia, generateTag, parseMessage } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import { hostPort } from './describe-connect-error.ts';
import type { OwnSentBy } from './own-sent-by.ts';
import type { TransportLogger } from './sip-transport-options.ts';
import type { SourceLimiter } from './source-limiter.ts';
import { stampVia } from './stamp-via.ts';
import type { StreamConnection } from './stream-connection.ts';
import type { StreamPool } from './stream-pool.ts';
import type { Incoming, TransportProtocol } from './types.ts';
import type { UdpEndpoint, UdpEndpoints } from './udp-endpoints.ts';
import type { WireTrace } from './wire-trace.ts';

/** How to answer on the way a message came (same connection, or the same UDP socket). */
export interface Arrival {
  protocol: TransportProtocol;
  source: { address: string; port: number };
  local: { address: string; port: number };
  connection?: StreamConnection;
  endpoint?: UdpEndpoint;
}

export interface InboundOptions {
  /** Requests per source address, asked before parsing; none: unlimited. */
  limiter?: SourceLimiter;
  sentBy: OwnSentBy;
  trace: WireTrace;
  logger: TransportLogger;
  udp: UdpEndpoints;
  streams: StreamPool;
  /** Counts the requests dropped or refused by the limiter. */
  stats: { limitedRequests: number };
  /** Send a response the full way back (§18.2.2), for the 503 to a source over its rate. */
  respond(response: SipResponse, to: Incoming): Promise<void>;
}

const textDecoder = new TextDecoder();

export class Inbound {
  readonly #options: InboundOptions;
  readonly #handlers: Array<(incoming: Incoming) => void> = [];

  constructor(options: InboundOptions) {
    this.#options = options;
  }

  onMessage(handler: (incoming: Incoming) => void): void {
    this.#handlers.push(handler);
  }

  /** One datagram or one framed stream message. */
  receive(data: Uint8Array, arrival: Arrival): void {
    const { limiter, stats, logger } = this.#options;
    // CRLF keep-alives on UDP (RFC 5626 §3.5.1 uses STUN there; we accept CRLFs and ignore them).
    if (data.every((b) => b === 0x0d || b === 0x0a || b === 0x20)) return;
    // A request over its source's rate is dropped before it costs a parse (a response starts "SIP/").
    const verdict = limiter && !startsWithSip(data) ? limiter.take(arrival.source.address) : 'ok';

    if (verdict === 'drop') {
      stats.limitedRequests++;
      return;
    }
    this.#options.trace.emit('received', arrival.protocol, arrival.local, arrival.source, data);
    let message: SipMessage;
    try {
      message = parseMessage(data);
      if (verdict === 'refuse') {
        stats.limitedRequests++;
        if (message.kind === 'request' && message.method !== 'ACK') void this.#refuseOverRate(message, arrival, limiter!.retryAfter);
        return;
      }
      if (message.kind === 'request') {
        // §18.2.1 and RFC 3581 §4: record where the request really came from.
        const top = message.topVia();
        const stamped = stampVia(top, arrival.source);
        if (stamped) {
          const vias = message.headers('Via');
          vias[0] = formatVia(stamped);
          message.setHeader('Via', vias);
        }
      } else {
        // §18.1.2: a response whose top Via is not ours is discarded.
        const top = message.topVia();
        if (!this.#options.sentBy.isOurs(top, arrival.connection?.id)) {
          logger.warn(`dropped a response from ${where(arrival)}: top Via sent-by ${hostPort(top.host, top.port ?? 5060)} is not ours`);
          return;
        }
      }
    } catch (err) {
      this.#malformed(data, err, arrival);
      return;
    }
    const incoming: Incoming = {
      message,
      protocol: arrival.protocol,
      source: { ...arrival.source },
      local: { ...arrival.local },
      connectionId: arrival.connection?.id,
    };
    for (const handler of this.#handlers) {
      try {
        handler(incoming);
      } catch (err) {
        logger.warn(`message handler threw: ${(err as Error).message}`);
      }
    }
  }

  /** A framing error on a stream (oversized header block or body): answer if we can, then it closes. */
  answerFramingError(connection: StreamConnection, status: number, reason: string, head: Uint8Array): void {
    this.#options.logger.warn(`closing ${connection.protocol} connection from ${hostPort(connection.remote.address, connection.remote.port)}: ${status} ${reason}`);
    const start = textDecoder.decode(head.subarray(0, 8));
    if (start.startsWith('SIP/') || /^ACK\s/i.test(start)) return;
    try {
      const bytes = createErrorResponse(head, new SipParseError(status, reason));
      if (bytes) {
        connection.socket.write(bytes);
        this.#options.trace.emit('sent', connection.protocol, connection.local, connection.remote, bytes);
      }
    } catch {
      // Not even a Via to answer to: closing is all that is left.
    }
  }

  /** RFC 3261 §21.5.4: 503 with Retry-After, sent without a transaction (nothing is kept of it). */
  async #refuseOverRate(request: SipRequest, arrival: Arrival, retryAfter: number): Promise<void> {
    try {
      const response = createResponse(request, { status: 503, reason: 'Service Unavailable', toTag: generateTag(), fields: [['Retry-After', String(retryAfter)]] });
      await this.#options.respond(response, { message: request, protocol: arrival.protocol, source: arrival.source, local: arrival.local, connectionId: arrival.connection?.id });
    } catch {
      // Nothing more is owed to a flood.
    }
  }

  /** Bad input gets a clear answer (DESIGN.md): 400/505 for a request, a log line for a response. */
  #malformed(data: Uint8Array, err: unknown, arrival: Arrival): void {
    const { logger } = this.#options;
    const reason = err instanceof SipParseError ? `${err.status} ${err.reason}` : (err as Error).message;
    const start = textDecoder.decode(data.subarray(0, 8));
    if (start.startsWith('SIP/')) {
      logger.warn(`dropped a malformed response from ${where(arrival)}: ${reason}`);
      return;
    }
    if (!(err instanceof SipParseError) || /^ACK\s/i.test(start)) {
      // Never answer an ACK (§17.2.1); an unexpected error is only logged.
      logger.warn(`dropped a malformed request from ${where(arrival)}: ${reason}`);
      return;
    }
    const reply = createErrorResponse(data, err);
    if (!reply) {
      logger.warn(`dropped a malformed request from ${where(arrival)} (${reason}): too broken to answer`);
      return;
    }
    logger.debug?.(`answered a malformed request from ${where(arrival)} with ${reason}`);
    this.#replyRaw(reply, arrival);
  }

  /** The same way back, without routing: same connection, or the same UDP socket to the source. */
  #replyRaw(bytes: Uint8Array, arrival: Arrival): void {
    const failed = (err: unknown) => this.#options.logger.warn(`could not answer ${where(arrival)}: ${(err as Error).message}`);
    if (arrival.connection) {
      this.#options.streams.write(arrival.connection, bytes).catch(failed);
    } else if (arrival.endpoint) {
      this.#options.udp.send(arrival.endpoint, bytes, arrival.source).catch(failed);
    }
  }
}

function where(arrival: Arrival): string {
  return `${arrival.protocol} ${hostPort(arrival.source.address, arrival.source.port)}`;
}

/** Whether a message starts with "SIP/" (a response's status line) rather than a method. */
function startsWithSip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x53 && data[1] === 0x49 && data[2] === 0x50 && data[3] === 0x2f;
}
