/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2, over a fake transport and a fake clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SipResponse } from '../../../main/sip/message/types.ts';
import { FakeClock } from '../../../main/sip/clock.ts';
import { TransactionLayer } from '../../../main/sip/transaction/transaction-layer.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import type { Target } from '../../../main/sip/transport/types.ts';
import { FakeTransport, flush, request, responseTo, TCP_TARGET, UDP_TARGET } from './helpers.ts';

function setup(target: Target = UDP_TARGET, timers?: { T1?: number; T2?: number; T4?: number }) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const layer = new TransactionLayer({ transport, clock, ...(timers ? { timers } : {}) });
  const responses: SipResponse[] = [];
  const onTimeout = vi.fn();
  const sendTimes: number[] = [];
  const origSend = transport.sendRequest.bind(transport);
  transport.sendRequest = (req, t) => {
    sendTimes.push(clock.now());
    return origSend(req, t);
  };
  const tx = layer.request(request({ method: 'REGISTER', uri: 'sip:example.com', branch: null }), target, {
    onResponse: (r) => responses.push(r),
    onTimeout,
  });
  const answer = (status: number): void => {
    transport.deliver(responseTo(transport.requests[0].request, status, { toTag: 'reg' }), target.protocol);
  };
  return { clock, transport, layer, tx, responses, onTimeout, answer, sendTimes };
}

describe('non-INVITE client transaction — Trying (§17.1.2.2)', () => {
  it('MUST enter Trying and pass the request to the transport', () => {
    const { tx, transport } = setup();
    expect(tx.kind).toBe('non-invite-client');
    expect(tx.state).toBe('Trying');
    expect(transport.requestMethods()).toEqual(['REGISTER']);
  });

  it('Timer E doubles from T1 but is capped at T2, until Timer F fires with a 408', async () => {
    const { clock, tx, responses, onTimeout, sendTimes } = setup();
    await flush();
    clock.advance(31_999);
    // Intervals 0.5, 1, 2, 4, 4, 4 … s.
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
    expect(tx.state).toBe('Trying');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(responses.map((r) => r.status)).toEqual([408]);
    expect(responses[0].cseq().method).toBe('REGISTER');
    expect(clock.pending).toBe(0);
  });

  it('honours configured T1 and T2 (E: T1, 2T1 … capped at T2; F: 64·T1)', async () => {
    const { clock, sendTimes, tx } = setup(UDP_TARGET, { T1: 100, T2: 300 });
    await flush();
    clock.advance(6399);
    expect(sendTimes.slice(0, 6)).toEqual([0, 100, 300, 600, 900, 1200]);
    expect(tx.state).toBe('Trying');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
  });

  it('MUST NOT retransmit on a reliable transport; Timer F still applies', async () => {
    const { clock, transport, responses } = setup(TCP_TARGET);
    await flush();
    clock.advance(32_000);
    expect(transport.requests).toHaveLength(1);
    expect(responses.map((r) => r.status)).toEqual([408]);
  });

  it('a transport error in Trying: Terminated, and the TU gets a 503', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    transport.failWith = new TransportError('refused', 'ECONNREFUSED');
    const layer = new TransactionLayer({ transport, clock });
    const responses: SipResponse[] = [];
    const tx = layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, { onResponse: (r) => responses.push(r) });
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => `${r.status} ${r.reason}`)).toEqual(['503 Service Unavailable']);
  });
});

describe('non-INVITE client transaction — a dead UDP target (§18.4)', () => {
  it('asks the transport once, at the first retransmission, and an ICMP unreachable ends it with a 503', async () => {
    const { clock, transport, tx, responses, onTimeout } = setup();
    transport.probeAnswer = Promise.resolve(new TransportError('nothing listens on UDP 127.0.0.2:5060', 'ECONNREFUSED'));
    await flush();
    expect(transport.probes).toEqual([]);
    clock.advance(500);
    expect(transport.probes).toEqual([UDP_TARGET]);
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => r.status)).toEqual([503]);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
  });

  it('a probe that hears nothing changes nothing: Timer F still ends it, and nothing is probed twice', async () => {
    const { clock, transport, responses } = setup();
    await flush();
    clock.advance(32_000);
    await flush();
    expect(transport.probes).toHaveLength(1);
    expect(responses.map((r) => r.status)).toEqual([408]);
  });

  it('a response that arrives before the probe answers wins', async () => {
    const { clock, transport, tx, responses, answer } = setup();
    let resolveProbe: (e: TransportError | undefined) => void = () => undefined;
    transport.probeAnswer = new Promise((resolve) => (resolveProbe = resolve));
    await flush();
    clock.advance(500);
    answer(100);
    resolveProbe(new TransportError('late', 'ECONNREFUSED'));
    await flush();
    expect(tx.state).toBe('Proceeding');
    expect(responses.map((r) => r.status)).toEqual([100]);
  });

  it('never probes a reliable transport', async () => {
    const { clock, transport } = setup(TCP_TARGET);
    await flush();
    clock.advance(32_000);
    expect(transport.probes).toEqual([]);
  });
});

describe('non-INVITE client transaction — Proceeding and Completed', () => {
  it('MUST transition to Proceeding on a 1xx, and Timer E then fires every T2', async () => {
    const { clock, tx, answer, responses, sendTimes } = setup();
    await flush();
    clock.advance(600); // sends at 0 and 500; Timer E next due at 1500
    answer(100);
    expect(tx.state).toBe('Proceeding');
    expect(responses.map((r) => r.status)).toEqual([100]);
    clock.advance(13_400); // to t = 14 000
    expect(sendTimes).toEqual([0, 500, 1500, 5500, 9500, 13_500]);
  });

  it('Timer F in Proceeding also ends the transaction with a 408', async () => {
    const { clock, tx, answer, responses } = setup();
    await flush();
    answer(100);
    clock.advance(32_000);
    expect(tx.state).toBe('Terminated');
    expect(responses.map((r) => r.status)).toEqual([100, 408]);
  });

  it('MUST transition to Completed on a 200-699 from Trying, passing it to the TU', async () => {
    const { tx, answer, responses } = setup();
    await flush();
    answer(200);
    expect(tx.state).toBe('Completed');
    expect(responses.map((r) => r.status)).toEqual([200]);
  });

  it('MUST transition to Completed on a 200-699 from Proceeding', async () => {
    const { tx, answer } = setup();
    await flush();
    answer(100);
    answer(403);
    expect(tx.state).toBe('Completed');
  });

  it('absorbs response retransmissions in Completed; Timer K (T4) ends it; no more requests', async () => {
    const { clock, tx, answer, responses, transport, layer } = setup();
    await flush();
    answer(200);
    answer(200);
    clock.advance(4999);
    expect(tx.state).toBe('Completed');
    expect(responses).toHaveLength(1);
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(transport.requests).toHaveLength(1);
    expect(layer.clientTransactions.size).toBe(0);
  });

  it('Timer K is zero on a reliable transport', async () => {
    const { tx, answer } = setup(TCP_TARGET);
    await flush();
    answer(404);
    expect(tx.state).toBe('Terminated');
  });

  it('a TU handler that throws does not break the transaction', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    const layer = new TransactionLayer({ transport, clock });
    const tx = layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, {
      onResponse: () => {
        throw new Error('TU bug');
      },
    });
    await flush();
    expect(() => transport.deliver(responseTo(transport.requests[0].request, 200))).not.toThrow();
    expect(tx.state).toBe('Completed');
  });
});
