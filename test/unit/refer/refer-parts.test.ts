/**
 * The pure pieces of call transfer: Replaces (RFC 3891 §6.1), Refer-To with an embedded,
 * escaped Replaces (RFC 3515 §2.1, RFC 3891 §4), sipfrag Status-Lines (RFC 3515 §2.4.5),
 * Event / Subscription-State (RFC 6665 §8.2), and the words a transfer's outcome is told in.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatReplaces, parseReplaces, replacedDialogId, replacesFor } from '../../../main/sip/usage/replaces-header.ts';
import { formatReferTo, formatReferredBy, parseReferredBy, parseReferTo } from '../../../main/sip/usage/refer-to.ts';
import { formatSipfrag, parseSipfrag, SIPFRAG_TYPE } from '../../../main/sip/usage/sipfrag.ts';
import { parseEvent, parseSubscriptionState } from '../../../main/sip/usage/refer-event.ts';
import { describeReferRejection, describeTermination, describeTransferFailure } from '../../../main/sip/usage/refer-words.ts';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest } from '../../../main/sip/message/types.ts';

describe('Replaces (RFC 3891 §6.1)', () => {
  it('reads call-id, to-tag, from-tag and the early-only flag, names case-insensitive', () => {
    expect(parseReplaces('425928@bobster.example.org;to-tag=7743;from-tag=6472')).toEqual({
      callId: '425928@bobster.example.org',
      toTag: '7743',
      fromTag: '6472',
      earlyOnly: false,
    });
    expect(parseReplaces(' abc ; From-Tag=f ; TO-TAG=t ; early-only ; x=y')).toEqual({ callId: 'abc', toTag: 't', fromTag: 'f', earlyOnly: true });
  });

  it('"MUST contain exactly one to-tag and exactly one from-tag": anything else is a 400', () => {
    for (const bad of ['abc;to-tag=1', 'abc;from-tag=1', 'abc;to-tag=1;to-tag=2;from-tag=3', ';to-tag=1;from-tag=2', 'a b;to-tag=1;from-tag=2', 'abc;to-tag=;from-tag=2']) {
      expect(() => parseReplaces(bad), bad).toThrow(expect.objectContaining({ status: 400, reason: 'Bad Replaces' }));
    }
  });

  it('formats what it parses (round trip over random tokens)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
    fc.assert(
      fc.property(token, fc.option(token, { nil: undefined }), token, token, fc.boolean(), (id, host, toTag, fromTag, earlyOnly) => {
        const r = { callId: host ? `${id}@${host}` : id, toTag, fromTag, earlyOnly };
        expect(parseReplaces(formatReplaces(r))).toEqual(r);
      }),
    );
  });

  it('"the to-tag is compared to the local tag, the from-tag to the remote tag" (§3): replacesFor swaps our tags for the peer', () => {
    const ours = { id: { callId: 'c1@host', localTag: 'mine', remoteTag: 'theirs' } };
    const r = replacesFor(ours);
    expect(r).toEqual({ callId: 'c1@host', toTag: 'theirs', fromTag: 'mine', earlyOnly: false });
    // At the peer, its local tag is our remote tag.
    expect(replacedDialogId(r)).toEqual({ callId: 'c1@host', localTag: 'theirs', remoteTag: 'mine' });
    expect(formatReplaces(replacesFor(ours, { earlyOnly: true }))).toBe('c1@host;to-tag=theirs;from-tag=mine;early-only');
  });
});

describe('Refer-To (RFC 3515 §2.1) with an embedded Replaces', () => {
  it('escapes the Replaces into the URI headers (";" "=" "@" become %3B %3D %40)', () => {
    const v = formatReferTo({ uri: 'sip:carol@127.0.0.1:5070;transport=tcp', replaces: { callId: 'x1@h', toTag: 'a', fromTag: 'b', earlyOnly: false } });
    expect(v).toBe('<sip:carol@127.0.0.1:5070;transport=tcp?Replaces=x1%40h%3Bto-tag%3Da%3Bfrom-tag%3Db>');
  });

  it('reads back the URI to call (no headers, no method) and the Replaces, unescaped', () => {
    const t = parseReferTo('"Carol" <sip:carol@atlanta.example.com;method=INVITE?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994&Accept-Contact=x>');
    expect(t.uri).toBe('sip:carol@atlanta.example.com');
    expect(t.displayName).toBe('Carol');
    expect(t.scheme).toBe('sip');
    expect(t.method).toBe('INVITE');
    expect(t.replaces).toEqual({ callId: '12345@192.168.118.3', toTag: '12345', fromTag: '5FFE-3994', earlyOnly: false });
    expect(t.headers.get('Accept-Contact')).toBe('x');
  });

  it('a plain Refer-To: INVITE by default, no Replaces; other schemes and methods are reported as written', () => {
    expect(parseReferTo('<sip:bob@example.com>')).toMatchObject({ uri: 'sip:bob@example.com', method: 'INVITE', scheme: 'sip' });
    expect(parseReferTo('<sip:bob@example.com>').replaces).toBeUndefined();
    expect(parseReferTo('sip:bob@example.com').uri).toBe('sip:bob@example.com');
    expect(parseReferTo('<sip:bob@example.com;method=bye>').method).toBe('BYE');
    expect(parseReferTo('<tel:+15551234>').scheme).toBe('tel');
    expect(parseReferTo('<http://example.com/x>').scheme).toBe('http');
  });

  it('a malformed address or embedded Replaces is a 400', () => {
    expect(() => parseReferTo('<sip:bob@example.com')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => parseReferTo('<sip:bob@example.com?Replaces=abc%3Bto-tag%3D1>')).toThrow(expect.objectContaining({ status: 400, reason: 'Bad Replaces' }));
  });

  it('formatReferTo round-trips through parseReferTo', () => {
    const replaces = { callId: 'a.b@c', toTag: 't', fromTag: 'f', earlyOnly: true };
    const t = parseReferTo(formatReferTo({ uri: '<sip:c@h:1>', displayName: 'C "x"', replaces }));
    expect(t).toMatchObject({ uri: 'sip:c@h:1', displayName: 'C "x"', replaces });
  });

  it('Referred-By (RFC 3892 §3) is a name-addr', () => {
    expect(parseReferredBy('"Bob" <sip:bob@biloxi.example.org>;cid="x"')).toEqual({ displayName: 'Bob', uri: 'sip:bob@biloxi.example.org' });
    expect(formatReferredBy('sip:bob@h')).toBe('<sip:bob@h>');
    expect(formatReferredBy('"B" <sip:bob@h>')).toBe('"B" <sip:bob@h>');
  });
});

describe('sipfrag (RFC 3515 §2.4.5: "the body … MUST begin with a SIP Response Status-Line")', () => {
  it('reads the Status-Line, from text or bytes, with or without headers after it', () => {
    expect(parseSipfrag('SIP/2.0 100 Trying\r\n')).toEqual({ status: 100, reason: 'Trying' });
    expect(parseSipfrag(new TextEncoder().encode('SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n'))).toEqual({ status: 486, reason: 'Busy Here' });
    expect(parseSipfrag('SIP/2.0 200')).toEqual({ status: 200, reason: '' });
    expect(parseSipfrag('\r\nsip/2.0 603 Declined')).toEqual({ status: 603, reason: 'Declined' });
  });

  it('anything that does not begin with a Status-Line reads as nothing', () => {
    for (const bad of ['', 'INVITE sip:x@y SIP/2.0\r\n', 'SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/1.0 200 OK', 'hello']) expect(parseSipfrag(bad), bad).toBeUndefined();
  });

  it('formats one Status-Line with the usual phrase', () => {
    expect(formatSipfrag(100)).toBe('SIP/2.0 100 Trying\r\n');
    expect(formatSipfrag(486)).toBe('SIP/2.0 486 Busy Here\r\n');
    expect(formatSipfrag(200, 'Fine')).toBe('SIP/2.0 200 Fine\r\n');
    expect(SIPFRAG_TYPE).toBe('message/sipfrag;version=2.0');
    expect(() => formatSipfrag(99)).toThrow(RangeError);
  });
});

describe('Event and Subscription-State (RFC 6665 §8.2)', () => {
  it('Event: package and id', () => {
    expect(parseEvent('refer;id=93809824')).toEqual({ package: 'refer', id: '93809824' });
    expect(parseEvent('Refer')).toEqual({ package: 'refer' });
    expect(parseEvent('presence ; ID = 7')).toEqual({ package: 'presence', id: '7' });
    expect(parseEvent('')).toBeUndefined();
    expect(parseEvent(undefined)).toBeUndefined();
  });

  it('Subscription-State: state, expires, reason, retry-after', () => {
    expect(parseSubscriptionState('active;expires=60')).toEqual({ state: 'active', expires: 60 });
    expect(parseSubscriptionState('terminated;reason=noresource')).toEqual({ state: 'terminated', reason: 'noresource' });
    expect(parseSubscriptionState('Terminated;Reason=Timeout;retry-after=5')).toEqual({ state: 'terminated', reason: 'timeout', retryAfter: 5 });
    expect(parseSubscriptionState(undefined)).toBeUndefined();
  });
});

describe('outcomes in words', () => {
  it('the target\'s failure keeps its status in brackets', () => {
    expect(describeTransferFailure(486)).toBe('the transfer target is busy (486)');
    expect(describeTransferFailure(603)).toBe('the transfer target declined the call (603)');
    expect(describeTransferFailure(404)).toBe('the transfer target was not found (404)');
    expect(describeTransferFailure(599, 'Odd')).toBe('the call to the transfer target failed: the other side had a problem (Odd) (599)');
  });

  it('a refused REFER and an ended subscription', () => {
    expect(describeReferRejection(603)).toBe('the other side declined the transfer (603)');
    expect(describeReferRejection(405)).toBe('the other side cannot transfer calls (405)');
    expect(describeTermination('timeout')).toMatch(/stopped reporting/);
    expect(describeTermination(undefined)).toMatch(/without saying how the transfer went/);
  });
});

describe('the message layer reads the transfer headers', () => {
  it('compact forms r (Refer-To) and b (Referred-By) are honoured', () => {
    const text =
      'REFER sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nTo: <sip:a@127.0.0.1>;tag=1\r\n' +
      'From: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: c\r\nCSeq: 2 REFER\r\nr: <sip:c@127.0.0.1?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\nb: <sip:b@127.0.0.1>\r\nContent-Length: 0\r\n\r\n';
    const m = parseMessage(new TextEncoder().encode(text)) as SipRequest;
    expect(parseReferTo(m.header('Refer-To')!).replaces).toEqual({ callId: 'x', toTag: '1', fromTag: '2', earlyOnly: false });
    expect(parseReferredBy(m.header('Referred-By')!).uri).toBe('sip:b@127.0.0.1');
  });
});
