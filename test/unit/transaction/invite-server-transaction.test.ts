/**
 * INVITE server transaction, RFC 3261 §17.2.1 with RFC 6026 §7.1, over a fake transport and
 * a fake clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SipRequest } from '../../../main/sip/message/types.ts';
import type { InviteServerTransaction } from '../../../main/sip/transaction/invite-server-transaction.ts';
import { FakeClock } from '../../../main/sip/clock.ts';
import { TransactionLayer } from '../../../main/sip/transaction/transaction-layer.ts';
import type { ServerTransaction } from '../../../main/sip/transaction/transaction-layer.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import type { TransportProtocol } from '../../../main/sip/transport/types.ts';
import { FakeTransport, flush, request, responseTo } from './helpers.ts';

function setup(protocol: TransportProtocol = 'UDP') {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const layer = new TransactionLayer({ transport, clock });
  const seen: ServerTransaction[] = [];
  const acks: { method: string; tx: InviteServerTransaction | undefined }[] = [];
  layer.onRequest((tx) => seen.push(tx));
  layer.onAck((incoming, tx) => acks.push({ method: incoming.message.method, tx }));
  const invite = request({ branch: 'z9hG4bKinv1' });
  transport.deliver(invite, protocol);
  const tx = seen[0] as InviteServerTransaction;
  const sendTimes: number[] = [];
  const orig = transport.sendResponse.bind(transport);
  transport.sendResponse = (res, to) => {
    sendTimes.push(clock.now());
    return orig(res, to);
  };
  const again = (): void => void transport.deliver(request({ branch: 'z9hG4bKinv1' }), protocol);
  const ack = (toTag = 'uas'): void =>
    void transport.deliver(request({ method: 'ACK', branch: 'z9hG4bKinv1', toTag }), protocol);
  return { clock, transport, layer, seen, acks, invite, tx, again, ack, sendTimes };
}

const reply = (req: SipRequest, status: number, toTag = 'uas') => responseTo(req, status, status === 100 ? {} : { toTag });

describe('INVITE server transaction — Proceeding (§17.2.1)', () => {
  it('MUST enter Proceeding and pass the INVITE to the TU', () => {
    const { tx, seen } = setup();
    expect(seen).toHaveLength(1);
    expect(tx.kind).toBe('invite-server');
    expect(tx.state).toBe('Proceeding');
    expect(tx.request.method).toBe('INVITE');
  });

  it('MUST generate a 100 Trying when the TU has not answered within 200 ms, without a To tag', () => {
    const { clock, transport } = setup();
    clock.advance(199);
    expect(transport.responses).toHaveLength(0);
    clock.advance(1);
    expect(transport.responseStatuses()).toEqual([100]);
    const trying = transport.responses[0].response;
    expect(trying.to().params.has('tag')).toBe(false);
    expect(trying.topVia().branch).toBe('z9hG4bKinv1');
    expect(trying.cseq()).toEqual({ seq: 1, method: 'INVITE' });
  });

  it('sends no 100 Trying when the TU answered within 200 ms', () => {
    const { clock, transport, tx, invite } = setup();
    clock.advance(50);
    tx.respond(reply(invite, 180));
    clock.advance(1000);
    expect(transport.responseStatuses()).toEqual([180]);
  });

  it('passes every provisional from the TU to the transport without changing state', () => {
    const { transport, tx, invite } = setup();
    tx.respond(reply(invite, 180));
    tx.respond(reply(invite, 183));
    expect(tx.state).toBe('Proceeding');
    expect(transport.responseStatuses()).toEqual([180, 183]);
  });

  it('a retransmitted INVITE in Proceeding gets the most recent provisional, and is not passed to the TU', () => {
    const { transport, tx, invite, again, seen } = setup();
    again();
    expect(transport.responses).toHaveLength(0);
    tx.respond(reply(invite, 180));
    tx.respond(reply(invite, 183));
    again();
    expect(transport.responseStatuses()).toEqual([180, 183, 183]);
    expect(seen).toHaveLength(1);
  });

  it('a transport error in Proceeding: Terminated, and the TU is informed', async () => {
    const { transport, tx, invite, layer } = setup();
    const onTransportError = vi.fn();
    tx.onTransportError = onTransportError;
    transport.failWith = new TransportError('closed', 'EPIPE');
    tx.respond(reply(invite, 180));
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
    expect(layer.serverTransactions.size).toBe(0);
  });
});

describe('INVITE server transaction — Completed and Confirmed', () => {
  it('MUST transition to Completed on a 300-699 from the TU; Timer G starts at T1 and is capped at T2', () => {
    const { clock, tx, invite, sendTimes } = setup();
    tx.respond(reply(invite, 486));
    expect(tx.state).toBe('Completed');
    clock.advance(20_000);
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500]);
  });

  it('Timer H (64·T1) without an ACK: Terminated, and the TU hears of the timeout', () => {
    const { clock, tx, invite, transport } = setup();
    const onTimeout = vi.fn();
    tx.onTimeout = onTimeout;
    tx.respond(reply(invite, 500));
    clock.advance(31_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(onTimeout).toHaveBeenCalledTimes(1);
    const count = transport.responses.length;
    clock.advance(60_000);
    expect(transport.responses).toHaveLength(count);
  });

  it('a retransmitted INVITE in Completed gets the final response again', () => {
    const { tx, invite, again, transport } = setup();
    tx.respond(reply(invite, 404));
    again();
    expect(transport.responseStatuses()).toEqual([404, 404]);
  });

  it('MUST transition to Confirmed on the ACK; Timer G stops, and the ACK does not reach the TU', () => {
    const { clock, tx, invite, ack, transport, acks } = setup();
    tx.respond(reply(invite, 486));
    clock.advance(600);
    ack();
    expect(tx.state).toBe('Confirmed');
    const count = transport.responses.length;
    clock.advance(4000);
    expect(transport.responses).toHaveLength(count);
    expect(acks).toHaveLength(0);
  });

  it('absorbs ACK retransmissions in Confirmed; Timer I (T4) ends it', () => {
    const { clock, tx, invite, ack, acks, layer } = setup();
    tx.respond(reply(invite, 486));
    ack();
    ack();
    clock.advance(4999);
    expect(tx.state).toBe('Confirmed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(acks).toHaveLength(0);
    expect(layer.serverTransactions.size).toBe(0);
  });

  it('on a reliable transport: no Timer G, and Timer I is zero', () => {
    const { clock, tx, invite, ack, transport } = setup('TCP');
    tx.respond(reply(invite, 486));
    clock.advance(10_000);
    expect(transport.responseStatuses()).toEqual([486]);
    ack();
    expect(tx.state).toBe('Terminated');
  });

  it('ignores responses from the TU once Completed', () => {
    const { tx, invite, transport } = setup();
    tx.respond(reply(invite, 486));
    tx.respond(reply(invite, 200));
    expect(transport.responseStatuses()).toEqual([486]);
    expect(tx.state).toBe('Completed');
  });

  it('a transport error while retransmitting the final response: Terminated, TU informed', async () => {
    const { clock, tx, invite, transport } = setup();
    const onTransportError = vi.fn();
    tx.onTransportError = onTransportError;
    tx.respond(reply(invite, 486));
    await flush();
    transport.failWith = new TransportError('unreachable', 'EHOSTUNREACH');
    clock.advance(500);
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
  });
});

describe('INVITE server transaction — Accepted (RFC 6026 §7.1)', () => {
  it('MUST transition to Accepted on a 2xx from the TU', () => {
    const { tx, invite, transport } = setup();
    tx.respond(reply(invite, 200));
    expect(tx.state).toBe('Accepted');
    expect(transport.responseStatuses()).toEqual([200]);
  });

  it('absorbs INVITE retransmissions while Accepted: not answered, not passed to the TU', () => {
    const { tx, invite, again, transport, seen } = setup();
    tx.respond(reply(invite, 200));
    again();
    again();
    expect(transport.responseStatuses()).toEqual([200]);
    expect(seen).toHaveLength(1);
  });

  it('passes the TU’s 2xx retransmissions to the transport, and nothing else', () => {
    const { tx, invite, transport } = setup();
    tx.respond(reply(invite, 200));
    tx.respond(reply(invite, 200));
    tx.respond(reply(invite, 486));
    expect(transport.responseStatuses()).toEqual([200, 200]);
  });

  it('passes a matching ACK to the TU while Accepted', () => {
    const { tx, invite, ack, acks } = setup();
    tx.respond(reply(invite, 200));
    ack();
    expect(acks).toEqual([{ method: 'ACK', tx }]);
    expect(tx.state).toBe('Accepted');
  });

  it('Timer L (64·T1) ends Accepted', () => {
    const { clock, tx, invite, layer } = setup();
    tx.respond(reply(invite, 200));
    clock.advance(31_999);
    expect(tx.state).toBe('Accepted');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(layer.serverTransactions.size).toBe(0);
  });

  it('a transport error while Accepted informs the TU and stays Accepted', async () => {
    const { tx, invite, transport } = setup();
    const onTransportError = vi.fn();
    tx.onTransportError = onTransportError;
    transport.failWith = new TransportError('closed', 'EPIPE');
    tx.respond(reply(invite, 200));
    await flush();
    expect(onTransportError).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('Accepted');
  });
});
