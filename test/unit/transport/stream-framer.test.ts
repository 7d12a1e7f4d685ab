import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamFramer } from '../../../main/sip/transport/stream-framer.ts';
import type { FrameEvent } from '../../../main/sip/transport/stream-framer.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function msg(body = '', extra = ''): string {
  return (
    'MESSAGE sip:bob@lab.test SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n' +
    extra +
    `Content-Length: ${enc.encode(body).length}\r\n\r\n` +
    body
  );
}

function texts(events: FrameEvent[]): string[] {
  return events.filter((e) => e.type === 'message').map((e) => dec.decode((e as { data: Uint8Array }).data));
}

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('frames one complete message with its body', () => {
    const f = new StreamFramer();
    const m = msg('hello');
    expect(texts(f.push(enc.encode(m)))).toEqual([m]);
    expect(f.buffered).toBe(0);
  });

  it('frames coalesced messages from one read', () => {
    const f = new StreamFramer();
    const a = msg('one');
    const b = msg('two, longer');
    const c = msg();
    expect(texts(f.push(enc.encode(a + b + c)))).toEqual([a, b, c]);
  });

  it('frames any split of two messages and a keep-alive identically', () => {
    const a = msg('é body ü');
    const b = msg('', 'l: 0\r\n').replace(/Content-Length: 0\r\n/, '');
    const stream = enc.encode(a + '\r\n\r\n' + b);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 6 }), (cuts) => {
        const f = new StreamFramer();
        const points = [0, ...cuts.sort((x, y) => x - y), stream.length];
        const events: FrameEvent[] = [];
        for (let i = 0; i + 1 < points.length; i++) events.push(...f.push(stream.subarray(points[i], points[i + 1])));
        expect(texts(events)).toEqual([a, b]);
        expect(events.some((e) => e.type === 'ping')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reads the compact Content-Length form l', () => {
    const f = new StreamFramer();
    const m = 'MESSAGE sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc';
    expect(texts(f.push(enc.encode(m + m)))).toEqual([m, m]);
  });

  it('reports a double CRLF as a ping and a single CRLF as a pong (RFC 5626 §3.5.1)', () => {
    const f = new StreamFramer();
    expect(f.push(enc.encode('\r\n\r\n'))).toEqual([{ type: 'ping' }]);
    expect(f.push(enc.encode('\r\n'))).toEqual([{ type: 'pong' }]);
    const m = msg();
    const events = new StreamFramer().push(enc.encode('\r\n' + m));
    expect(events[0]).toEqual({ type: 'pong' });
    expect(texts(events)).toEqual([m]);
  });

  it('takes consecutive lone CRLFs as pongs once consumed, else as a ping split in two reads', () => {
    const client = new StreamFramer();
    for (let i = 0; i < 3; i++) {
      expect(client.push(enc.encode('\r\n'))).toEqual([{ type: 'pong' }]);
      client.consumePong();
    }
    const server = new StreamFramer();
    expect(server.push(enc.encode('\r\n'))).toEqual([{ type: 'pong' }]);
    expect(server.push(enc.encode('\r\n'))).toEqual([{ type: 'ping' }]);
  });

  it('closes on a header block over the limit without buffering more (513)', () => {
    const f = new StreamFramer({ maxHeaderBytes: 1024 });
    const head = 'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n';
    const events = f.push(enc.encode(head + 'X-Pad: ' + 'a'.repeat(2000)));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', status: 513 });
    expect(f.failed).toBe(true);
    expect(f.buffered).toBe(0);
    expect(f.push(enc.encode(msg()))).toEqual([]);
  });

  it('closes on a Content-Length over the limit before the body arrives (413)', () => {
    const f = new StreamFramer({ maxBodyBytes: 1000 });
    const events = f.push(enc.encode('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000000\r\n\r\nabc'));
    expect(events).toHaveLength(1);
    const e = events[0] as Extract<FrameEvent, { type: 'error' }>;
    expect(e.status).toBe(413);
    expect(dec.decode(e.head)).toContain('Content-Length: 5000000');
  });

  it('closes on an unreadable Content-Length (400)', () => {
    const events = new StreamFramer().push(enc.encode('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -4\r\n\r\n'));
    expect(events[0]).toMatchObject({ type: 'error', status: 400 });
  });

  it('waits for the whole body', () => {
    const f = new StreamFramer();
    const m = msg('0123456789');
    expect(f.push(enc.encode(m.slice(0, -3)))).toEqual([]);
    expect(texts(f.push(enc.encode(m.slice(-3))))).toEqual([m]);
  });

  it('assembles a 64 KiB body sent one byte per read, then the next message, without holding on to old storage', () => {
    const f = new StreamFramer();
    const body = 'x'.repeat(64 * 1024);
    const m = msg(body);
    const bytes = enc.encode(m + msg('next'));
    const out: FrameEvent[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...f.push(bytes.subarray(i, i + 1)));
    expect(texts(out)).toEqual([m, msg('next')]);
    expect(f.buffered).toBe(0);
  });
});

