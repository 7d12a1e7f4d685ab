/**
 * INVITE client transaction, RFC 3261 §17.1.1 with RFC 6026 §7.2, over a fake transport and
 * a fake clock. Each spec is named after the sentence it checks.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SipResponse } from '../../../main/sip/message/types.ts';
import { FakeClock } from '../../../main/sip/clock.ts';
import { TransactionLayer } from '../../../main/sip/transaction/transaction-layer.ts';
import type { InviteClientTransaction } from '../../../main/sip/transaction/invite-client-transaction.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import type { Target } from '../../../main/sip/transport/types.ts';
import { FakeTransport, flush, request, responseTo, TCP_TARGET, UDP_TARGET } from './helpers.ts';

function setup(target: Target = UDP_TARGET) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const layer = new TransactionLayer({ transport, clock });
  const responses: SipResponse[] = [];
  const onTimeout = vi.fn();
  const onTransportError = vi.fn();
  const invite = request({
    branch: null,
    extra: ['Route: <sip:proxy.example.com;lr>', 'Contact: <sip:alice@127.0.0.1:5070>'],
  });
  const tx = layer.request(invite, target, {
    onResponse: (r) => responses.push(r),
    onTimeout,
    onTransportError,
  }) as InviteClientTransaction;
  /** A response to what went on the wire, delivered from the network. */
  const answer = (status: number, toTag?: string): SipResponse => {
    const res = responseTo(transport.requests[0].request, status, toTag ? { toTag } : {});
    transport.deliver(res, target.protocol);
    return res;
  };
  /** Times (ms) at which the INVITE was passed to the transport. */
  const sendTimes: number[] = [];
  const origSend = transport.sendRequest.bind(transport);
  transport.sendRequest = (req, t) => {
    if (req.method === 'INVITE') sendTimes.push(clock.now());
    return origSend(req, t);
  };
  return { clock, transport, layer, tx, responses, onTimeout, onTransportError, answer, sendTimes };
}

describe('INVITE client transaction — a dead UDP target (§18.4)', () => {
  it('an ICMP unreachable heard at the first retransmission ends Calling with a 503, not Timer B\'s 408', async () => {
    const { clock, transport, tx, responses, onTimeout, onTransportError } = setup();
    transport.probeAnswer = Promise.resolve(new TransportError('nothing listens on UDP 127.0.0.2:5060', 'ECONNREFUSED'));
    await flush();
    clock.advance(500);
    await flush();
    expect(transport.probes).toHaveLength(1);
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(responses.map((r) => r.status)).toEqual([503]);
  });

  it('once a provisional arrived, a late probe answer is ignored', async () => {
    const { clock, transport, tx, responses, answer } = setup();
    let resolveProbe: (e: TransportError | undefined) => void = () => undefined;
    transport.probeAnswer = new Promise((resolve) => (resolveProbe = resolve));
    await flush();
    clock.advance(500);
    answer(180, 'b');
    resolveProbe(new TransportError('late', 'ECONNREFUSED'));
    await flush();
    expect(tx.state).toBe('Proceeding');
    expect(responses.map((r) => r.status)).toEqual([180]);
  });
});

describe('INVITE client transaction — Calling (§17.1.1.2)', () => {
  it('MUST enter Calling and pass the INVITE to the transport', () => {
    const { tx, transport } = setup();
    expect(tx.state).toBe('Calling');
    expect(tx.kind).toBe('invite-client');
    expect(transport.requestMethods()).toEqual(['INVITE']);
    expect(tx.branch.startsWith('z9hG4bK')).toBe(true);
  });

  it('Timer A starts at T1 and doubles until Timer B fires (64·T1) with a 408 to the TU', async () => {
    const { clock, tx, responses, onTimeout, transport, sendTimes } = setup();
    sendTimes.push(0); // the first send happened inside setup, before the spy
    await flush();
    clock.advance(31_999);
    // Intervals T1, 2T1, 4T1, 8T1, 16T1, 32T1: sends at 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 15_500, 31_500]);
    expect(tx.state).toBe('Calling');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(responses.map((r) => r.status)).toEqual([408]);
    expect(responses[0].cseq().method).toBe('INVITE');
    clock.advance(100_000);
    expect(transport.requests).toHaveLength(7);
    expect(clock.pending).toBe(0);
  });

  it('SHOULD NOT start Timer A on a reliable transport; Timer B still fires', async () => {
    const { clock, tx, transport, responses } = setup(TCP_TARGET);
    await flush();
    clock.advance(31_999);
    expect(transport.requests).toHaveLength(1);
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => r.status)).toEqual([408]);
  });

  it('stops retransmitting when the transport moved the request to a stream (§18.1.1)', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    transport.switchTo = 'TCP';
    const layer = new TransactionLayer({ transport, clock });
    const tx = layer.request(request({ branch: null }), UDP_TARGET, { onResponse: () => {} });
    await flush();
    expect(tx.target.protocol).toBe('TCP');
    clock.advance(10_000);
    expect(transport.requests).toHaveLength(1);
  });

  it('MUST transition to Proceeding on a 1xx and pass it to the TU; retransmissions stop', async () => {
    const { clock, tx, transport, responses, answer } = setup();
    await flush();
    answer(100);
    expect(tx.state).toBe('Proceeding');
    answer(180, 'totag');
    expect(responses.map((r) => r.status)).toEqual([100, 180]);
    clock.advance(200_000);
    expect(transport.requests).toHaveLength(1);
    expect(tx.state).toBe('Proceeding');
  });

  it('a fatal transport error in Calling: Terminated, and the TU gets a 503', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    transport.failWith = new TransportError('connection refused', 'ECONNREFUSED');
    const layer = new TransactionLayer({ transport, clock });
    const responses: SipResponse[] = [];
    const onTransportError = vi.fn();
    const tx = layer.request(request({ branch: null }), TCP_TARGET, { onResponse: (r) => responses.push(r), onTransportError });
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledWith(transport.failWith);
    expect(responses.map((r) => r.status)).toEqual([503]);
    expect(layer.clientTransactions.size).toBe(0);
  });

  it('a transport error on a retransmission also ends in 503', async () => {
    const { clock, tx, transport, responses } = setup();
    await flush();
    transport.failWith = new TransportError('unreachable', 'EHOSTUNREACH');
    clock.advance(500);
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => r.status)).toEqual([503]);
  });
});

describe('INVITE client transaction — final responses', () => {
  it('MUST transition to Completed on a 300-699 and generate the ACK of §17.1.1.3', async () => {
    const { tx, transport, responses, answer } = setup();
    await flush();
    const sentInvite = transport.requests[0].request;
    answer(486, 'bobtag');
    expect(tx.state).toBe('Completed');
    expect(responses.map((r) => r.status)).toEqual([486]);
    expect(transport.requestMethods()).toEqual(['INVITE', 'ACK']);
    const ack = transport.requests[1].request;
    expect(ack.uri).toBe(sentInvite.uri);
    expect(ack.topVia().branch).toBe(tx.branch);
    expect(ack.headers('Via')).toHaveLength(1);
    expect(ack.callId()).toBe(sentInvite.callId());
    expect(ack.from().params.get('tag')).toBe('fromtag1');
    expect(ack.to().params.get('tag')).toBe('bobtag');
    expect(ack.cseq()).toEqual({ seq: sentInvite.cseq().seq, method: 'ACK' });
    expect(ack.headers('Route')).toEqual(sentInvite.headers('Route'));
    expect(ack.hasHeader('Contact')).toBe(false);
    expect(ack.body.length).toBe(0);
    expect(transport.requests[1].target).toEqual(UDP_TARGET);
  });

  it('MUST transition from Proceeding to Completed on a 300-699', async () => {
    const { tx, answer } = setup();
    await flush();
    answer(180, 'bobtag');
    answer(603, 'bobtag');
    expect(tx.state).toBe('Completed');
  });

  it('a retransmitted final in Completed gets the ACK again and is not passed to the TU', async () => {
    const { tx, transport, responses, answer } = setup();
    await flush();
    answer(404, 'bobtag');
    answer(404, 'bobtag');
    answer(404, 'bobtag');
    expect(tx.state).toBe('Completed');
    expect(responses).toHaveLength(1);
    expect(transport.requestMethods()).toEqual(['INVITE', 'ACK', 'ACK', 'ACK']);
    expect(transport.requests[2].text).toBe(transport.requests[1].text);
  });

  it('Timer D: at least 32 s on UDP, then Terminated', async () => {
    const { clock, tx, answer, layer } = setup();
    await flush();
    answer(500, 'x');
    clock.advance(31_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(layer.clientTransactions.size).toBe(0);
  });

  it('Timer D is zero on a reliable transport: Terminated at once', async () => {
    const { tx, answer, transport } = setup(TCP_TARGET);
    await flush();
    answer(480, 'x');
    expect(tx.state).toBe('Terminated');
    expect(transport.requestMethods()).toEqual(['INVITE', 'ACK']);
  });

  it('a transport error while sending the ACK: Terminated, no 503 after the final response', async () => {
    const { tx, transport, responses, answer } = setup();
    await flush();
    transport.failWith = new TransportError('gone', 'EPIPE');
    answer(486, 'x');
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => r.status)).toEqual([486]);
  });
});

describe('INVITE client transaction — Accepted (RFC 6026 §7.2)', () => {
  it('MUST transition to Accepted on a 2xx, pass it to the TU and send no ACK', async () => {
    const { tx, transport, responses, answer } = setup();
    await flush();
    answer(200, 'bobtag');
    expect(tx.state).toBe('Accepted');
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(transport.requestMethods()).toEqual(['INVITE']);
  });

  it('passes every further 2xx to the TU while Accepted (retransmissions and forks)', async () => {
    const { tx, responses, answer } = setup();
    await flush();
    answer(180, 'a');
    answer(200, 'a');
    answer(200, 'a');
    answer(200, 'b');
    answer(486, 'c');
    expect(tx.state).toBe('Accepted');
    expect(responses.map((r) => `${r.status}/${r.to().params.get('tag')}`)).toEqual(['180/a', '200/a', '200/a', '200/b']);
  });

  it('Timer M (64·T1) ends Accepted; a later 2xx goes to onStray2xx', async () => {
    const { clock, tx, layer, answer, responses } = setup();
    const strays: SipResponse[] = [];
    layer.onStray2xx((r) => strays.push(r));
    await flush();
    answer(200, 'a');
    clock.advance(31_999);
    expect(tx.state).toBe('Accepted');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    answer(200, 'a');
    expect(responses).toHaveLength(1);
    expect(strays).toHaveLength(1);
  });

  it('a 2xx on a reliable transport also waits in Accepted for Timer M', async () => {
    const { clock, tx, answer } = setup(TCP_TARGET);
    await flush();
    answer(200, 'a');
    expect(tx.state).toBe('Accepted');
    clock.advance(32_000);
    expect(tx.state).toBe('Terminated');
  });
});
