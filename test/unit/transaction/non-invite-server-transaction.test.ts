/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2, over a fake transport and a fake clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { NonInviteServerTransaction } from '../../../main/sip/transaction/non-invite-server-transaction.ts';
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
  layer.onRequest((tx) => seen.push(tx));
  const bye = () => request({ method: 'BYE', branch: 'z9hG4bKbye1', toTag: 'uas' });
  const original = bye();
  transport.deliver(original, protocol);
  const tx = seen[0] as NonInviteServerTransaction;
  const again = (): void => void transport.deliver(bye(), protocol);
  const reply = (status: number) => responseTo(original, status);
  return { clock, transport, layer, seen, tx, again, reply };
}

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('MUST enter Trying and pass the request to the TU', () => {
    const { tx, seen } = setup();
    expect(seen).toHaveLength(1);
    expect(tx.kind).toBe('non-invite-server');
    expect(tx.state).toBe('Trying');
  });

  it('discards request retransmissions in Trying', () => {
    const { again, transport, seen, clock } = setup();
    again();
    clock.advance(1000);
    expect(transport.responses).toHaveLength(0);
    expect(seen).toHaveLength(1);
  });

  it('MUST transition to Proceeding on a 1xx from the TU; retransmissions get the last provisional', () => {
    const { tx, again, transport, reply } = setup();
    tx.respond(reply(100));
    expect(tx.state).toBe('Proceeding');
    again();
    expect(transport.responseStatuses()).toEqual([100, 100]);
  });

  it('MUST transition to Completed on a 200-699 from Trying', () => {
    const { tx, transport, reply } = setup();
    tx.respond(reply(200));
    expect(tx.state).toBe('Completed');
    expect(transport.responseStatuses()).toEqual([200]);
  });

  it('MUST transition to Completed on a 200-699 from Proceeding', () => {
    const { tx, reply } = setup();
    tx.respond(reply(100));
    tx.respond(reply(481));
    expect(tx.state).toBe('Completed');
  });

  it('answers retransmissions in Completed with the final response and ignores later TU responses', () => {
    const { tx, again, transport, reply, seen } = setup();
    tx.respond(reply(200));
    again();
    tx.respond(reply(500));
    again();
    expect(transport.responseStatuses()).toEqual([200, 200, 200]);
    expect(seen).toHaveLength(1);
  });

  it('sends no retransmissions of its own: only request retransmissions trigger a resend', () => {
    const { tx, clock, transport, reply } = setup();
    tx.respond(reply(200));
    clock.advance(30_000);
    expect(transport.responses).toHaveLength(1);
  });

  it('Timer J (64·T1 on UDP) ends Completed', () => {
    const { tx, clock, reply, layer } = setup();
    const onTerminated = vi.fn();
    tx.onTerminated = onTerminated;
    tx.respond(reply(200));
    clock.advance(31_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(onTerminated).toHaveBeenCalledTimes(1);
    expect(layer.serverTransactions.size).toBe(0);
  });

  it('waiting in Completed, it holds its request and response bytes alone, not the larger buffers they were cut from', () => {
    const { tx, reply, again, transport } = setup();
    tx.respond(reply(200));
    // Both were views on a larger buffer (Node's pool of small Buffers): 32 s of such views at a
    // call a second would pin hundreds of KB.
    const request = tx.request.toBytes();
    const response = tx.lastResponse!.toBytes();
    expect(request.buffer.byteLength).toBe(request.byteLength);
    expect(response.buffer.byteLength).toBe(response.byteLength);
    // And they are still the same messages: a retransmission gets the same 200.
    again();
    expect(transport.responses.map((r) => r.text)).toEqual([transport.responses[0].text, transport.responses[0].text]);
    expect(tx.lastResponse!.toString()).toBe(transport.responses[0].text);
  });

  it('Timer J is zero on a reliable transport', () => {
    const { tx, reply } = setup('TCP');
    tx.respond(reply(200));
    expect(tx.state).toBe('Terminated');
  });

  it('a transport error: Terminated, and the TU is informed', async () => {
    const { tx, reply, transport } = setup();
    const onTransportError = vi.fn();
    tx.onTransportError = onTransportError;
    transport.failWith = new TransportError('refused', 'ECONNREFUSED');
    tx.respond(reply(100));
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledWith(transport.failWith);
  });

  it('a transport error on a final response over a stream still reaches the TU after Terminated', async () => {
    const { tx, reply, transport } = setup('TCP');
    const onTransportError = vi.fn();
    tx.onTransportError = onTransportError;
    transport.failWith = new TransportError('reset', 'ECONNRESET');
    tx.respond(reply(200));
    await flush();
    expect(tx.state).toBe('Terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
  });
});
