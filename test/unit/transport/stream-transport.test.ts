import { describe, expect, it } from 'vitest';
import type { SipResponse } from '../../../main/sip/message/index.ts';
import { rawTcp, rawTcpServer, request, responseTo, sipText, startTransport, until } from './loopback.ts';

const tcp = (address = '127.0.0.1') => ({ protocol: 'TCP' as const, address, port: 0 });

function options(n: number, raw?: number): string {
  return sipText([
    'OPTIONS sip:bob@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:${raw ?? 9};branch=z9hG4bKs${n}`,
    'From: <sip:x@lab.test>;tag=1',
    'To: <sip:bob@lab.test>',
    `Call-ID: stream-${n}`,
    `CSeq: ${n} OPTIONS`,
    'Max-Forwards: 70',
  ]);
}

describe('SipTransport over TCP', () => {
  it('opens one connection on demand, reuses it, and answers on it (§18.2.2)', async () => {
    const a = await startTransport({ listen: [tcp()] });
    const b = await startTransport({ listen: [tcp()] });
    const target = { protocol: 'TCP' as const, address: '127.0.0.1', port: b.port('TCP') };
    const first = await a.transport.sendRequest(request('OPTIONS', 'sip:bob@127.0.0.1'), target);
    const second = await a.transport.sendRequest(request('OPTIONS', 'sip:bob@127.0.0.1'), target);
    expect(first.connectionId).toBeDefined();
    expect(second.connectionId).toBe(first.connectionId);
    expect(a.transport.connections()).toHaveLength(1);

    const incoming = await b.next();
    await b.next();
    expect(incoming.protocol).toBe('TCP');
    expect(incoming.connectionId).toBeDefined();
    const via = incoming.message.topVia();
    expect(via.transport).toBe('TCP');
    // sent-by is our listening port, so a response can come back on a new connection.
    expect(via.port).toBe(a.port('TCP'));
    expect(via.params.get('rport')).toBe(String(incoming.source.port));

    await b.transport.sendResponse(responseTo(incoming, 202), incoming);
    const response = await a.next();
    expect((response.message as SipResponse).status).toBe(202);
    expect(response.connectionId).toBe(first.connectionId);
    expect(b.transport.connections()).toHaveLength(1);
  });

  it('opens a single connection for concurrent requests to the same place', async () => {
    const a = await startTransport({ listen: [tcp()] });
    const b = await startTransport({ listen: [tcp()] });
    const target = { protocol: 'TCP' as const, address: '127.0.0.1', port: b.port('TCP') };
    const used = await Promise.all([1, 2, 3].map(() => a.transport.sendRequest(request('OPTIONS', 'sip:b@127.0.0.1'), target)));
    expect(new Set(used.map((u) => u.connectionId)).size).toBe(1);
    for (let i = 0; i < 3; i++) await b.next();
    expect(b.transport.connections()).toHaveLength(1);
  });

  it('sends a request on the connection named by connectionId', async () => {
    const a = await startTransport({ listen: [tcp()] });
    const b = await startTransport({ listen: [tcp()] });
    await a.transport.sendRequest(request('OPTIONS', 'sip:b@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: b.port('TCP') });
    const incoming = await b.next();
    // b sends a request back over the connection a opened (e.g. an in-dialog BYE).
    const used = await b.transport.sendRequest(request('BYE', 'sip:a@127.0.0.1'), {
      protocol: 'TCP',
      address: incoming.source.address,
      port: a.port('TCP'),
      connectionId: incoming.connectionId,
    });
    expect(used.connectionId).toBe(incoming.connectionId);
    const bye = await a.next();
    expect(bye.message.kind).toBe('request');
    expect(a.transport.connections()).toHaveLength(1);
    expect(b.transport.connections()).toHaveLength(1);
  });

  it('answers on a new connection to the sent-by port when the request connection is gone (§18.2.2)', async () => {
    const b = await startTransport({ listen: [tcp()] });
    const peer = await rawTcpServer();
    const client = await rawTcp(b.port('TCP'));
    client.socket.write(options(1, peer.port));
    const incoming = await b.next();
    client.socket.destroy();
    await until(() => b.transport.connections().length === 0, 'the connection to close');
    await b.transport.sendResponse(responseTo(incoming), incoming);
    await until(() => peer.data().includes('SIP/2.0 200 OK'), 'the response on a new connection');
    expect(peer.data()).toContain('Call-ID: stream-1');
  });

  it('works on IPv6 loopback', async () => {
    const a = await startTransport({ listen: [tcp('::1')] });
    const b = await startTransport({ listen: [tcp('::1')] });
    const used = await a.transport.sendRequest(request('OPTIONS', 'sip:b@[::1]'), { protocol: 'TCP', address: '::1', port: b.port('TCP') });
    expect(used.address).toBe('::1');
    const incoming = await b.next();
    expect(incoming.source.address).toBe('::1');
    expect(incoming.message.header('Via')).toMatch(/^SIP\/2\.0\/TCP \[::1\]:\d+/);
    await b.transport.sendResponse(responseTo(incoming), incoming);
    expect(((await a.next()).message as SipResponse).status).toBe(200);
  });
});

describe('Stream framing on a real TCP connection (§18.3)', () => {
  it('handles coalesced messages, byte-by-byte splits and CRLF between messages', async () => {
    const b = await startTransport({ listen: [tcp()] });
    const raw = await rawTcp(b.port('TCP'));
    raw.socket.write(options(1) + options(2) + '\r\n\r\n' + options(3));
    const split = options(4) + '\r\n' + options(5);
    for (const ch of split) raw.socket.write(ch);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await b.next()).message.callId());
    expect(ids).toEqual(['stream-1', 'stream-2', 'stream-3', 'stream-4', 'stream-5']);
    // The double CRLF was a ping: answered with one CRLF (RFC 5626 §3.5.1).
    await until(() => raw.data().includes('\r\n'), 'the pong');
    expect(raw.data()).toBe('\r\n');
  });

  it('answers a header block over 64 KiB with 513 and closes, buffering no more', async () => {
    const b = await startTransport({ listen: [tcp()] });
    const raw = await rawTcp(b.port('TCP'));
    const head = ['INVITE sip:bob@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbig', 'Call-ID: big-1', 'CSeq: 1 INVITE', ''].join('\r\n');
    raw.socket.write(head);
    const pad = `X-Pad: ${'a'.repeat(1000)}\r\n`;
    for (let i = 0; i < 80 && !raw.closed(); i++) raw.socket.write(pad);
    await until(() => raw.closed(), 'the connection to be closed', 5000);
    expect(raw.data()).toMatch(/^SIP\/2\.0 513 /);
    expect(raw.data()).toContain('Call-ID: big-1');
    expect(b.inbox).toHaveLength(0);
    expect(b.warnings.join('\n')).toContain('513');
  });

  it('answers a Content-Length over the limit with 413 and closes', async () => {
    const b = await startTransport({ listen: [tcp()], maxBodyBytes: 4096 });
    const raw = await rawTcp(b.port('TCP'));
    raw.socket.write(options(7).replace('Content-Length: 0', 'Content-Length: 100000000'));
    await until(() => raw.closed(), 'the connection to be closed');
    expect(raw.data()).toMatch(/^SIP\/2\.0 413 /);
    expect(b.inbox).toHaveLength(0);
  });

  it('answers a malformed request on the connection with 400 and keeps the connection', async () => {
    const b = await startTransport({ listen: [tcp()] });
    const raw = await rawTcp(b.port('TCP'));
    raw.socket.write(options(8).replace('CSeq: 8 OPTIONS', 'CSeq: 8 INVITE') + options(9));
    await until(() => raw.data().includes('\r\n\r\n'), 'the 400');
    expect(raw.data()).toMatch(/^SIP\/2\.0 400 /);
    expect((await b.next()).message.callId()).toBe('stream-9');
    expect(raw.closed()).toBe(false);
  });
});
