/**
 * InviteSession and InviteUsage over a fake transport and a FakeClock: the timers and the
 * message sequences the RFCs ask for, checked message by message.
 */
import { describe, it, expect, beforeEach } from 'vitest';
import { parseMessage } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';
import { SipResolver } from '../../../main/sip/transport/resolver.ts';
import { FakeClock } from '../../../main/sip/transaction/timers.ts';
import { UserAgent } from '../../../main/sip/usage/user-agent.ts';
import { InviteUsage } from '../../../main/sip/usage/invite-usage.ts';
import { glareBackoff } from '../../../main/sip/usage/invite-session.ts';
import type { InviteSession, TerminationInfo } from '../../../main/sip/usage/invite-session.ts';
import { FakeTransport, flush, responseTo } from '../transaction/helpers.ts';

class LocalFakeTransport extends FakeTransport {
  localAddresses() {
    return [{ protocol: 'UDP' as const, address: '127.0.0.1', port: 5060 }];
  }
}

let transport: LocalFakeTransport;
let clock: FakeClock;
let usage: InviteUsage;

beforeEach(() => {
  transport = new LocalFakeTransport();
  clock = new FakeClock();
  const ua = new UserAgent({ transport, resolver: new SipResolver({ servers: ['127.0.0.1:9'] }), clock });
  usage = new InviteUsage({ ua, clock, random: () => 0.5, sessionTimer: false });
});

function req(text: string): SipRequest {
  const m = parseMessage(text.replace(/\n/g, '\r\n') + '\r\n');
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function incomingInvite(extra: string[] = [], body = 'v=0\r\n'): SipRequest {
  return req(
    [
      'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKinv1',
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.2>;tag=alicetag',
      'To: <sip:bob@127.0.0.1>',
      'Call-ID: call-1',
      'CSeq: 7 INVITE',
      'Contact: <sip:alice@127.0.0.2:5060>',
      ...extra,
      body ? 'Content-Type: application/sdp' : '',
      `Content-Length: ${body.length}`,
      '',
      body,
    ]
      .filter((l, i, a) => l !== '' || i >= a.length - 2)
      .join('\n'),
  );
}

function inDialog(method: string, seq: number, toTag: string, extra: string[] = []): SipRequest {
  return req(
    [
      `${method} sip:bob@127.0.0.1:5060 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK${method}${seq}`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.2>;tag=alicetag',
      `To: <sip:bob@127.0.0.1>;tag=${toTag}`,
      'Call-ID: call-1',
      `CSeq: ${seq} ${method}`,
      ...extra,
      'Content-Length: 0',
      '',
    ].join('\n'),
  );
}

async function incomingSession(invite = incomingInvite()): Promise<InviteSession> {
  let session: InviteSession | undefined;
  usage.onIncoming((s) => (session = s));
  transport.deliver(invite);
  await flush();
  await flush();
  if (!session) throw new Error('no incoming session');
  return session;
}

function sentStatuses(status: number): SipResponse[] {
  return transport.responses.map((r) => r.response).filter((r) => r.status === status);
}

function ended(session: InviteSession): TerminationInfo[] {
  const out: TerminationInfo[] = [];
  session.on('terminated', (i) => out.push(i));
  return out;
}

describe('UAS: the 2xx is the TU\'s to retransmit (RFC 3261 §13.3.1.4)', () => {
  it('MUST retransmit the 2xx at T1, doubling up to T2, until the ACK arrives', async () => {
    const s = await incomingSession();
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    expect(sentStatuses(200)).toHaveLength(1);
    const ok = sentStatuses(200)[0];
    expect(ok.header('Contact')).toBe('<sip:bob@127.0.0.1:5060>');
    const tag = ok.to().params.get('tag')!;
    const times: number[] = [];
    for (let t = 0; t < 12_000; t += 10) {
      const before = sentStatuses(200).length;
      clock.advance(10);
      if (sentStatuses(200).length > before) times.push(clock.now());
    }
    // 500, 1000 (+500), 2000 (+1000), 4000 (+2000), 8000 (+4000 = T2), 12000 (+4000)
    expect(times).toEqual([500, 1500, 3500, 7500, 11500]);
    transport.deliver(inDialog('ACK', 7, tag));
    expect(s.state).toBe('Confirmed');
    const count = sentStatuses(200).length;
    clock.advance(30_000);
    expect(sentStatuses(200)).toHaveLength(count);
  });

  it('no ACK within 64·T1: the session ends with a BYE', async () => {
    const s = await incomingSession();
    const info = ended(s);
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    clock.advance(31_999);
    expect(info).toEqual([]);
    clock.advance(1);
    await flush();
    expect(info[0]).toMatchObject({ cause: 'no-ack', status: 408 });
    await flush();
    expect(transport.requestMethods()).toEqual(['BYE']);
    expect(transport.requests[0].request.uri).toBe('sip:alice@127.0.0.2:5060');
  });

  it('CANCEL before the answer: 200 to the CANCEL (the layer), 487 to the INVITE, "cancelled" event', async () => {
    const s = await incomingSession();
    const info = ended(s);
    s.ringing();
    transport.deliver(req(['CANCEL sip:bob@127.0.0.1:5060 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKinv1', 'Max-Forwards: 70', 'From: <sip:alice@127.0.0.2>;tag=alicetag', 'To: <sip:bob@127.0.0.1>', 'Call-ID: call-1', 'CSeq: 7 CANCEL', 'Reason: SIP;cause=200;text="Call completed elsewhere"', 'Content-Length: 0', ''].join('\n')));
    expect(transport.responseStatuses()).toEqual([180, 200, 487]);
    expect(info[0]).toMatchObject({ cause: 'cancel', by: 'remote', status: 487, reason: 'answered elsewhere', reasonHeader: { protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' } });
  });

  it('the same INVITE arriving by a second path gets 482 (§8.2.2.2)', async () => {
    await incomingSession();
    const again = incomingInvite();
    again.setHeader('Via', 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bKother');
    transport.deliver(again);
    await flush();
    expect(transport.responseStatuses()).toContain(482);
  });

  it('a request for a dialog we do not have gets 481 (§12.2.2); a lower CSeq in ours gets 500', async () => {
    transport.deliver(inDialog('BYE', 8, 'nosuchtag'));
    expect(transport.responseStatuses()).toEqual([481]);
    const s = await incomingSession();
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    transport.deliver(inDialog('ACK', 7, tag));
    transport.deliver(inDialog('INFO', 9, tag));
    transport.deliver(inDialog('INFO', 8, tag));
    expect(transport.responseStatuses().slice(-2)).toEqual([200, 500]);
  });

  it('a BYE ends the call with 200 and the Reason the peer gave (RFC 3326)', async () => {
    const s = await incomingSession();
    const info = ended(s);
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    transport.deliver(inDialog('ACK', 7, tag));
    transport.deliver(inDialog('BYE', 8, tag, ['Reason: Q.850;cause=16;text="Normal call clearing"']));
    expect(transport.responseStatuses().at(-1)).toBe(200);
    expect(info[0]).toMatchObject({ cause: 'bye', by: 'remote', reasonHeader: { protocol: 'Q.850', cause: 16, text: 'Normal call clearing' } });
  });

  it('a re-INVITE while ours is pending gets 491; while theirs is unanswered, 500 with Retry-After (§14.2)', async () => {
    const s = await incomingSession();
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    transport.deliver(inDialog('ACK', 7, tag));
    s.delegate = { onOffer: () => new Promise(() => {}) }; // never answers
    void s.reinvite({ body: { contentType: 'application/sdp', body: 'v=0\r\ns=hold\r\n' } });
    await flush();
    expect(transport.requestMethods()).toEqual(['INVITE']);
    const reinvite = inDialog('INVITE', 8, tag, ['Contact: <sip:alice@127.0.0.2:5060>', 'Content-Type: application/sdp']);
    transport.deliver(reinvite);
    expect(transport.responseStatuses().at(-1)).toBe(491);
  });

  // The ACK and the next re-INVITE cross on the way (a proxy with several workers reorders them,
  // RFC 5407 §3.1.4): the peer sends no INVITE before its last one is done (§14.1), so the new
  // one acknowledges our 2xx. A 500 with Retry-After here held a baresip resume up to 10 s.
  it('a re-INVITE that overtakes the ACK of the last one is answered; the earlier 2xx stops; the late ACK changes nothing', async () => {
    const s = await incomingSession();
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    transport.deliver(inDialog('ACK', 7, tag));
    const offers: string[] = [];
    s.delegate = { onOffer: (o) => (offers.push(/s=(\w+)/.exec(String(o.body))?.[1] ?? '?'), { contentType: 'application/sdp', body: `v=0\r\ns=answer ${offers.length}\r\n` }) };
    const offer = (seq: number, what: string) => reinviteWith(seq, tag, what);
    transport.deliver(offer(8, 'v=0\r\ns=hold\r\n'));
    await flush();
    const okTo = (seq: number) => sentStatuses(200).filter((r) => r.cseq().seq === seq && r.cseq().method === 'INVITE');
    expect(okTo(8)).toHaveLength(1);
    transport.deliver(offer(9, 'v=0\r\ns=resume\r\n')); // before ACK 8
    await flush();
    expect(okTo(9)).toHaveLength(1);
    expect(transport.responseStatuses()).not.toContain(500);
    expect(offers).toEqual(['hold', 'resume']);
    clock.advance(2_000);
    expect(okTo(8)).toHaveLength(1); // no longer retransmitted
    expect(okTo(9).length).toBeGreaterThan(1); // still waiting for its own ACK
    transport.deliver(inDialog('ACK', 8, tag)); // late: changes nothing
    clock.advance(1_000);
    const nine = okTo(9).length;
    expect(nine).toBeGreaterThan(2);
    transport.deliver(inDialog('ACK', 9, tag));
    clock.advance(10_000);
    expect(okTo(9)).toHaveLength(nine);
    expect(s.state).toBe('Confirmed');
  });

  it('a re-INVITE that overtakes the ACK of the call\'s 2xx: the call is confirmed, the re-INVITE answered', async () => {
    const s = await incomingSession();
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    expect(s.state).toBe('Accepted');
    s.delegate = { onOffer: () => ({ contentType: 'application/sdp', body: 'v=0\r\ns=answer\r\n' }) };
    transport.deliver(reinviteWith(8, tag, 'v=0\r\ns=hold\r\n'));
    await flush();
    expect(s.state).toBe('Confirmed');
    expect(sentStatuses(200).filter((r) => r.cseq().seq === 8)).toHaveLength(1);
    const first = sentStatuses(200).filter((r) => r.cseq().seq === 7).length;
    clock.advance(5_000);
    expect(sentStatuses(200).filter((r) => r.cseq().seq === 7)).toHaveLength(first);
  });

  it('but while our 2xx holds our offer, only the ACK brings its answer: a re-INVITE then gets 500 with Retry-After (§14.2)', async () => {
    const s = await incomingSession(incomingInvite([], ''));
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\ns=our offer\r\n' });
    const tag = sentStatuses(200)[0].to().params.get('tag')!;
    transport.deliver(reinviteWith(8, tag, 'v=0\r\ns=hold\r\n'));
    await flush();
    const last = transport.responses.at(-1)!.response;
    expect(last.status).toBe(500);
    expect(Number(last.header('Retry-After'))).toBeLessThanOrEqual(10);
    expect(s.state).toBe('Accepted');
  });
});

function reinviteWith(seq: number, toTag: string, body: string): SipRequest {
  return req(
    [
      'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKreinv${seq}`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.2>;tag=alicetag',
      `To: <sip:bob@127.0.0.1>;tag=${toTag}`,
      'Call-ID: call-1',
      `CSeq: ${seq} INVITE`,
      'Contact: <sip:alice@127.0.0.2:5060>',
      'Content-Type: application/sdp',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\n'),
  );
}

describe('UAS: reliable provisional responses (RFC 3262 §3)', () => {
  it('retransmits the reliable 1xx at T1, 2·T1… until the PRACK, then answers the PRACK 200', async () => {
    const s = await incomingSession(incomingInvite(['Require: 100rel', 'Supported: 100rel']));
    s.ringing();
    const first = sentStatuses(180)[0];
    expect(first.header('Require')).toBe('100rel');
    const rseq = Number(first.header('RSeq'));
    expect(rseq).toBeGreaterThan(0);
    clock.advance(500);
    expect(sentStatuses(180)).toHaveLength(2);
    clock.advance(1000);
    expect(sentStatuses(180)).toHaveLength(3);
    // accept() waits for the PRACK of the 1xx in flight.
    s.accept({ contentType: 'application/sdp', body: 'v=0\r\n' });
    expect(sentStatuses(200)).toHaveLength(0);
    const tag = first.to().params.get('tag')!;
    transport.deliver(inDialog('PRACK', 8, tag, [`RAck: ${rseq + 1} 7 INVITE`]));
    expect(transport.responseStatuses().at(-1)).toBe(481);
    transport.deliver(inDialog('PRACK', 9, tag, [`RAck: ${rseq} 7 INVITE`]));
    // 200 to the PRACK, then the queued 200 to the INVITE.
    expect(sentStatuses(200).map((r) => r.cseq().method)).toEqual(['PRACK', 'INVITE']);
    clock.advance(4000);
    expect(sentStatuses(180)).toHaveLength(3);
  });

  it('no PRACK in 64·T1: the INVITE is rejected with a 5xx', async () => {
    const s = await incomingSession(incomingInvite(['Require: 100rel']));
    const info = ended(s);
    s.ringing();
    clock.advance(32_000);
    expect(transport.responseStatuses().at(-1)).toBe(504);
    expect(info[0]).toMatchObject({ cause: 'no-prack' });
  });
});

describe('UAC (RFC 3261 §13.2)', () => {
  async function call(): Promise<{ s: InviteSession; invite: SipRequest }> {
    const s = usage.invite({ to: 'sip:bob@127.0.0.2:5060', from: 'sip:alice@127.0.0.1', offer: { contentType: 'application/sdp', body: 'v=0\r\n' } });
    await flush();
    await flush();
    const invite = transport.requests.find((r) => r.request.method === 'INVITE')!.request;
    return { s, invite };
  }

  const contact = (host: string) => [`Contact: <sip:bob@${host}:5060>`, 'Content-Type: application/sdp'];

  function ok(invite: SipRequest, tag: string, host = '127.0.0.2'): SipResponse {
    const r = responseTo(invite, 200, { toTag: tag, extra: contact(host) });
    r.body = new TextEncoder().encode('v=0\r\n');
    return r;
  }

  it('the INVITE advertises 100rel and timer support, Allow, and carries the offer', async () => {
    const { invite } = await call();
    expect(invite.headers('Supported')).toEqual(expect.arrayContaining(['100rel', 'timer']));
    expect(invite.headers('Allow')).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'PRACK']));
    expect(invite.header('Contact')).toBe('<sip:alice@127.0.0.1:5060>');
    expect(invite.hasHeader('Require')).toBe(false);
    expect(new TextDecoder().decode(invite.body)).toBe('v=0\r\n');
  });

  it('ACKs the 2xx itself with a new branch, ACKs every retransmission, and ACKs then BYEs a second fork (§13.2.2.4)', async () => {
    const { s, invite } = await call();
    transport.deliver(ok(invite, 'fork1'));
    await flush();
    await flush();
    expect(s.state).toBe('Confirmed');
    const acks = () => transport.requests.filter((r) => r.request.method === 'ACK');
    expect(acks()).toHaveLength(1);
    expect(acks()[0].request.topVia().branch).not.toBe(invite.topVia().branch);
    expect(acks()[0].request.cseq()).toEqual({ seq: invite.cseq().seq, method: 'ACK' });
    transport.deliver(ok(invite, 'fork1'));
    await flush();
    await flush();
    expect(acks()).toHaveLength(2);
    transport.deliver(ok(invite, 'fork2', '127.0.0.3'));
    await flush();
    await flush();
    await flush();
    expect(acks()).toHaveLength(3);
    const bye = transport.requests.find((r) => r.request.method === 'BYE')!.request;
    expect(bye.to().params.get('tag')).toBe('fork2');
    expect(bye.uri).toBe('sip:bob@127.0.0.3:5060');
    expect(s.dialog!.id.remoteTag).toBe('fork1');
    expect(s.state).toBe('Confirmed');
  });

  it('CANCEL waits for a provisional (§9.1); the 487 ends the call as "cancelled"', async () => {
    const { s, invite } = await call();
    const info = ended(s);
    s.cancel();
    await flush();
    expect(transport.requestMethods()).toEqual(['INVITE']);
    transport.deliver(responseTo(invite, 100));
    await flush();
    expect(transport.requestMethods()).toEqual(['INVITE', 'CANCEL']);
    transport.deliver(responseTo(invite, 487, { toTag: 'x' }));
    await flush();
    expect(info[0]).toMatchObject({ cause: 'cancel', by: 'local', status: 487, reason: 'cancelled' });
  });

  it('3xx: Contacts are tried in q-value order, then the last failure is reported in words (§8.1.3.4)', async () => {
    const { s, invite } = await call();
    const info = ended(s);
    const redirected: string[] = [];
    s.on('redirected', (r) => redirected.push(r.target));
    transport.deliver(responseTo(invite, 302, { toTag: 'r', extra: ['Contact: <sip:low@127.0.0.5>;q=0.1, <sip:high@127.0.0.6>;q=0.9, <sip:mid@127.0.0.7>'] }));
    await flush();
    await flush();
    // No q counts as 1.0: mid first, then high, then low.
    expect(redirected).toEqual(['sip:mid@127.0.0.7']);
    const second = transport.requests.filter((r) => r.request.method === 'INVITE')[1].request;
    expect(second.uri).toBe('sip:mid@127.0.0.7');
    expect(second.cseq().seq).toBe(invite.cseq().seq + 1);
    expect(second.callId()).toBe(invite.callId());
    transport.deliver(responseTo(second, 486, { toTag: 'b' }));
    await flush();
    await flush();
    const third = transport.requests.filter((r) => r.request.method === 'INVITE')[2].request;
    expect(third.uri).toBe('sip:high@127.0.0.6');
    transport.deliver(responseTo(third, 404, { toTag: 'c' }));
    await flush();
    await flush();
    const fourth = transport.requests.filter((r) => r.request.method === 'INVITE')[3].request;
    expect(fourth.uri).toBe('sip:low@127.0.0.5');
    transport.deliver(responseTo(fourth, 604, { toTag: 'd' }));
    await flush();
    expect(info[0]).toEqual({ cause: 'rejected', by: 'remote', status: 604, reason: 'does not exist anywhere' });
  });

  it('a reliable 1xx is PRACKed once, in its early dialog; its retransmission is not (RFC 3262 §4)', async () => {
    const { invite } = await call();
    const r = responseTo(invite, 180, { toTag: 'early1', extra: ['Contact: <sip:bob@127.0.0.2:5060>', 'Require: 100rel', 'RSeq: 41'] });
    transport.deliver(r);
    await flush();
    await flush();
    transport.deliver(r);
    await flush();
    await flush();
    const pracks = transport.requests.filter((x) => x.request.method === 'PRACK');
    expect(pracks).toHaveLength(1);
    expect(pracks[0].request.header('RAck')).toBe(`41 ${invite.cseq().seq} INVITE`);
    expect(pracks[0].request.to().params.get('tag')).toBe('early1');
    expect(pracks[0].request.cseq().seq).toBe(invite.cseq().seq + 1);
  });
});

describe('§14.1 back-off after 491', () => {
  it('the Call-ID owner waits 2.1–4 s, the other side 0–2 s, in 10 ms units', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const owner = glareBackoff(true, () => r);
      const other = glareBackoff(false, () => r);
      expect(owner).toBeGreaterThanOrEqual(2100);
      expect(owner).toBeLessThanOrEqual(4000);
      expect(other).toBeGreaterThanOrEqual(0);
      expect(other).toBeLessThanOrEqual(2000);
      expect(owner % 10).toBe(0);
      expect(other % 10).toBe(0);
    }
    expect(glareBackoff(true, () => 0.999999)).toBe(4000);
    expect(glareBackoff(false, () => 0.999999)).toBe(2000);
  });
});
