/**
 * The pure pieces of the INVITE usage: session-timer negotiation and clock (RFC 4028), RSeq
 * tracking (RFC 3262 §4), redirect targets (RFC 3261 §8.1.3.4), Reason (RFC 3326) and the
 * words for failures.
 */
import { describe, it, expect } from 'vitest';
import { parseMessage, parseNameAddrList } from '../../../main/sip/message/index.ts';
import type { SipRequest } from '../../../main/sip/message/types.ts';
import { FakeClock } from '../../../main/sip/transaction/timers.ts';
import { negotiateAsUas, readAnswer, readSessionExpires, SessionTimer } from '../../../main/sip/usage/session-timer.ts';
import { readRAck, RSeqTracker } from '../../../main/sip/usage/prack.ts';
import { RedirectTargets } from '../../../main/sip/usage/invite-redirect.ts';
import { formatReason, parseReason } from '../../../main/sip/usage/invite-reason.ts';
import { describeFailure } from '../../../main/sip/usage/invite-failure.ts';

function invite(extra: string[]): SipRequest {
  const m = parseMessage(
    ['INVITE sip:b@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: c', 'CSeq: 1 INVITE', ...extra, 'Content-Length: 0', '', ''].join('\r\n'),
  );
  if (m.kind !== 'request') throw new Error('request expected');
  return m;
}

describe('session timers (RFC 4028)', () => {
  const config = { expires: 1800, minSE: 90 };

  it('§9: a Session-Expires below our Min-SE gets 422 when the UAC supports timers', () => {
    expect(negotiateAsUas(invite(['Supported: timer', 'Session-Expires: 60']), config)).toEqual({ kind: 'reject', status: 422, minSE: 90 });
  });

  it('§9: without timer support the interval is raised instead (a 422 would not be understood)', () => {
    const n = negotiateAsUas(invite(['Session-Expires: 60']), config);
    expect(n).toMatchObject({ kind: 'timer', interval: 90, refresher: 'uas' });
  });

  it('§9: the UAC that supports timers refreshes unless it chose otherwise; the 2xx then Requires timer', () => {
    const n = negotiateAsUas(invite(['Supported: timer', 'Session-Expires: 600']), config);
    expect(n).toEqual({ kind: 'timer', interval: 600, refresher: 'uac', headers: [['Session-Expires', '600;refresher=uac'], ['Require', 'timer']] });
    const m = negotiateAsUas(invite(['Supported: timer', 'Session-Expires: 600;refresher=uas']), config);
    expect(m).toMatchObject({ kind: 'timer', refresher: 'uas', headers: [['Session-Expires', '600;refresher=uas']] });
  });

  it('reads Session-Expires (compact form x too) and a 2xx without refresher means the UAC refreshes (§7.2)', () => {
    expect(readSessionExpires(invite(['x: 120;refresher=uas']))).toEqual({ interval: 120, refresher: 'uas' });
    expect(readSessionExpires(invite(['Session-Expires: soon']))).toBeUndefined();
    const ok = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nSession-Expires: 300\r\nContent-Length: 0\r\n\r\n');
    if (ok.kind !== 'response') throw new Error('response expected');
    expect(readAnswer(ok)).toEqual({ interval: 300, refresher: 'uac' });
  });

  it('§10: the refresher refreshes at half the interval; the other side gives up min(32, SE/3) before the end', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const t = new SessionTimer({ clock, onRefresh: () => events.push(`refresh@${clock.now()}`), onExpire: () => events.push(`expire@${clock.now()}`) });
    t.start(90, 'local');
    clock.advance(100_000);
    t.start(90, 'remote');
    clock.advance(100_000);
    t.start(1800, 'remote');
    clock.advance(2_000_000);
    expect(events).toEqual(['refresh@45000', 'expire@160000', 'expire@1968000']);
  });
});

describe('RSeq (RFC 3262 §4)', () => {
  it('the first reliable 1xx sets the sequence; the next must be one higher; lower ones are retransmissions', () => {
    const r = new RSeqTracker();
    expect(r.accept(41)).toBe('new');
    expect(r.accept(41)).toBe('retransmission');
    expect(r.accept(43)).toBe('out-of-order');
    expect(r.accept(42)).toBe('new');
    expect(r.accept(40)).toBe('retransmission');
  });

  it('reads RAck', () => {
    expect(readRAck(invite(['RAck: 776656 1 INVITE']))).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(readRAck(invite(['RAck: x 1 INVITE']))).toBeUndefined();
  });
});

describe('redirect targets (RFC 3261 §8.1.3.4)', () => {
  it('q-value order, each URI once, SIP only, and no deeper than the limit', () => {
    const first = parseNameAddrList('<sip:a@h1>')[0].uri;
    const r = new RedirectTargets({ maxDepth: 2, first });
    expect(r.add(parseNameAddrList('<sip:b@h2>;q=0.2, <sip:c@h3>;q=0.8, <mailto:x@y>, <sip:a@h1>'), 0)).toBe(2);
    expect(r.next()).toEqual({ uri: 'sip:c@h3', depth: 1 });
    expect(r.add(parseNameAddrList('<sip:d@h4>, <sip:c@h3>'), 1)).toBe(1);
    expect(r.next()).toEqual({ uri: 'sip:d@h4', depth: 2 });
    expect(r.add(parseNameAddrList('<sip:e@h5>'), 2)).toBe(0); // too deep
    expect(r.next()).toEqual({ uri: 'sip:b@h2', depth: 1 });
    expect(r.next()).toBeUndefined();
  });

  it('at most 5 targets in all, however many Contacts a 3xx lists', () => {
    const r = new RedirectTargets({ first: parseNameAddrList('<sip:a@h1>')[0].uri });
    const many = parseNameAddrList(Array.from({ length: 10_000 }, (_, i) => `<sip:u${i}@h${i}>`).join(', '));
    r.add(many, 0);
    expect(r.remaining).toBe(5);
    const given = [];
    for (let t = r.next(); t; t = r.next()) given.push(t.uri);
    expect(given).toEqual(['sip:u0@h0', 'sip:u1@h1', 'sip:u2@h2', 'sip:u3@h3', 'sip:u4@h4']);
    expect(r.add(parseNameAddrList('<sip:late@h>'), 1)).toBe(1);
    expect(r.next()).toBeUndefined();
  });
});

describe('Reason (RFC 3326) and failure words', () => {
  it('parses and formats Reason values', () => {
    expect(parseReason('SIP ;cause=200 ;text="Call completed elsewhere"')).toEqual({ protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' });
    expect(parseReason('Q.850;cause=16')).toEqual({ protocol: 'Q.850', cause: 16 });
    expect(formatReason({ protocol: 'SIP', cause: 487, text: 'say "bye"' })).toBe('SIP;cause=487;text="say \\"bye\\""');
  });

  it('says what happened in words a person understands', () => {
    expect(describeFailure(486)).toBe('busy');
    expect(describeFailure(600)).toBe('busy everywhere');
    expect(describeFailure(603)).toBe('declined');
    expect(describeFailure(404)).toBe('not found');
    expect(describeFailure(480)).toBe('not available right now');
    expect(describeFailure(408)).toBe('no answer');
    expect(describeFailure(487)).toBe('cancelled');
    expect(describeFailure(488)).toBe('no common codec/media');
    // The stack's own words for a timeout or a dead peer stay as they are.
    expect(describeFailure(408, 'no answer from 127.0.0.1:5060 over UDP after 32 s')).toBe('no answer from 127.0.0.1:5060 over UDP after 32 s');
    expect(describeFailure(499, 'Odd')).toBe('the call failed (Odd)');
  });
});
