import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/index.ts';
import { SipTransport } from '../../../main/sip/transport/sip-transport.ts';
import { TransportError } from '../../../main/sip/transport/types.ts';
import { rawUdp, request, responseTo, sipText, startTransport, until } from './loopback.ts';

describe('SipTransport over UDP', () => {
  it('carries a request and its response between two transports, filling Via per §18.1.1 and RFC 3581', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const used = await a.transport.sendRequest(request('OPTIONS', 'sip:bob@127.0.0.1'), {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: b.port('UDP'),
    });
    expect(used).toMatchObject({ protocol: 'UDP', address: '127.0.0.1', port: b.port('UDP') });

    const incoming = await b.next();
    expect(incoming.protocol).toBe('UDP');
    expect(incoming.source).toEqual({ address: '127.0.0.1', port: a.port('UDP') });
    const via = incoming.message.topVia();
    expect(via.transport).toBe('UDP');
    expect(via.host).toBe('127.0.0.1');
    expect(via.port).toBe(a.port('UDP'));
    expect(via.branch).toMatch(/^z9hG4bKtest/);
    // RFC 3581 §4: rport filled with the source port, and received added with it.
    expect(via.params.get('rport')).toBe(String(a.port('UDP')));
    expect(via.params.get('received')).toBe('127.0.0.1');

    await b.transport.sendResponse(responseTo(incoming, 200), incoming);
    const response = await a.next();
    expect(response.message.kind).toBe('response');
    expect((response.message as SipResponse).status).toBe(200);
  });

  it('works on IPv6 loopback', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '::1', port: 0 }] });
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '::1', port: 0 }] });
    await a.transport.sendRequest(request('OPTIONS', 'sip:bob@[::1]'), { protocol: 'UDP', address: '::1', port: b.port('UDP') });
    const incoming = await b.next();
    expect(incoming.source.address).toBe('::1');
    expect(incoming.message.topVia().host).toBe('::1');
    expect(incoming.message.header('Via')).toContain('[::1]:');
    await b.transport.sendResponse(responseTo(incoming), incoming);
    expect(((await a.next()).message as SipResponse).status).toBe(200);
  });

  it('routes a response to the source port when rport was asked (RFC 3581 §4), else to the sent-by port (§18.2.2)', async () => {
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const client = await rawUdp();
    const other = await rawUdp();
    const req = (via: string, n: number) =>
      sipText([
        'OPTIONS sip:bob@127.0.0.1 SIP/2.0',
        `Via: ${via};branch=z9hG4bKraw${n}`,
        'From: <sip:x@lab.test>;tag=1',
        'To: <sip:bob@lab.test>',
        `Call-ID: raw-${n}`,
        `CSeq: ${n} OPTIONS`,
        'Max-Forwards: 70',
      ]);

    // sent-by names another port, but rport is there: back to where the packet came from.
    client.send(req(`SIP/2.0/UDP 127.0.0.1:${other.port};rport`, 1), b.port('UDP'));
    let incoming = await b.next();
    await b.transport.sendResponse(responseTo(incoming), incoming);
    expect((await client.next()).text).toMatch(/^SIP\/2\.0 200/);

    // No rport: to the sent-by port.
    client.send(req(`SIP/2.0/UDP 127.0.0.1:${other.port}`, 2), b.port('UDP'));
    incoming = await b.next();
    expect(incoming.message.topVia().params.has('received')).toBe(false);
    await b.transport.sendResponse(responseTo(incoming), incoming);
    expect((await other.next()).text).toMatch(/^SIP\/2\.0 200/);

    // A sent-by host that is not the source: received is added (§18.2.1) and used.
    client.send(req(`SIP/2.0/UDP 192.0.2.7:${other.port}`, 3), b.port('UDP'));
    incoming = await b.next();
    expect(incoming.message.topVia().params.get('received')).toBe('127.0.0.1');
    await b.transport.sendResponse(responseTo(incoming), incoming);
    const third = await other.next();
    expect(third.text).toContain('received=127.0.0.1');
    expect(client.received).toHaveLength(1);
  });

  it('sends a request over the MTU limit by TCP instead (§18.1.1), and says so', async () => {
    const listen = [
      { protocol: 'UDP' as const, address: '127.0.0.1', port: 0 },
      { protocol: 'TCP' as const, address: '127.0.0.1', port: 0 },
    ];
    const a = await startTransport({ listen });
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    // Listen TCP on the same port number as b's UDP, as a SIP server does.
    const c = await startTransport({ listen: [{ protocol: 'TCP', address: '127.0.0.1', port: b.port('UDP') }] });
    const big = request('MESSAGE', 'sip:bob@127.0.0.1', ['Content-Type: text/plain'], 'x'.repeat(1400));
    const used = await a.transport.sendRequest(big, { protocol: 'UDP', address: '127.0.0.1', port: b.port('UDP') });
    expect(used.protocol).toBe('TCP');
    expect(used.connectionId).toBeDefined();
    const incoming = await c.next();
    expect(incoming.protocol).toBe('TCP');
    expect(incoming.message.topVia().transport).toBe('TCP');
    expect(incoming.message.topVia().port).toBe(a.port('TCP'));
    expect(incoming.message.body.length).toBe(1400);
    expect(b.inbox).toHaveLength(0);

    // A small one still goes by UDP.
    const small = await a.transport.sendRequest(request('MESSAGE', 'sip:bob@127.0.0.1'), {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: b.port('UDP'),
    });
    expect(small.protocol).toBe('UDP');
    expect((await b.next()).protocol).toBe('UDP');
  });

  it('falls back to UDP when the size-forced TCP connection is refused (§18.1.1)', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], mtu: 200 });
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const used = await a.transport.sendRequest(request('MESSAGE', 'sip:bob@127.0.0.1', [], 'y'.repeat(300)), {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: b.port('UDP'),
    });
    expect(used.protocol).toBe('UDP');
    expect((await b.next()).message.topVia().transport).toBe('UDP');
  });

  it('answers a malformed request with 400 and a reason, a bad version with 505, and never an ACK', async () => {
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const raw = await rawUdp();
    raw.send(
      sipText([
        'INVITE sip:bob@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKbad1`,
        'From: <sip:x@lab.test>;tag=1',
        'To: <sip:bob@lab.test>',
        'Call-ID: bad-1',
        'CSeq: one INVITE',
        'Max-Forwards: 70',
      ]),
      b.port('UDP'),
    );
    const reply = await raw.next();
    expect(reply.text).toMatch(/^SIP\/2\.0 400 [^\r\n]*CSeq/i);
    expect(reply.text).toContain('Call-ID: bad-1');

    raw.send(
      sipText([
        'OPTIONS sip:bob@127.0.0.1 SIP/3.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKbad2`,
        'From: <sip:x@lab.test>;tag=1',
        'To: <sip:bob@lab.test>',
        'Call-ID: bad-2',
        'CSeq: 1 OPTIONS',
      ]),
      b.port('UDP'),
    );
    expect((await raw.next()).text).toMatch(/^SIP\/2\.0 505/);

    raw.send(
      sipText([
        'ACK sip:bob@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKbad3`,
        'Call-ID: bad-3',
        'CSeq: x ACK',
      ]),
      b.port('UDP'),
    );
    await until(() => b.warnings.some((w) => w.includes('malformed request')), 'the ACK to be dropped');
    expect(raw.received).toHaveLength(2);
    expect(b.inbox).toHaveLength(0);
  });

  it('drops a malformed response and one whose top Via is not ours (§18.1.2), telling the logger', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const raw = await rawUdp();
    raw.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKq\r\nCSeq: nope\r\n\r\n', a.port('UDP'));
    raw.send(
      sipText([
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKforeign',
        'From: <sip:x@lab.test>;tag=1',
        'To: <sip:bob@lab.test>;tag=2',
        'Call-ID: foreign',
        'CSeq: 1 OPTIONS',
      ]),
      a.port('UDP'),
    );
    await until(() => a.warnings.length >= 2, 'two warnings');
    expect(a.warnings.join('\n')).toMatch(/malformed response/);
    expect(a.warnings.join('\n')).toMatch(/not ours/);
    expect(a.inbox).toHaveLength(0);
    expect(raw.received).toHaveLength(0);
  });

  it('ignores CRLF keep-alives on UDP', async () => {
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const raw = await rawUdp();
    raw.send('\r\n\r\n', b.port('UDP'));
    raw.send(sipText(['OPTIONS sip:b@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKk`,
      'From: <sip:x@y>;tag=1', 'To: <sip:b@y>', 'Call-ID: k', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70']), b.port('UDP'));
    expect((await b.next()).message.callId()).toBe('k');
    expect(b.warnings).toEqual([]);
    expect(raw.received).toHaveLength(0);
  });

  it('traces every message both ways with credentials masked', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const secret = 'response="6629fae49393a05397450978507c4ef1"';
    const register = request('REGISTER', 'sip:127.0.0.1', [
      `Authorization: Digest username="alice", realm="lab.test", nonce="n0nce", uri="sip:127.0.0.1", ${secret}, cnonce="c", nc=00000001, qop=auth`,
    ]);
    await a.transport.sendRequest(register, { protocol: 'UDP', address: '127.0.0.1', port: b.port('UDP') });
    await b.next();
    const sent = a.traces.find((t) => t.direction === 'sent')!;
    const received = b.traces.find((t) => t.direction === 'received')!;
    for (const t of [sent, received]) {
      expect(t.protocol).toBe('UDP');
      expect(t.text).toContain('Authorization: Digest username="alice", realm="lab.test", ***');
      expect(t.text).not.toContain('6629fae4');
      expect(t.text).not.toContain('n0nce');
      expect(typeof t.time).toBe('number');
    }
    expect(sent.local).toEqual({ address: '127.0.0.1', port: a.port('UDP') });
    expect(sent.remote).toEqual({ address: '127.0.0.1', port: b.port('UDP') });
    expect(received.remote).toEqual({ address: '127.0.0.1', port: a.port('UDP') });
    // The message itself still carries the real credentials.
    expect((b.inbox[0].message as SipRequest).header('Authorization')).toContain('6629fae4');
  });
});

describe('SipTransport lifecycle and errors', () => {
  it('reports the real ports bound for port 0 and frees them on stop', async () => {
    const t = new SipTransport({
      listen: [
        { protocol: 'UDP', address: '127.0.0.1', port: 0 },
        { protocol: 'TCP', address: '127.0.0.1', port: 0 },
      ],
      logger: { warn: () => {} },
    });
    await t.start();
    const bound = t.localAddresses();
    expect(bound.map((b) => b.protocol)).toEqual(['UDP', 'TCP']);
    expect(bound.every((b) => b.port > 0)).toBe(true);
    await t.stop();
    const again = new SipTransport({ listen: bound, logger: { warn: () => {} } });
    await again.start();
    expect(again.localAddresses()).toEqual(bound);
    await again.stop();
  });

  it('refuses a port in use with a TransportError in words', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const b = new SipTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: a.port('UDP') }] });
    const err = await b.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('EADDRINUSE');
    expect((err as TransportError).message).toContain('already in use');
  });

  it('turns a refused TCP connection into ECONNREFUSED, and a name into EINVAL', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const freePort = a.port('UDP'); // nothing listens on TCP there
    const err = await a.transport
      .sendRequest(request('OPTIONS', 'sip:x@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: freePort })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('ECONNREFUSED');
    expect((err as TransportError).message).toBe(`connection to 127.0.0.1:${freePort} refused (nothing listens there)`);
    const named = await a.transport
      .sendRequest(request('OPTIONS', 'sip:x@lab.test'), { protocol: 'UDP', address: 'lab.test', port: 5060 })
      .catch((e: unknown) => e);
    expect((named as TransportError).errno).toBe('EINVAL');
  });

  it('has no IPv6 UDP socket when only IPv4 is bound, and says so', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const err = await a.transport
      .sendRequest(request('OPTIONS', 'sip:x@[::1]'), { protocol: 'UDP', address: '::1', port: 5060 })
      .catch((e: unknown) => e);
    expect((err as TransportError).errno).toBe('ENOTRANSPORT');
  });

  it('keeps a handler that throws from breaking the socket', async () => {
    const b = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    b.transport.onMessage(() => {
      throw new Error('boom');
    });
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    for (let i = 0; i < 2; i++) {
      await a.transport.sendRequest(request('OPTIONS', 'sip:b@127.0.0.1'), { protocol: 'UDP', address: '127.0.0.1', port: b.port('UDP') });
      await b.next();
    }
    expect(b.warnings.filter((w) => w.includes('boom'))).toHaveLength(2);
  });

  it('parses what it sends: the Via it writes round-trips through the parser', async () => {
    const a = await startTransport({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const req = request('OPTIONS', 'sip:b@127.0.0.1');
    await a.transport.sendRequest(req, { protocol: 'UDP', address: '127.0.0.1', port: 9 });
    const again = parseMessage(req.toBytes());
    expect(again.headers('Via')).toHaveLength(1);
    expect(again.topVia().params.has('rport')).toBe(true);
  });
});
