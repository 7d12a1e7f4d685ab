import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  createErrorResponse,
  createRequest,
  createResponse,
  parseMessage,
} from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/index.ts';

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

const INVITE = crlf(`INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bKc1;rport=5070
v: SIP/2.0/TCP last.example.com;branch=z9hG4bKl1
Max-Forwards: 69
To: Bob <sip:bob@biloxi.example.com>
From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Timestamp: 54
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Record-Route: <sip:p3.example.com;lr>
Contact: <sip:alice@pc33.atlanta.example.com>, "Alice mobile" <sip:alice@192.0.2.9>;q=0.5
Allow: INVITE, ACK,
  BYE
X-Custom: one, two
X-Custom: three
Content-Type: application/sdp
Content-Length: 4

`) + 'v=0\n';

function req(): SipRequest {
  const m = parseMessage(Buffer.from(INVITE));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

describe('reading a parsed message', () => {
  it('looks headers up case-insensitively, through compact forms, across lines and lists', () => {
    const m = req();
    expect(m.header('via')).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1');
    expect(m.headers('V')).toHaveLength(3);
    expect(m.vias().map((v) => v.branch)).toEqual(['z9hG4bKp1', 'z9hG4bKc1', 'z9hG4bKl1']);
    expect(m.topVia().host).toBe('proxy.example.com');
    expect(m.headers('record-route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
    expect(m.nameAddrs('Record-Route').map((n) => n.uri.host)).toEqual(['p1.example.com', 'p2.example.com', 'p3.example.com']);
    expect(m.contacts().map((c) => c.displayName)).toEqual([undefined, 'Alice mobile']);
    expect(m.headers('Allow')).toEqual(['INVITE', 'ACK', 'BYE']);
    expect(m.header('Allow')).toBe('INVITE');
    // Unknown headers are never split: one entry per line.
    expect(m.headers('x-custom')).toEqual(['one, two', 'three']);
    expect(m.header('X-Missing')).toBeUndefined();
    expect(m.hasHeader('i')).toBe(true);
    expect(m.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq()).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.from().params.get('tag')).toBe('1928301774');
    expect(m.to().params.has('tag')).toBe(false);
    expect(m.parsedUri().user).toBe('bob');
    expect(Buffer.from(m.body).toString()).toBe('v=0\n');
  });

  it('reports a malformed header only when it is read', () => {
    const m = parseMessage(INVITE.replace('<sip:p3.example.com;lr>', '<sip:p3.example.com;lr'));
    expect(() => m.nameAddrs('Record-Route')).toThrow(SipParseError);
    expect(m.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
  });

  it('reports the first fault: the start line, then the headers in order, then the Request-URI', () => {
    const reason = (text: string): string => {
      try {
        parseMessage(Buffer.from(text));
        return 'ok';
      } catch (e) {
        return (e as SipParseError).reason;
      }
    };
    const noFrom = INVITE.replace(/From: .*\r\n/, '');
    expect(reason(noFrom)).toBe('Missing From');
    expect(reason(noFrom.replace('sip:bob@biloxi.example.com SIP', 'sip:bob@biloxi.example.com  SIP'))).toBe('Bad Request-Line');
    expect(reason(noFrom.replace('INVITE sip:bob@', 'INVITE sip:bob@ '))).toBe('Bad Request-Line');
    expect(reason(INVITE.replace('INVITE sip:bob@', 'INVITE sip:bob@ '))).toBe('Bad Request-Line');
    expect(reason(INVITE.replace('INVITE sip:bob@', 'INVITE sip:bob@<'))).toBe('Bad Request-URI');
    expect(reason(noFrom.replace('INVITE sip:bob@', 'INVITE sip:bob@<'))).toBe('Missing From');
    expect(reason(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: x INVITE').replace('INVITE sip:bob@', 'INVITE sip:bob@<'))).toBe('Bad CSeq');
  });

  it('frames the body by Content-Length and drops extra datagram bytes (RFC 3261 §18.3)', () => {
    const m = parseMessage(INVITE + 'GARBAGE');
    expect(Buffer.from(m.body).toString()).toBe('v=0\n');
    const noLength = parseMessage(INVITE.replace('Content-Length: 4\r\n', '') + 'more');
    expect(Buffer.from(noLength.body).toString()).toBe('v=0\nmore');
  });
});

describe('changing and serializing', () => {
  it('hands back the exact input bytes while nothing changed', () => {
    const bytes = Buffer.from(INVITE + 'trailing');
    const m = parseMessage(bytes);
    expect(Buffer.from(m.toBytes()).toString()).toBe(INVITE);
    expect(m.toString()).toBe(INVITE);
  });

  it('prepends a Via, sets and removes headers, and rewrites Content-Length from the body', () => {
    const m = req();
    m.prependHeader('Via', 'SIP/2.0/UDP me.example.com;branch=z9hG4bKnew');
    m.setHeader('Max-Forwards', '68');
    m.removeHeader('x-custom');
    m.addHeader('Record-Route', '<sip:p4.example.com;lr>');
    m.body = new TextEncoder().encode('v=0\r\no=-\r\n');
    const again = parseMessage(m.toBytes());
    expect(again.topVia().branch).toBe('z9hG4bKnew');
    expect(again.vias()).toHaveLength(4);
    expect(again.header('Max-Forwards')).toBe('68');
    expect(again.hasHeader('X-Custom')).toBe(false);
    expect(again.headers('Record-Route')).toHaveLength(4);
    expect(again.fields.at(-2)?.name).toBe('Content-Type');
    expect(again.header('Content-Length')).toBe('10');
    expect(Buffer.from(again.body).toString()).toBe('v=0\r\no=-\r\n');
    // Folding is undone on the way out.
    expect(again.header('Allow')).toBe('INVITE');
    expect(again.headers('Allow')).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('sees edits made straight to `fields` and to the start line', () => {
    const m = req();
    const to = m.fields.find((f) => f.name === 'To')!;
    to.value = '<sip:carol@example.com>;tag=zz';
    expect(m.to().uri.user).toBe('carol');
    m.uri = 'sip:carol@example.com';
    expect(m.parsedUri().user).toBe('carol');
    const out = m.toString();
    expect(out.startsWith('INVITE sip:carol@example.com SIP/2.0\r\n')).toBe(true);
    expect(out).toContain('\r\nTo: <sip:carol@example.com>;tag=zz\r\n');
  });

  it('refuses header values that would break the framing', () => {
    const m = req();
    expect(() => m.setHeader('X-Evil', 'a\r\nVia: injected')).toThrow(TypeError);
    expect(() => m.addHeader('Bad Name', 'x')).toThrow(TypeError);
  });
});

describe('createRequest / createResponse (RFC 3261 §8.1.1, §8.2.6)', () => {
  it('builds a request that parses back', () => {
    const r = createRequest({
      method: 'OPTIONS',
      uri: 'sip:bob@example.com',
      fields: [['Via', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx'], ['From', '<sip:a@example.com>;tag=1'],
        ['To', '<sip:bob@example.com>'], ['Call-ID', 'c1'], ['CSeq', '1 OPTIONS'], ['Max-Forwards', '70']],
      body: 'hi',
    });
    const back = parseMessage(r.toBytes()) as SipRequest;
    expect(back.method).toBe('OPTIONS');
    expect(back.header('Content-Length')).toBe('2');
    expect(Buffer.from(back.body).toString()).toBe('hi');
    expect(() => createRequest({ method: 'BAD METHOD', uri: 'sip:x' })).toThrow(TypeError);
    expect(() => createRequest({ method: 'OPTIONS', uri: 'sip:a b' })).toThrow(TypeError);
  });

  it('copies Via (all, in order), From, To (+tag), Call-ID, CSeq, and Timestamp for 100', () => {
    const m = req();
    const trying = createResponse(m, { status: 100 });
    expect(trying.reason).toBe('Trying');
    expect(trying.fields.map((f) => f.name)).toEqual(['Via', 'v', 'To', 'From', 'Call-ID', 'CSeq', 'Timestamp']);
    expect(trying.headers('Via')).toEqual(m.headers('Via'));
    const ok = createResponse(m, { status: 200, toTag: 'srv1', fields: [['Contact', '<sip:bob@192.0.2.4>']], body: 'v=0\r\n' });
    const back = parseMessage(ok.toBytes()) as SipResponse;
    expect(back.status).toBe(200);
    expect(back.reason).toBe('OK');
    expect(back.to().params.get('tag')).toBe('srv1');
    expect(back.hasHeader('Timestamp')).toBe(false);
    expect(back.vias().map((v) => v.branch)).toEqual(['z9hG4bKp1', 'z9hG4bKc1', 'z9hG4bKl1']);
    expect(back.cseq()).toEqual({ seq: 314159, method: 'INVITE' });
    // A To that already has a tag keeps it.
    const tagged = createResponse(back as unknown as SipRequest, { status: 200, toTag: 'other' });
    expect(tagged.to().params.get('tag')).toBe('srv1');
    expect(createResponse(m, { status: 486, reason: 'Busy Here, really' }).reason).toBe('Busy Here, really');
  });
});

describe('createErrorResponse (RFC 3261 §8.2.2, §16.3)', () => {
  it('answers a malformed request with what can be recovered', () => {
    const bad = INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 99999999999 INVITE');
    let err: SipParseError | undefined;
    try {
      parseMessage(bad);
    } catch (e) {
      err = e as SipParseError;
    }
    expect(err?.reason).toBe('Bad CSeq');
    const answer = parseMessage(createErrorResponse(bad, err!)!) as SipResponse;
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('Bad CSeq');
    expect(answer.vias().map((v) => v.branch)).toEqual(['z9hG4bKp1', 'z9hG4bKc1', 'z9hG4bKl1']);
    expect(answer.to().params.get('tag')).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(answer.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
  });

  it('never answers a response, and cannot answer without a Via', () => {
    const err = new SipParseError(400, 'Bad CSeq');
    expect(createErrorResponse('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\r\n', err)).toBeUndefined();
    expect(createErrorResponse('OPTIONS sip:a SIP/2.0\r\nCSeq: x\r\n\r\n', err)).toBeUndefined();
    expect(createErrorResponse(new Uint8Array([0, 1, 2, 255]), err)).toBeUndefined();
  });
});
