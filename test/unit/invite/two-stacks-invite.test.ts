/**
 * INVITE sessions end to end: two (or three) whole stacks — SipTransport → UserAgent →
 * InviteUsage — over loopback sockets, each on its own FakeClock (time moves only when a spec
 * says so). Every exchange is real SIP over UDP or TCP.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { DigestAuthenticator, digestResponse } from '../../../main/sip/auth/index.ts';
import type { DigestAlgorithm } from '../../../main/sip/auth/index.ts';
import type { InviteSession } from '../../../main/sip/usage/invite-session.ts';
import { count, next, nextIncoming, sdp, startStack, text, until } from './stack.ts';
import type { Stack } from './stack.ts';

let alice: Stack;
let bob: Stack;

beforeEach(async () => {
  [alice, bob] = await Promise.all([startStack('alice'), startStack('bob')]);
});

afterEach(async () => {
  await Promise.all([alice.stop(), bob.stop()]);
});

/** Alice calls Bob with an offer; Bob rings then answers. Both confirmed. */
async function establish(protocol: 'UDP' | 'TCP' = 'UDP'): Promise<{ a: InviteSession; b: InviteSession }> {
  const incoming = nextIncoming(bob);
  const a = alice.usage.invite({ to: bob.uri(protocol), from: 'sip:alice@127.0.0.1', offer: sdp('alice offer') });
  const b = await incoming;
  const aConfirmed = next(a, 'confirmed');
  const bConfirmed = next(b, 'confirmed');
  b.ringing();
  b.accept(sdp('bob answer'));
  await Promise.all([aConfirmed, bConfirmed]);
  return { a, b };
}

describe('a basic call (RFC 3261 §13)', () => {
  for (const protocol of ['UDP', 'TCP'] as const) {
    it(`over ${protocol}: INVITE, 180, 200, ACK; the caller hangs up with BYE and both end`, async () => {
      const incoming = nextIncoming(bob);
      const a = alice.usage.invite({ to: bob.uri(protocol), from: 'sip:alice@127.0.0.1', displayName: 'Alice', offer: sdp('alice offer') });
      const b = await incoming;
      expect(b.state).toBe('Incoming');
      expect(b.remoteIdentity).toEqual({ displayName: 'Alice', uri: 'sip:alice@127.0.0.1' });
      expect(text(b.offer)).toContain('s=alice offer');

      const ringing = next(a, 'ringing');
      b.ringing();
      await ringing;
      expect(a.state).toBe('Early');

      const answer = next(a, 'answer');
      const confirmed = next(b, 'confirmed');
      b.accept(sdp('bob answer'));
      const [body, info] = await answer;
      expect(text(body)).toContain('s=bob answer');
      expect(info).toEqual({ method: 'INVITE', early: false, refresh: false });
      await confirmed;
      expect(a.state).toBe('Confirmed');
      expect(b.state).toBe('Confirmed');
      // The dialogs mirror each other (§12): same Call-ID, swapped tags, each other's Contact.
      expect(a.dialog!.id).toEqual({ callId: b.dialog!.id.callId, localTag: b.dialog!.id.remoteTag, remoteTag: b.dialog!.id.localTag });
      expect(a.dialog!.remoteTarget).toMatch(/^sip:bob@127\.0\.0\.1:\d+/);
      if (protocol === 'TCP') expect(a.dialog!.remoteTarget).toContain('transport=tcp');

      const ended = next(b, 'terminated');
      const bye = a.bye({ reason: { protocol: 'SIP', cause: 200, text: 'Bye now' } });
      expect(a.state).toBe('Terminated');
      const [info2] = await ended;
      expect(info2.cause).toBe('bye');
      expect(info2.by).toBe('remote');
      expect(info2.reasonHeader).toEqual({ protocol: 'SIP', cause: 200, text: 'Bye now' });
      expect((await bye)?.status).toBe(200);
      expect(alice.usage.sessions.size).toBe(0);
      expect(bob.usage.sessions.size).toBe(0);
    });
  }

  it('the callee hangs up: BYE from the UAS (over TCP it reuses the connection the INVITE came on)', async () => {
    const { a, b } = await establish('TCP');
    const ended = next(a, 'terminated');
    const before = count(bob, 'sent');
    await b.bye();
    const [info] = await ended;
    expect(info).toMatchObject({ cause: 'bye', by: 'remote', reason: 'the other side hung up' });
    expect(count(bob, 'sent BYE')).toBe(1);
    expect(count(bob, 'sent')).toBeGreaterThan(before);
    // One TCP connection in all: the BYE did not open a second one.
    expect(bob.transport.connections()).toHaveLength(1);
    expect(alice.transport.connections()).toHaveLength(1);
  });

  it('an INVITE without an offer: the offer comes in the 200, the answer in the ACK (§13.2.1)', async () => {
    const incoming = nextIncoming(bob);
    const a = alice.usage.invite({
      to: bob.uri(),
      from: 'sip:alice@127.0.0.1',
      delegate: { onOffer: (offer) => ({ contentType: 'application/sdp', body: `answer to ${text(offer).includes('bob offer') ? 'bob' : '?'}` }) },
    });
    const b = await incoming;
    expect(b.offer).toBeUndefined();
    const answer = next(b, 'answer');
    b.accept(sdp('bob offer'));
    const [body, info] = await answer;
    expect(text(body)).toBe('answer to bob');
    expect(info.method).toBe('ACK');
    await until(() => a.state === 'Confirmed' && b.state === 'Confirmed', 'both confirmed');
  });
});

describe('calls that do not happen', () => {
  for (const [status, words] of [[603, 'declined'], [486, 'busy'], [480, 'not available right now'], [600, 'busy everywhere']] as const) {
    it(`${status} reaches the caller as "${words}"`, async () => {
      const incoming = nextIncoming(bob);
      const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o') });
      const b = await incoming;
      const ended = next(a, 'terminated');
      b.reject(status);
      const [info] = await ended;
      expect(info).toEqual({ cause: 'rejected', by: 'remote', status, reason: words });
      expect(b.state).toBe('Terminated');
    });
  }

  it('CANCEL (§9): the caller gives up while it rings; the callee hears "cancelled" and answers 487', async () => {
    const incoming = nextIncoming(bob);
    const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o') });
    const b = await incoming;
    const ringing = next(a, 'ringing');
    b.ringing();
    await ringing;
    const bEnded = next(b, 'terminated');
    const aEnded = next(a, 'terminated');
    a.cancel();
    expect(a.state).toBe('Terminating');
    const [[bInfo], [aInfo]] = await Promise.all([bEnded, aEnded]);
    expect(bInfo).toMatchObject({ cause: 'cancel', by: 'remote', status: 487 });
    expect(aInfo).toMatchObject({ cause: 'cancel', by: 'local', status: 487, reason: 'cancelled' });
    expect(count(alice, 'received SIP/2.0 487')).toBe(1);
    expect(count(alice, 'received SIP/2.0 200 OK')).toBe(1); // the CANCEL's
  });

  it('the 200 crosses the CANCEL: the caller ACKs it, then ends the call with BYE (§9.1)', async () => {
    const incoming = nextIncoming(bob);
    const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o') });
    const b = await incoming;
    const ringing = next(a, 'ringing');
    b.ringing();
    await ringing;
    const aEnded = next(a, 'terminated');
    const bEnded = next(b, 'terminated');
    b.accept(sdp('a'));
    a.cancel();
    const [[aInfo], [bInfo]] = await Promise.all([aEnded, bEnded]);
    expect(aInfo.cause).toBe('cancel');
    expect(bInfo).toMatchObject({ cause: 'bye', by: 'remote' });
    expect(count(alice, 'sent ACK')).toBe(1);
    expect(count(alice, 'sent BYE')).toBe(1);
  });
});

describe('changing the session (§14, RFC 3311)', () => {
  it('hold and resume by re-INVITE, from each side; the answer comes back through onOffer', async () => {
    const { a, b } = await establish();
    const seenByBob: string[] = [];
    const seenByAlice: string[] = [];
    b.delegate = { onOffer: (o) => (seenByBob.push(text(o)), sdp('bob answer', text(o).includes('sendonly') ? 'recvonly' : 'sendrecv')) };
    a.delegate = { onOffer: (o) => (seenByAlice.push(text(o)), sdp('alice answer', text(o).includes('sendonly') ? 'recvonly' : 'sendrecv')) };

    const hold = await a.reinvite({ body: sdp('alice hold', 'sendonly') });
    expect(hold.ok).toBe(true);
    expect(text(hold.answer)).toContain('a=recvonly');
    const resume = await a.reinvite({ body: sdp('alice resume') });
    expect(text(resume.answer)).toContain('a=sendrecv');
    expect(seenByBob.map((s) => /s=(.*)/.exec(s)![1].trim())).toEqual(['alice hold', 'alice resume']);

    const bobHold = await b.reinvite({ body: sdp('bob hold', 'sendonly') });
    expect(bobHold.ok).toBe(true);
    expect(text(bobHold.answer)).toContain('a=recvonly');
    expect(seenByAlice).toHaveLength(1);
    expect(a.state).toBe('Confirmed');
    expect(b.state).toBe('Confirmed');
  });

  it('a re-INVITE the peer refuses (488) leaves the call as it was (§14.1)', async () => {
    const { a, b } = await establish();
    b.delegate = { onOffer: () => Promise.reject(new Error('no codec')) };
    const r = await a.reinvite({ body: sdp('video only') });
    expect(r).toEqual({ ok: false, status: 488, reason: 'no common codec/media' });
    expect(a.state).toBe('Confirmed');
    expect(b.state).toBe('Confirmed');
  });

  it('UPDATE with an offer (RFC 3311)', async () => {
    const { a, b } = await establish();
    b.delegate = { onOffer: (o) => ({ contentType: 'application/sdp', body: `ok ${text(o).length}` }) };
    const r = await a.update({ body: sdp('codec change') });
    expect(r.ok).toBe(true);
    expect(text(r.answer)).toMatch(/^ok \d+$/);
  });

  it('glare: both re-INVITE at once, both get 491, each retries after its §14.1 back-off and both succeed', async () => {
    const { a, b } = await establish();
    a.delegate = { onOffer: () => sdp('a answers') };
    b.delegate = { onOffer: () => sdp('b answers') };
    const ra = a.reinvite({ body: sdp('from a') });
    const rb = b.reinvite({ body: sdp('from b') });
    await until(() => count(alice, 'received SIP/2.0 491') === 1 && count(bob, 'received SIP/2.0 491') === 1, '491 both ways');
    // random() = 0.5: Bob (not the Call-ID owner) waits 1.00 s, Alice (the owner) 3.05 s.
    bob.clock.advance(999);
    expect(count(bob, 'sent INVITE')).toBe(1);
    bob.clock.advance(1);
    expect((await rb).ok).toBe(true);
    alice.clock.advance(3049);
    expect(count(alice, 'sent INVITE')).toBe(2);
    alice.clock.advance(1);
    expect((await ra).ok).toBe(true);
    expect(count(alice, 'sent INVITE')).toBe(3);
  });

  it('INFO in the dialog reaches the other side as an event (DTMF relay)', async () => {
    const { a, b } = await establish();
    const got = next(b, 'info');
    const res = await a.info({ contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' });
    expect(res.status).toBe(200);
    const [body] = await got;
    expect(body).toEqual({ contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' });
  });

  it('requests this layer does not handle (REFER) go to the delegate; 481 for a dialog that does not exist', async () => {
    await alice.stop();
    await bob.stop();
    [alice, bob] = await Promise.all([startStack('alice', { dialogMethods: ['REFER'] }), startStack('bob', { dialogMethods: ['REFER'] })]);
    const { a, b } = await establish();
    b.delegate = { onRequest: (req, reply) => reply(202, { headers: [['X-Seen', req.header('Refer-To') ?? '']] }) };
    const res = await a.sendRequest('REFER', { headers: [['Refer-To', '<sip:carol@127.0.0.1>']] });
    expect(res.status).toBe(202);
    expect(res.header('X-Seen')).toBe('<sip:carol@127.0.0.1>');
    await a.bye();
    await until(() => b.state === 'Terminated', 'bob ended');
    // The dialog is gone now: §12.2.2 answers 481.
    await expect(a.sendRequest('INFO')).rejects.toThrow(/no dialog/);
  });
});

describe('session timers (RFC 4028)', () => {
  it('the refresher refreshes at half the interval; the other side BYEs when refreshes stop', async () => {
    await alice.stop();
    await bob.stop();
    [alice, bob] = await Promise.all([
      startStack('alice', { sessionTimer: { expires: 90, minSE: 90 } }),
      startStack('bob', { sessionTimer: { expires: 90, minSE: 90 } }),
    ]);
    const { a, b } = await establish();
    // Alice supports timers, so Bob chose her as the refresher (§9).
    expect(a.sessionInterval).toEqual({ interval: 90, refresher: 'local' });
    expect(b.sessionInterval).toEqual({ interval: 90, refresher: 'remote' });
    const refreshed = next(b, 'refreshed');
    alice.clock.advance(45_000);
    await refreshed;
    // Bob allows UPDATE: the refresh is an UPDATE without a body.
    expect(count(alice, 'sent UPDATE')).toBe(1);
    await until(() => count(alice, 'received SIP/2.0 200') >= 2, 'UPDATE answered');

    // Alice vanishes; Bob waits 90 − min(32, 30) = 60 s after the last refresh, then BYEs.
    await alice.transport.stop();
    const ended = next(b, 'terminated');
    bob.clock.advance(59_999);
    expect(b.state).toBe('Confirmed');
    bob.clock.advance(1);
    const [info] = await ended;
    expect(info.cause).toBe('session-expired');
    await until(() => count(bob, 'sent BYE') === 1, 'BYE sent');
  });

  it('422: an interval below the callee\'s Min-SE is retried with it (§7.4)', async () => {
    await alice.stop();
    await bob.stop();
    [alice, bob] = await Promise.all([
      startStack('alice', { sessionTimer: { expires: 90, minSE: 90 } }),
      startStack('bob', { sessionTimer: { expires: 300, minSE: 120 } }),
    ]);
    const { a } = await establish();
    expect(count(alice, 'received SIP/2.0 422')).toBe(1);
    expect(a.sessionInterval).toEqual({ interval: 120, refresher: 'local' });
  });
});

describe('reliable provisional responses (RFC 3262)', () => {
  it('a reliable 183 with an early answer is PRACKed; the 200 follows the PRACK', async () => {
    const incoming = nextIncoming(bob);
    const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Require', '100rel']] });
    const b = await incoming;
    const early = next(a, 'answer');
    b.progress(sdp('early media'));
    const [body, info] = await early;
    expect(text(body)).toContain('early media');
    expect(info.early).toBe(true);
    await until(() => count(alice, 'sent PRACK') === 1 && count(alice, 'received SIP/2.0 200') === 1, 'PRACK answered');
    const rseq = bob.trace.length;
    expect(rseq).toBeGreaterThan(0);
    const confirmed = next(a, 'confirmed');
    b.accept();
    await confirmed;
    // The 183 carried RSeq and Require: 100rel; the PRACK its RAck.
    const prack = bob.received.find((m) => m.startsWith('PRACK'))!;
    expect(prack).toMatch(/\r\nRAck: \d+ 1 INVITE\r\n/);
  });
});

describe('redirects and challenges', () => {
  it('302 to a third phone: the caller follows the Contact and says so', async () => {
    const carol = await startStack('carol');
    try {
      const bobIncoming = nextIncoming(bob);
      const carolIncoming = nextIncoming(carol);
      const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o') });
      const redirected = next(a, 'redirected');
      (await bobIncoming).redirect([carol.uri()]);
      const [r] = await redirected;
      expect(r).toMatchObject({ target: carol.uri(), status: 302 });
      const c = await carolIncoming;
      const confirmed = next(a, 'confirmed');
      c.accept(sdp('carol'));
      await confirmed;
      expect(a.remoteIdentity.uri).toBe(bob.uri()); // To stays the original callee
      expect(a.dialog!.remoteTarget).toContain(`${carol.uri().split('@')[1]}`);
      await a.bye();
    } finally {
      await carol.stop();
    }
  });

  it('a redirect loop ends: each target is tried once', async () => {
    bob.usage.onIncoming((s) => s.redirect([bob.uri('UDP', 'bob2'), bob.uri()]));
    const a = alice.usage.invite({ to: bob.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o') });
    const [info] = await next(a, 'terminated');
    expect(info.status).toBe(302);
    expect(count(alice, 'sent INVITE')).toBe(2); // bob, then bob2 (which redirects back to bob: tried already)
  });

  it('401 on INVITE is answered once with digest credentials (§22.2)', async () => {
    const realm = 'lab.test';
    const nonce = 'n0nce';
    let challenged = 0;
    bob.usage.onIncoming((s) => {
      const req = s.request!;
      const cred = req.auths('Authorization')[0];
      if (!cred) {
        challenged++;
        s.reject(401, { headers: [['WWW-Authenticate', `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`]] });
        return;
      }
      const p = cred.params;
      const expected = digestResponse({
        algorithm: 'MD5' as DigestAlgorithm,
        username: 'alice',
        realm,
        password: 'secret',
        method: 'INVITE',
        uri: p.get('uri')!,
        nonce,
        qop: 'auth',
        nc: parseInt(p.get('nc')!, 16),
        cnonce: p.get('cnonce')!,
      });
      if (p.get('response') === expected) s.accept(sdp('welcome'));
      else s.reject(403);
    });
    const a = alice.usage.invite({
      to: bob.uri(),
      from: 'sip:alice@127.0.0.1',
      offer: sdp('o'),
      credentials: new DigestAuthenticator({ username: 'alice', password: 'secret' }),
    });
    await next(a, 'confirmed');
    expect(challenged).toBe(1);
    // The ACK for the 2xx carries the INVITE's credentials (§22.1), never in a log.
    await until(() => bob.received.some((m) => m.startsWith('ACK') && m.includes('\r\nCSeq: 2 ACK')), 'ACK');
    const ack = bob.received.find((m) => m.startsWith('ACK') && m.includes('\r\nCSeq: 2 ACK'));
    expect(ack).toMatch(/\r\nAuthorization: Digest /);
  });

  it('a wrong password ends the call in words after one retry', async () => {
    bob.usage.onIncoming((s) => s.reject(401, { headers: [['WWW-Authenticate', 'Digest realm="lab.test", nonce="x", algorithm=MD5']] }));
    const a = alice.usage.invite({
      to: bob.uri(),
      from: 'sip:alice@127.0.0.1',
      offer: sdp('o'),
      credentials: new DigestAuthenticator({ username: 'alice', password: 'wrong' }),
    });
    const [info] = await next(a, 'terminated');
    expect(info).toMatchObject({ cause: 'rejected', status: 401 });
    expect(count(alice, 'sent INVITE')).toBe(2);
  });
});
