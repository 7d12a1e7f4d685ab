/**
 * Test doubles for the transaction layer: a fake Transport that records what was sent and
 * lets a test inject arrivals, and builders for the requests and responses the specs use.
 */
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import type { Incoming, Target, Transport, TransportProtocol } from '../../../main/sip/transport/types.ts';

export interface SentRequest {
  request: SipRequest;
  /** The wire text at the time of sending (the object may change later). */
  text: string;
  target: Target;
}

export interface SentResponse {
  response: SipResponse;
  text: string;
  to: Incoming;
}

/** A Transport that sends nothing: it records, and can be told to fail or to switch protocol. */
export class FakeTransport implements Transport {
  readonly requests: SentRequest[] = [];
  readonly responses: SentResponse[] = [];
  #handler: ((incoming: Incoming) => void) | undefined;
  /** When set, every send rejects with this error. */
  failWith: TransportError | undefined;
  /** When set, sendRequest resolves with this protocol instead of the one asked for (§18.1.1). */
  switchTo: TransportProtocol | undefined;
  /** The targets probed for ICMP unreachable (§18.4), and what the next probe answers. */
  readonly probes: Target[] = [];
  probeAnswer: Promise<TransportError | undefined> = Promise.resolve(undefined);

  probeUnreachable(target: Target): Promise<TransportError | undefined> {
    this.probes.push(target);
    return this.probeAnswer;
  }

  sendRequest(request: SipRequest, target: Target): Promise<Target> {
    this.requests.push({ request, text: request.toString(), target });
    if (this.failWith) return Promise.reject(this.failWith);
    const used: Target = this.switchTo ? { ...target, protocol: this.switchTo, connectionId: 'c1' } : target;
    return Promise.resolve(used);
  }

  sendResponse(response: SipResponse, to: Incoming): Promise<void> {
    this.responses.push({ response, text: response.toString(), to });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve();
  }

  onMessage(handler: (incoming: Incoming) => void): void {
    this.#handler = handler;
  }

  /** Deliver a message as if it had arrived over `protocol` from 127.0.0.2:5060. */
  deliver(message: SipRequest | SipResponse, protocol: TransportProtocol = 'UDP'): Incoming {
    const incoming: Incoming = {
      message,
      protocol,
      source: { address: '127.0.0.2', port: 5060 },
      local: { address: '127.0.0.1', port: 5060 },
      ...(protocol === 'UDP' ? {} : { connectionId: 'conn-1' }),
    };
    this.#handler?.(incoming);
    return incoming;
  }

  requestMethods(): string[] {
    return this.requests.map((s) => s.request.method);
  }

  responseStatuses(): number[] {
    return this.responses.map((s) => s.response.status);
  }
}

/** Let promise callbacks (transport resolutions) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export const UDP_TARGET: Target = { protocol: 'UDP', address: '127.0.0.2', port: 5060 };
export const TCP_TARGET: Target = { protocol: 'TCP', address: '127.0.0.2', port: 5060 };

function crlf(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export interface RequestSpec {
  method?: string;
  uri?: string;
  branch?: string | null;
  via?: string;
  cseq?: number;
  cseqMethod?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  extra?: string[];
  body?: string;
}

/** A request as it would arrive (or as a TU would hand it over when `branch` is null: no Via). */
export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INVITE';
  const uri = spec.uri ?? 'sip:bob@example.com';
  const lines = [`${method} ${uri} SIP/2.0`];
  if (spec.via !== undefined) lines.push(`Via: ${spec.via}`);
  else lines.push(`Via: SIP/2.0/UDP 127.0.0.2:5060;branch=${spec.branch ?? 'z9hG4bKabc1'}`);
  lines.push(
    'Max-Forwards: 70',
    `From: Alice <sip:alice@example.com>;tag=${spec.fromTag ?? 'fromtag1'}`,
    `To: Bob <sip:bob@example.com>${spec.toTag ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${spec.callId ?? 'call-1@example.com'}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.cseqMethod ?? method}`,
    ...(spec.extra ?? []),
    `Content-Length: ${Buffer.byteLength(spec.body ?? '')}`,
  );
  const m = parseMessage(crlf(lines, spec.body ?? ''));
  if (m.kind !== 'request') throw new Error('not a request');
  // A request from the TU has no Via yet (the parser insists on one, so it goes afterwards).
  if (spec.branch === null) m.removeHeader('Via');
  return m;
}

/** A response to `req` (its Via, From, To, Call-ID, CSeq copied), optionally with a To tag. */
export function responseTo(req: SipRequest, status: number, opts: { toTag?: string; reason?: string; extra?: string[] } = {}): SipResponse {
  const lines = [`SIP/2.0 ${status} ${opts.reason ?? 'Whatever'}`];
  for (const v of req.headers('Via')) lines.push(`Via: ${v}`);
  const to = req.header('To') ?? '';
  lines.push(
    `From: ${req.header('From')}`,
    `To: ${opts.toTag && !/;tag=/.test(to) ? `${to};tag=${opts.toTag}` : to}`,
    `Call-ID: ${req.callId()}`,
    `CSeq: ${req.cseq().seq} ${req.cseq().method}`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
  );
  const m = parseMessage(crlf(lines));
  if (m.kind !== 'response') throw new Error('not a response');
  return m;
}
