/**
 * The transaction layer: request matching (RFC 3261 §17.1.3, §17.2.3 with the RFC 2543
 * fallback), CANCEL on both sides (§9), stray responses, and the TU-facing API.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';
import type { InviteClientTransaction } from '../../../main/sip/transaction/invite-client-transaction.ts';
import type { InviteServerTransaction } from '../../../main/sip/transaction/invite-server-transaction.ts';
import { FakeClock } from '../../../main/sip/clock.ts';
import { TransactionLayer } from '../../../main/sip/transaction/transaction-layer.ts';
import type { IncomingRequest, ServerTransaction } from '../../../main/sip/transaction/transaction-layer.ts';
import { FakeTransport, flush, request, responseTo, UDP_TARGET } from './helpers.ts';

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const layer = new TransactionLayer({ transport, clock });
  const seen: ServerTransaction[] = [];
  const acks: { incoming: IncomingRequest; tx: InviteServerTransaction | undefined }[] = [];
  const cancels: { tx: InviteServerTransaction; incoming: IncomingRequest }[] = [];
  layer.onRequest((tx) => seen.push(tx));
  layer.onAck((incoming, tx) => acks.push({ incoming, tx }));
  layer.onCancel((tx, incoming) => cancels.push({ tx, incoming }));
  return { clock, transport, layer, seen, acks, cancels };
}

describe('server transaction matching (§17.2.3)', () => {
  it('matches on branch + sent-by + method: a retransmission reaches the same transaction', () => {
    const { transport, seen, layer } = setup();
    transport.deliver(request({ method: 'OPTIONS', branch: 'z9hG4bK1' }));
    transport.deliver(request({ method: 'OPTIONS', branch: 'z9hG4bK1' }));
    expect(seen).toHaveLength(1);
    expect(layer.serverTransactions.size).toBe(1);
  });

  it('another sent-by with the same branch is another transaction', () => {
    const { transport, seen } = setup();
    transport.deliver(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1' }));
    transport.deliver(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK1' }));
    expect(seen).toHaveLength(2);
  });

  it('another method with the same branch is another transaction', () => {
    const { transport, seen } = setup();
    transport.deliver(request({ method: 'INFO', branch: 'z9hG4bK1' }));
    transport.deliver(request({ method: 'OPTIONS', branch: 'z9hG4bK1' }));
    expect(seen.map((t) => t.method)).toEqual(['INFO', 'OPTIONS']);
  });

  it('an ACK matches the INVITE transaction with its branch (CSeq method ACK)', () => {
    const { transport, seen, acks } = setup();
    transport.deliver(request({ branch: 'z9hG4bKi' }));
    const tx = seen[0];
    tx.respond(responseTo(tx.request, 404, { toTag: 'uas' }));
    transport.deliver(request({ method: 'ACK', branch: 'z9hG4bKi', toTag: 'uas' }));
    expect(tx.state).toBe('Confirmed');
    expect(acks).toHaveLength(0);
  });

  it('an ACK with a branch of its own (ACK for 2xx) goes to onAck without a transaction', () => {
    const { transport, seen, acks } = setup();
    transport.deliver(request({ branch: 'z9hG4bKi' }));
    seen[0].respond(responseTo(seen[0].request, 200, { toTag: 'uas' }));
    transport.deliver(request({ method: 'ACK', branch: 'z9hG4bKack', toTag: 'uas' }));
    expect(acks).toHaveLength(1);
    expect(acks[0].tx).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('counts an ACK nobody listens for', () => {
    const transport = new FakeTransport();
    const layer = new TransactionLayer({ transport, clock: new FakeClock() });
    transport.deliver(request({ method: 'ACK', branch: 'z9hG4bKack', toTag: 'x' }));
    expect(layer.stats.strayAcks).toBe(1);
  });

  it('answers 500 when no TU listens for requests', () => {
    const transport = new FakeTransport();
    new TransactionLayer({ transport, clock: new FakeClock() });
    transport.deliver(request({ method: 'OPTIONS' }));
    expect(transport.responseStatuses()).toEqual([500]);
    expect(transport.responses[0].response.to().params.get('tag')).toBeTruthy();
  });
});

describe('server transaction matching — RFC 2543 fallback (§17.2.3, second half)', () => {
  const old = (over: Parameters<typeof request>[0] = {}) =>
    request({ via: 'SIP/2.0/UDP 127.0.0.2:5060;branch=1234', ...over });

  it('matches a retransmission without a magic cookie on Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const { transport, seen } = setup();
    transport.deliver(old());
    transport.deliver(old());
    expect(seen).toHaveLength(1);
  });

  it('matches a request with no branch at all the same way', () => {
    const { transport, seen } = setup();
    transport.deliver(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 127.0.0.2:5060' }));
    transport.deliver(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 127.0.0.2:5060' }));
    expect(seen).toHaveLength(1);
  });

  it('a different CSeq, Call-ID, From tag, Request-URI or top Via is a new transaction', () => {
    const { transport, seen } = setup();
    transport.deliver(old());
    transport.deliver(old({ cseq: 2 }));
    transport.deliver(old({ callId: 'other@example.com' }));
    transport.deliver(old({ fromTag: 'other' }));
    transport.deliver(old({ uri: 'sip:carol@example.com' }));
    transport.deliver(old({ via: 'SIP/2.0/UDP 127.0.0.9:5060;branch=1234' }));
    expect(seen).toHaveLength(6);
  });

  it('a different To tag is a new transaction', () => {
    const { transport, seen } = setup();
    transport.deliver(old({ method: 'INFO', toTag: 'a' }));
    transport.deliver(old({ method: 'INFO', toTag: 'b' }));
    expect(seen).toHaveLength(2);
  });

  it('matches the ACK whose To tag is the one of our response', () => {
    const { transport, seen, acks } = setup();
    transport.deliver(old());
    seen[0].respond(responseTo(seen[0].request, 486, { toTag: 'ours' }));
    transport.deliver(old({ method: 'ACK', toTag: 'ours' }));
    expect(seen[0].state).toBe('Confirmed');
    expect(acks).toHaveLength(0);
  });

  it('an ACK with another To tag does not match', () => {
    const { transport, seen, acks } = setup();
    transport.deliver(old());
    seen[0].respond(responseTo(seen[0].request, 486, { toTag: 'ours' }));
    transport.deliver(old({ method: 'ACK', toTag: 'theirs' }));
    expect(seen[0].state).toBe('Completed');
    expect(acks).toHaveLength(1);
  });

  it('the ACK for a 2xx (same top Via in RFC 2543) reaches onAck with the Accepted transaction', () => {
    const { transport, seen, acks } = setup();
    transport.deliver(old());
    seen[0].respond(responseTo(seen[0].request, 200, { toTag: 'ours' }));
    transport.deliver(old({ method: 'ACK', toTag: 'ours' }));
    expect(acks).toHaveLength(1);
    expect(acks[0].tx).toBe(seen[0]);
  });
});

describe('CANCEL at the server (§9.2)', () => {
  it('a CANCEL for a pending INVITE: 200 to the CANCEL, then the TU hears onCancel and answers 487', () => {
    const { transport, seen, cancels } = setup();
    transport.deliver(request({ branch: 'z9hG4bKi' }));
    const invite = seen[0] as InviteServerTransaction;
    invite.respond(responseTo(invite.request, 180, { toTag: 'uas' }));
    transport.deliver(request({ method: 'CANCEL', branch: 'z9hG4bKi' }));
    expect(transport.responseStatuses()).toEqual([180, 200]);
    const ok = transport.responses[1].response;
    expect(ok.cseq()).toEqual({ seq: 1, method: 'CANCEL' });
    expect(ok.to().params.get('tag')).toBe('uas');
    expect(cancels).toHaveLength(1);
    expect(cancels[0].tx).toBe(invite);
    expect(seen).toHaveLength(1);
    invite.respond(responseTo(invite.request, 487, { toTag: 'uas' }));
    expect(invite.state).toBe('Completed');
  });

  it('a CANCEL that matches nothing gets 481', () => {
    const { transport, cancels } = setup();
    transport.deliver(request({ method: 'CANCEL', branch: 'z9hG4bKnothing' }));
    expect(transport.responseStatuses()).toEqual([481]);
    expect(cancels).toHaveLength(0);
  });

  it('a CANCEL after the final response gets 200 and no onCancel', () => {
    const { transport, seen, cancels } = setup();
    transport.deliver(request({ branch: 'z9hG4bKi' }));
    seen[0].respond(responseTo(seen[0].request, 200, { toTag: 'uas' }));
    transport.deliver(request({ method: 'CANCEL', branch: 'z9hG4bKi' }));
    expect(transport.responseStatuses()).toEqual([200, 200]);
    expect(transport.responses[1].response.cseq().method).toBe('CANCEL');
    expect(cancels).toHaveLength(0);
  });

  it('a retransmitted CANCEL is absorbed by the CANCEL transaction (200 resent, one onCancel)', () => {
    const { transport, seen, cancels } = setup();
    transport.deliver(request({ branch: 'z9hG4bKi' }));
    transport.deliver(request({ method: 'CANCEL', branch: 'z9hG4bKi' }));
    transport.deliver(request({ method: 'CANCEL', branch: 'z9hG4bKi' }));
    expect(cancels).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(transport.responseStatuses()).toEqual([200, 200]);
  });

  it('matches a CANCEL to its INVITE by the RFC 2543 rule too', () => {
    const { transport, cancels } = setup();
    const via = 'SIP/2.0/UDP 127.0.0.2:5060;branch=old1';
    transport.deliver(request({ via }));
    transport.deliver(request({ method: 'CANCEL', via }));
    expect(cancels).toHaveLength(1);
    expect(transport.responseStatuses()).toEqual([200]);
  });

  it('a CANCEL with another sent-by does not match the INVITE', () => {
    const { transport, cancels } = setup();
    transport.deliver(request({ via: 'SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKi' }));
    transport.deliver(request({ method: 'CANCEL', via: 'SIP/2.0/UDP 127.0.0.7:5060;branch=z9hG4bKi' }));
    expect(cancels).toHaveLength(0);
    expect(transport.responseStatuses()).toEqual([481]);
  });
});

describe('client transaction matching (§17.1.3) and stray responses', () => {
  it('drops and counts a response whose branch matches nothing', () => {
    const { transport, layer } = setup();
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bKnobody' });
    transport.deliver(responseTo(req, 200));
    expect(layer.stats.strayResponses).toBe(1);
  });

  it('a response with the right branch but another CSeq method does not match', async () => {
    const { transport, layer } = setup();
    const responses: SipResponse[] = [];
    layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, { onResponse: (r) => responses.push(r) });
    await flush();
    const sent = transport.requests[0].request;
    const wrong = responseTo(sent, 200);
    wrong.setHeader('CSeq', `${sent.cseq().seq} INFO`);
    transport.deliver(wrong);
    expect(responses).toHaveLength(0);
    expect(layer.stats.strayResponses).toBe(1);
  });

  it('a stray 2xx to INVITE goes to onStray2xx (forked answers for the dialog layer)', () => {
    const { transport, layer } = setup();
    const strays: SipResponse[] = [];
    layer.onStray2xx((r) => strays.push(r));
    transport.deliver(responseTo(request({ branch: 'z9hG4bKgone' }), 200, { toTag: 'b2' }));
    transport.deliver(responseTo(request({ method: 'BYE', branch: 'z9hG4bKgone' }), 200));
    expect(strays).toHaveLength(1);
    expect(layer.stats.strayResponses).toBe(1);
  });

  it('counts messages whose transaction headers cannot be read, and drops them', () => {
    const { transport, layer, seen } = setup();
    const bad = parseMessage(
      'OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKx\r\n' +
        'From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    ) as SipRequest;
    bad.setHeader('Via', 'not a via');
    transport.deliver(bad);
    expect(layer.stats.malformed).toBe(1);
    expect(seen).toHaveLength(0);
  });
});

describe('TransactionLayer.request', () => {
  it('adds a top Via with a fresh magic-cookie branch when there is none', () => {
    const { transport, layer } = setup();
    const tx = layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, { onResponse: () => {} });
    const via = transport.requests[0].request.topVia();
    expect(via.branch).toBe(tx.branch);
    expect(via.branch?.startsWith('z9hG4bK')).toBe(true);
    expect(via.transport).toBe('UDP');
  });

  it('replaces the branch of an existing top Via (a resent request is a new transaction)', () => {
    const { layer } = setup();
    const req = request({ method: 'REGISTER', via: 'SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bKold', extra: ['Via: SIP/2.0/UDP 127.0.0.5;branch=z9hG4bKbelow'] });
    const tx = layer.request(req, UDP_TARGET, { onResponse: () => {} });
    expect(tx.branch).not.toBe('z9hG4bKold');
    expect(req.vias().map((v) => v.branch)).toEqual([tx.branch, 'z9hG4bKbelow']);
    expect(req.topVia().params.has('rport')).toBe(true);
  });

  it('gives every request its own branch', () => {
    const { layer } = setup();
    const a = layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, { onResponse: () => {} });
    const b = layer.request(request({ method: 'OPTIONS', branch: null }), UDP_TARGET, { onResponse: () => {} });
    expect(a.branch).not.toBe(b.branch);
    expect(layer.clientTransactions.size).toBe(2);
  });

  it('refuses ACK and CANCEL, which are not new client transactions', () => {
    const { layer } = setup();
    expect(() => layer.request(request({ method: 'ACK', branch: null }), UDP_TARGET, { onResponse: () => {} })).toThrow(/sendAck/);
    expect(() => layer.request(request({ method: 'CANCEL', branch: null }), UDP_TARGET, { onResponse: () => {} })).toThrow(/cancel\(\)/);
  });

  it('sendAck sends the ACK for a 2xx with a fresh branch and no transaction', async () => {
    const { layer, transport } = setup();
    const ack = request({ method: 'ACK', branch: null, toTag: 'b' });
    await layer.sendAck(ack, UDP_TARGET);
    expect(transport.requestMethods()).toEqual(['ACK']);
    expect(ack.topVia().branch?.startsWith('z9hG4bK')).toBe(true);
    expect(layer.clientTransactions.size).toBe(0);
  });

  it('close() terminates every transaction and ignores later messages', () => {
    const { layer, transport, seen, clock } = setup();
    layer.request(request({ branch: null }), UDP_TARGET, { onResponse: () => {} });
    transport.deliver(request({ method: 'OPTIONS' }));
    layer.close();
    expect(layer.clientTransactions.size).toBe(0);
    expect(layer.serverTransactions.size).toBe(0);
    expect(clock.pending).toBe(0);
    transport.deliver(request({ method: 'INFO' }));
    expect(seen).toHaveLength(1);
  });
});

describe('CANCEL at the client (§9.1)', () => {
  function calling() {
    const { transport, layer, clock } = setup();
    const inviteResponses: SipResponse[] = [];
    const tx = layer.request(
      request({ branch: null, extra: ['Route: <sip:127.0.0.3;lr>'] }),
      UDP_TARGET,
      { onResponse: (r) => inviteResponses.push(r) },
    ) as InviteClientTransaction;
    const answer = (status: number): void =>
      void transport.deliver(responseTo(transport.requests[0].request, status, { toTag: 'b' }));
    return { transport, layer, clock, tx, answer, inviteResponses };
  }

  it('waits for a provisional before sending the CANCEL ("pending"), then sends it', async () => {
    const { transport, layer, tx, answer } = calling();
    await flush();
    expect(layer.cancel(tx)).toBe('pending');
    expect(transport.requestMethods()).toEqual(['INVITE']);
    answer(180);
    expect(transport.requestMethods()).toEqual(['INVITE', 'CANCEL']);
  });

  it('builds the CANCEL of §9.1: same branch, Request-URI, Call-ID, From, To, Route, CSeq number', async () => {
    const { transport, layer, tx, answer } = calling();
    await flush();
    answer(100);
    expect(layer.cancel(tx)).toBe('sent');
    const invite = transport.requests[0].request;
    const cancel = transport.requests[1].request;
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uri).toBe(invite.uri);
    expect(cancel.topVia().branch).toBe(tx.branch);
    expect(cancel.headers('Via')).toHaveLength(1);
    expect(cancel.callId()).toBe(invite.callId());
    expect(cancel.header('From')).toBe(invite.header('From'));
    expect(cancel.header('To')).toBe(invite.header('To'));
    expect(cancel.headers('Route')).toEqual(['<sip:127.0.0.3;lr>']);
    expect(cancel.cseq()).toEqual({ seq: invite.cseq().seq, method: 'CANCEL' });
    expect(transport.requests[1].target).toEqual(tx.target);
  });

  it('routes the 200 for the CANCEL to the CANCEL transaction and the 487 to the INVITE', async () => {
    const { transport, layer, tx, answer, inviteResponses } = calling();
    await flush();
    answer(180);
    const cancelResponses: SipResponse[] = [];
    layer.cancel(tx, { onResponse: (r) => cancelResponses.push(r) });
    transport.deliver(responseTo(transport.requests[1].request, 200, { toTag: 'b' }));
    answer(487);
    expect(cancelResponses.map((r) => r.status)).toEqual([200]);
    expect(inviteResponses.map((r) => r.status)).toEqual([180, 487]);
    expect(tx.state).toBe('Completed');
    expect(transport.requestMethods()).toEqual(['INVITE', 'CANCEL', 'ACK']);
  });

  it('drops a pending CANCEL when a final response arrives first', async () => {
    const { transport, layer, tx, answer } = calling();
    await flush();
    expect(layer.cancel(tx)).toBe('pending');
    answer(486);
    answer(180);
    expect(transport.requestMethods()).toEqual(['INVITE', 'ACK']);
  });

  it('is too late once the INVITE has a final response', async () => {
    const { layer, tx, answer, transport } = calling();
    await flush();
    answer(200);
    expect(layer.cancel(tx)).toBe('too-late');
    expect(transport.requestMethods()).toEqual(['INVITE']);
  });

  it('a pending CANCEL is dropped when Timer B ends the INVITE', async () => {
    const { layer, tx, clock, transport, inviteResponses } = calling();
    await flush();
    layer.cancel(tx);
    clock.advance(32_000);
    expect(inviteResponses.map((r) => r.status)).toEqual([408]);
    expect(transport.requestMethods().filter((m) => m === 'CANCEL')).toHaveLength(0);
  });

  it('asking twice sends one CANCEL', async () => {
    const { layer, tx, answer, transport } = calling();
    await flush();
    answer(180);
    layer.cancel(tx);
    const onResponse = vi.fn();
    expect(layer.cancel(tx, { onResponse })).toBe('sent');
    expect(transport.requestMethods().filter((m) => m === 'CANCEL')).toHaveLength(1);
  });
});
