/**
 * Dialog (RFC 3261 §12): state from requests and responses, and the requests built inside it.
 * Pure: messages in, messages out.
 */
import { describe, it, expect } from 'vitest';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';
import { Dialog, dialogIdOf, dialogKey } from '../../../main/sip/dialog/index.ts';

function msg(lines: string[], body = ''): SipRequest | SipResponse {
  return parseMessage(`${lines.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

const invite = msg([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>',
]) as SipRequest;

function ok(extra: string[] = [], status = '200 OK'): SipResponse {
  return msg([
    `SIP/2.0 ${status}`,
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
    'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:bob@192.0.2.4>',
    ...extra,
  ]) as SipResponse;
}

describe('UAC dialog (§12.1.2)', () => {
  const rr = ['Record-Route: <sip:p2.biloxi.example.com;lr>', 'Record-Route: <sip:p1.atlanta.example.com;lr>'];

  it('the route set is the Record-Route of the response in reverse order; the remote target its Contact', () => {
    const d = Dialog.forUac(invite, ok(rr), { localContact: '<sip:alice@pc33.atlanta.example.com>' });
    expect(d.routeSet).toEqual(['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
    expect(d.remoteTarget).toBe('sip:bob@192.0.2.4');
    expect(d.id).toEqual({ callId: 'a84b4c76e66710@pc33.atlanta.example.com', localTag: '1928301774', remoteTag: 'a6c85cf' });
    expect(d.localSeq).toBe(314159);
    expect(d.remoteSeq).toBeUndefined();
    expect(d.state).toBe('confirmed');
    expect(d.nextHop()).toBe('sip:p1.atlanta.example.com;lr');
  });

  it('a 1xx with a To tag makes an early dialog; the 2xx confirms it and the route set is recomputed (§13.2.2.4)', () => {
    const d = Dialog.forUac(invite, ok([], '180 Ringing'), { localContact: '<sip:a@h>' });
    expect(d.state).toBe('early');
    expect(d.routeSet).toEqual([]);
    d.confirm(ok(['Record-Route: <sip:p9.example.com;lr>'].concat([]), '200 OK'));
    expect(d.state).toBe('confirmed');
    expect(d.routeSet).toEqual(['<sip:p9.example.com;lr>']);
  });

  it('a request inside the dialog: Request-URI = remote target, Route = the route set, CSeq + 1 (§12.2.1.1)', () => {
    const d = Dialog.forUac(invite, ok(rr), { localContact: '<sip:alice@pc33.atlanta.example.com>' });
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:bob@192.0.2.4');
    expect(bye.headers('Route')).toEqual(['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
    expect(bye.cseq()).toEqual({ seq: 314160, method: 'BYE' });
    expect(bye.from().params.get('tag')).toBe('1928301774');
    expect(bye.to().params.get('tag')).toBe('a6c85cf');
    expect(bye.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(bye.hasHeader('Contact')).toBe(false);
    const reinvite = d.createRequest('INVITE', { body: { contentType: 'application/sdp', body: 'v=0\r\n' } });
    expect(reinvite.cseq().seq).toBe(314161);
    expect(reinvite.header('Contact')).toBe('<sip:alice@pc33.atlanta.example.com>');
    expect(reinvite.header('Content-Type')).toBe('application/sdp');
  });

  it('the ACK for a 2xx carries the INVITE CSeq number and does not move the local CSeq', () => {
    const d = Dialog.forUac(invite, ok(), { localContact: '<sip:a@h>' });
    const ack = d.createRequest('ACK', { cseq: 314159 });
    expect(ack.cseq()).toEqual({ seq: 314159, method: 'ACK' });
    expect(d.localSeq).toBe(314159);
    expect(() => d.createRequest('ACK')).toThrow(/CSeq/);
  });

  it('a strict router first: Request-URI = its URI, Route = the rest, then the remote target (§12.2.1.1)', () => {
    const strict = ok(['Record-Route: <sip:p2.example.com;lr>', 'Record-Route: <sip:p1.example.com>']);
    const d = Dialog.forUac(invite, strict, { localContact: '<sip:a@h>' });
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:p1.example.com');
    expect(bye.headers('Route')).toEqual(['<sip:p2.example.com;lr>', '<sip:bob@192.0.2.4>']);
    expect(d.nextHop()).toBe('sip:p1.example.com');
  });

  it('a target refresh (2xx to re-INVITE, UPDATE) replaces the remote target with its Contact (§12.2)', () => {
    const d = Dialog.forUac(invite, ok(), { localContact: '<sip:a@h>' });
    d.refreshTarget(ok(['Contact: <sip:bob@198.51.100.7:5070>'].slice(0, 0)));
    expect(d.remoteTarget).toBe('sip:bob@192.0.2.4');
    const moved = msg([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'To: <sip:bob@b>;tag=a6c85cf',
      'From: <sip:alice@a>;tag=1928301774',
      'Call-ID: x',
      'CSeq: 2 INVITE',
      'Contact: <sip:bob@198.51.100.7:5070;transport=tcp>',
    ]) as SipResponse;
    d.refreshTarget(moved);
    expect(d.remoteTarget).toBe('sip:bob@198.51.100.7:5070;transport=tcp');
  });
});

describe('UAS dialog (§12.1.1)', () => {
  it('the route set is the Record-Route of the request in order; the remote target its Contact; our tag in To', () => {
    const d = Dialog.forUas(invite, { localTag: 'bobtag', localContact: '<sip:bob@192.0.2.4>' });
    expect(d.routeSet).toEqual(['<sip:p2.biloxi.example.com;lr>', '<sip:p1.atlanta.example.com;lr>']);
    expect(d.remoteTarget).toBe('sip:alice@pc33.atlanta.example.com');
    expect(d.remoteSeq).toBe(314159);
    expect(d.localSeq).toBeUndefined();
    expect(d.id).toEqual({ callId: 'a84b4c76e66710@pc33.atlanta.example.com', localTag: 'bobtag', remoteTag: '1928301774' });
    const bye = d.createRequest('BYE');
    expect(bye.from().params.get('tag')).toBe('bobtag');
    expect(bye.from().uri.raw).toBe('sip:bob@biloxi.example.com');
    expect(bye.to().params.get('tag')).toBe('1928301774');
    expect(bye.cseq().seq).toBeGreaterThan(0);
    expect(bye.cseq().seq).toBeLessThan(2 ** 31);
  });

  it('a request with a CSeq lower than the last one gets 500; equal or higher moves on (§12.2.2)', () => {
    const d = Dialog.forUas(invite, { localTag: 'bobtag', localContact: '<sip:bob@h>' });
    const inDialog = (seq: number, method = 'INFO') =>
      msg([
        `${method} sip:bob@192.0.2.4 SIP/2.0`,
        'Via: SIP/2.0/UDP h;branch=z9hG4bK2',
        'To: <sip:bob@b>;tag=bobtag',
        'From: <sip:alice@a>;tag=1928301774',
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
        `CSeq: ${seq} ${method}`,
      ]) as SipRequest;
    expect(d.receiveRequest(inDialog(314160))).toEqual({ ok: true });
    expect(d.remoteSeq).toBe(314160);
    expect(d.receiveRequest(inDialog(314159))).toMatchObject({ ok: false, status: 500 });
    expect(d.remoteSeq).toBe(314160);
    // ACK reuses the INVITE's number: never checked.
    expect(d.receiveRequest(inDialog(1, 'ACK'))).toEqual({ ok: true });
  });

  it('dialog ids: the receiver of a request keys it by To tag, of a response by From tag', () => {
    const d = Dialog.forUas(invite, { localTag: 'bobtag', localContact: '<sip:bob@h>' });
    const bye = d.createRequest('BYE');
    // As Alice receives it: local = her tag (To), remote = Bob's (From).
    expect(dialogIdOf(bye)).toEqual({ callId: d.id.callId, localTag: '1928301774', remoteTag: 'bobtag' });
    expect(dialogKey(dialogIdOf(ok()))).toBe(dialogKey({ callId: 'a84b4c76e66710@pc33.atlanta.example.com', localTag: '1928301774', remoteTag: 'a6c85cf' }));
  });
});
