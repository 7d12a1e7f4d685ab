/**
 * Call transfer end to end: three whole stacks (SipTransport → UserAgent → InviteUsage →
 * ReferUsage) over loopback, each on its own FakeClock. Alice is the transferee, Bob the
 * transferor, Carol the transfer target (RFC 5589 vocabulary). Every exchange is real SIP.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { InviteSession } from '../../../main/sip/usage/invite-session.ts';
import type { ReferProgress } from '../../../main/sip/usage/refer-subscription.ts';
import type { ReferNotifier } from '../../../main/sip/usage/refer-notifier.ts';
import type { IncomingRefer } from '../../../main/sip/usage/refer-usage.ts';
import { formatReferTo } from '../../../main/sip/usage/refer-to.ts';
import { formatReplaces, replacesFor } from '../../../main/sip/usage/replaces-header.ts';
import type { ReplacesCheck } from '../../../main/sip/usage/replaces-check.ts';
import { call, count, headerIn, next, nextIncoming, receivedRequests, sdp, startTransferStack, until } from './stack.ts';
import type { TransferStack } from './stack.ts';

let alice: TransferStack;
let bob: TransferStack;
let carol: TransferStack;

/** Calls Alice placed because a REFER asked her to, and what she was told. */
let referred: Array<{ refer: IncomingRefer; call: InviteSession; notifier: ReferNotifier }>;

beforeEach(async () => {
  [alice, bob, carol] = await Promise.all([startTransferStack('alice'), startTransferStack('bob'), startTransferStack('carol')]);
  referred = [];
  // Alice, the transferee, follows every REFER: 202, then a call to the target, reported by NOTIFY.
  alice.refers.onRefer((_session, refer, { accept }) => {
    const notifier = accept();
    const c = alice.usage.invite({ to: refer.target.uri, from: 'sip:alice@127.0.0.1', offer: sdp('alice to target'), headers: refer.inviteHeaders });
    notifier.follow(c);
    referred.push({ refer, call: c, notifier });
  });
});

afterEach(async () => {
  await Promise.all([alice.stop(), bob.stop(), carol.stop()]);
});

/** Carol answers the next call after ringing, or answers with `status` when it is a failure. */
function carolAnswers(status = 200): Promise<InviteSession> {
  return new Promise((resolve) => {
    carol.usage.onIncoming((s) => {
      s.ringing();
      if (status === 200) s.accept(sdp('carol answer'));
      else s.reject(status);
      resolve(s);
    });
  });
}

describe('blind transfer (RFC 5589 §6)', () => {
  it('"the transferor … sends a BYE" once NOTIFY reports 200: Alice ends up with Carol, Bob with nobody', async () => {
    const { uac: a, uas: b } = await call(alice, bob);
    const atCarol = carolAnswers();
    const progress: ReferProgress[] = [];
    const outcome = await bob.refers.blindTransfer(b, carol.uri(), { onProgress: (p) => progress.push(p) });
    expect(outcome).toEqual({ ok: true, reason: 'transferred', status: 200, cause: 'notify' });
    // RFC 3515 §2.4.4–§2.4.5: 100 Trying at once, then the call's own 180 and 200.
    expect(progress.map((p) => p.status)).toEqual([100, 180, 200]);
    expect(progress.at(-1)).toEqual({ status: 200, reason: 'OK', final: true });
    expect(b.state).toBe('Terminated');
    await until(() => a.state === 'Terminated', 'Alice hears the BYE');
    expect(a.termination).toMatchObject({ cause: 'bye', by: 'remote' });

    const c = await atCarol;
    const [{ call: ac, refer }] = referred;
    await until(() => ac.state === 'Confirmed' && c.state === 'Confirmed', 'Alice and Carol talk');
    expect(refer.target.uri).toBe(carol.uri());
    // RFC 3892 §3: the triggered INVITE carries the REFER's Referred-By (Bob's address in the call).
    const invite = receivedRequests(carol, 'INVITE')[0];
    expect(headerIn(invite, 'Referred-By')).toBe(`<${bob.uri()}>`);
    expect(headerIn(invite, 'Replaces')).toBeUndefined();
    expect(bob.usage.sessions.size).toBe(0);
  });

  it('the REFER and its NOTIFYs on the wire: Refer-To, Event: refer;id=<CSeq>, sipfrag bodies, the last one terminated;reason=noresource', async () => {
    const { uas: b } = await call(alice, bob);
    void carolAnswers();
    const sub = bob.refers.refer(b, { referTo: carol.uri() });
    const accepted = new Promise((resolve) => sub.once('accepted', resolve));
    const outcome = await sub.finished();
    await accepted;
    expect(outcome.ok).toBe(true);
    const refer = receivedRequests(alice, 'REFER')[0];
    expect(headerIn(refer, 'Refer-To')).toBe(`<${carol.uri()}>`);
    const seq = /\r\nCSeq: (\d+) REFER/.exec(refer)![1];
    expect(sub.id).toBe(Number(seq));
    await until(() => receivedRequests(bob, 'NOTIFY').length === 3, 'three NOTIFYs');
    const notifies = receivedRequests(bob, 'NOTIFY');
    for (const n of notifies) {
      expect(headerIn(n, 'Event')).toBe(`refer;id=${seq}`);
      expect(headerIn(n, 'Content-Type')).toBe('message/sipfrag;version=2.0');
    }
    expect(notifies.map((n) => n.slice(n.indexOf('\r\n\r\n') + 4))).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 180 Ringing\r\n', 'SIP/2.0 200 OK\r\n']);
    expect(headerIn(notifies[0], 'Subscription-State')).toBe('active;expires=60');
    expect(headerIn(notifies[2], 'Subscription-State')).toBe('terminated;reason=noresource');
    // §2.4.4: each NOTIFY is answered 200; the REFER got 202.
    const notifyAnswers = (): string[] => alice.received.filter((m) => m.startsWith('SIP/2.0') && /\r\nCSeq: \d+ NOTIFY\r\n/.test(m));
    await until(() => notifyAnswers().length === 3, 'NOTIFYs answered');
    expect(notifyAnswers().every((m) => m.startsWith('SIP/2.0 200 '))).toBe(true);
    expect(count(alice, 'sent SIP/2.0 202 Accepted')).toBe(1);
  });

  it('a busy target: NOTIFY carries 486, the transfer fails in words and Bob keeps the call (§6.2)', async () => {
    const { uac: a, uas: b } = await call(alice, bob);
    void carolAnswers(486);
    const progress: number[] = [];
    const outcome = await bob.refers.blindTransfer(b, carol.uri(), { onProgress: (p) => progress.push(p.status) });
    expect(outcome).toEqual({ ok: false, reason: 'the transfer target is busy (486)', status: 486, cause: 'notify' });
    expect(progress).toEqual([100, 180, 486]);
    expect(b.state).toBe('Confirmed');
    expect(a.state).toBe('Confirmed');
    expect(count(bob, 'sent BYE')).toBe(0);
  });

  it('no final NOTIFY within 32 s: the transferor stops waiting (timeout on its clock) and keeps the call', async () => {
    const { uas: b } = await call(alice, bob);
    alice.refers.onRefer((_s, _r, { accept }) => void accept()); // accepted, then silence
    const sub = bob.refers.refer(b, { referTo: carol.uri() });
    const progress: number[] = [];
    sub.on('progress', (p) => progress.push(p.status));
    await until(() => progress.length === 1, 'NOTIFY 100');
    bob.clock.advance(31_999);
    expect(sub.outcome).toBeUndefined();
    bob.clock.advance(1);
    expect(await sub.finished()).toEqual({ ok: false, cause: 'timeout', reason: 'no final report of the transfer within 32 s' });
    expect(b.state).toBe('Confirmed');
  });

  it('RFC 6665 §4.2.2: the notifier ends a subscription that runs out (terminated;reason=timeout), and the transferor says so', async () => {
    const { uas: b } = await call(alice, bob);
    let notifier: ReferNotifier | undefined;
    alice.refers.onRefer((_s, _r, { accept }) => {
      notifier = accept();
    });
    const sub = bob.refers.refer(b, { referTo: carol.uri(), timeout: 120_000 });
    await until(() => notifier !== undefined && receivedRequests(bob, 'NOTIFY').length === 1, 'NOTIFY 100');
    void notifier!.notify('SIP/2.0 180 Ringing');
    await until(() => receivedRequests(bob, 'NOTIFY').length === 2, 'NOTIFY 180');
    // Bob's 200s to both NOTIFYs are back: else Alice's jump of 60 s would time her NOTIFY out (Timer F).
    await until(() => alice.received.filter((m) => m.startsWith('SIP/2.0 200') && headerIn(m, 'CSeq')?.endsWith(' NOTIFY')).length === 2, '200s to the NOTIFYs');
    alice.clock.advance(60_000);
    const outcome = await sub.finished();
    expect(outcome).toMatchObject({ ok: false, cause: 'terminated' });
    expect(outcome.reason).toMatch(/stopped reporting/);
    const last = receivedRequests(bob, 'NOTIFY')[2];
    expect(headerIn(last, 'Subscription-State')).toBe('terminated;reason=timeout');
    expect(last.endsWith('SIP/2.0 180 Ringing\r\n')).toBe(true);
  });

  it('RFC 4488: Refer-Sub: false is agreed in the 202, no NOTIFY follows, and acceptance is the outcome', async () => {
    const { uas: b } = await call(alice, bob);
    void carolAnswers();
    const sub = bob.refers.refer(b, { referTo: carol.uri(), noSubscription: true });
    expect(await sub.finished()).toMatchObject({ ok: true, cause: 'no-subscription', status: 202 });
    expect(referred[0].refer.subscription).toBe(false);
    await until(() => referred[0].call.state === 'Confirmed', 'Alice reached Carol');
    expect(count(alice, 'sent NOTIFY')).toBe(0);
  });
});

describe('refusing a REFER', () => {
  it('the transferee declines: the transferor hears `rejected` with the reason in words, and the call stays', async () => {
    const { uac: a, uas: b } = await call(alice, bob);
    alice.refers.onRefer((_s, _r, { reject }) => reject(603));
    const sub = bob.refers.refer(b, { referTo: carol.uri() });
    const rejected = new Promise((resolve) => sub.once('rejected', resolve));
    expect(await rejected).toEqual({ status: 603, reason: 'the other side declined the transfer (603)' });
    expect(await sub.finished()).toEqual({ ok: false, cause: 'rejected', status: 603, reason: 'the other side declined the transfer (603)' });
    expect(a.state).toBe('Confirmed');
    expect(b.state).toBe('Confirmed');
  });

  it('without a REFER handler, 603; a Refer-To that is not sip:/sips: or asks for another method, 603 in words', async () => {
    const { uas: b } = await call(alice, bob);
    alice.refers.onRefer((_s, _r, { accept }) => void accept());
    const tel = await b.sendRequest('REFER', { headers: [['Refer-To', '<tel:+15551234>']] });
    expect(tel.status).toBe(603);
    expect(tel.reason).toBe('Decline: only sip: and sips: addresses can be called, not tel:');
    const bye = await b.sendRequest('REFER', { headers: [['Refer-To', `<${carol.uri()};method=BYE>`]] });
    expect(bye.status).toBe(603);
    expect(bye.reason).toBe('Decline: only a call (INVITE) can be referred, not BYE');
    const [otherA, otherB] = await Promise.all([startTransferStack('alice2'), startTransferStack('bob2')]);
    try {
      const { uas } = await call(otherA, otherB);
      const r = await uas.sendRequest('REFER', { headers: [['Refer-To', `<${carol.uri()}>`]] });
      expect(r.status).toBe(603);
      expect(r.reason).toBe('Decline: transfers are not accepted here');
    } finally {
      await Promise.all([otherA.stop(), otherB.stop()]);
    }
  });

  it('only a connected call is transferred: refer() on a ringing call is done at once, a REFER in an early dialog gets 603', async () => {
    const ringing = nextIncoming(carol);
    const b2 = bob.usage.invite({ to: carol.uri(), from: 'sip:bob@127.0.0.1', offer: sdp('o') });
    const c2 = await ringing;
    const early = next(b2, 'ringing');
    c2.ringing();
    await early;
    const sub = bob.refers.refer(b2, { referTo: alice.uri() });
    expect(await sub.finished()).toEqual({ ok: false, cause: 'ended', reason: 'the call is not connected (Early), so it cannot be transferred' });
    expect(count(bob, 'sent REFER')).toBe(0);
    expect(await bob.refers.blindTransfer(b2, alice.uri())).toMatchObject({ ok: false, cause: 'not-connected' });
    // Carol (ringing, so she has the early dialog) sends a REFER anyway.
    const r = await c2.sendRequest('REFER', { headers: [['Refer-To', `<${alice.uri()}>`]] });
    expect(r).toMatchObject({ status: 603, reason: 'Decline: the call is not connected' });
    expect(b2.state).toBe('Early');
  });

  it('"MUST contain exactly one Refer-To" (RFC 3515 §2.4.1): none or two is a 400; a malformed one too', async () => {
    const { uas: b } = await call(alice, bob);
    expect((await b.sendRequest('REFER')).status).toBe(400);
    const two = await b.sendRequest('REFER', { headers: [['Refer-To', '<sip:x@127.0.0.1>'], ['Refer-To', '<sip:y@127.0.0.1>']] });
    expect(two).toMatchObject({ status: 400, reason: 'More than one Refer-To' });
    const bad = await b.sendRequest('REFER', { headers: [['Refer-To', '<sip:x@127.0.0.1?Replaces=abc>']] });
    expect(bad).toMatchObject({ status: 400, reason: 'Bad Replaces' });
    expect(referred).toHaveLength(0);
  });

  it('a REFER outside any call gets 403; the UA advertises REFER, NOTIFY and Supported: replaces', async () => {
    const r = await alice.ua.sendOutOfDialog({ method: 'REFER', to: bob.uri(), fields: [['Refer-To', `<${carol.uri()}>`]] });
    expect(r.status).toBe(403);
    const options = await alice.ua.sendOutOfDialog({ method: 'OPTIONS', to: bob.uri() });
    expect(options.headers('Allow')).toEqual(expect.arrayContaining(['REFER', 'NOTIFY']));
    expect(options.headers('Supported')).toEqual(expect.arrayContaining(['replaces', 'norefersub']));
  });

  it('RFC 6665 §4.1.3: a refer NOTIFY that matches no subscription gets 481; other event packages go to the delegate', async () => {
    const { uac: a, uas: b } = await call(alice, bob);
    b.delegate = { onRequest: (req, reply) => reply(req.method === 'NOTIFY' ? 489 : 501) };
    const other = await a.sendRequest('NOTIFY', { headers: [['Event', 'dialog'], ['Subscription-State', 'active']], body: { contentType: 'text/plain', body: 'x' } });
    expect(other.status).toBe(489);
    const unknown = await a.sendRequest('NOTIFY', {
      headers: [['Event', 'refer;id=999'], ['Subscription-State', 'active']],
      body: { contentType: 'message/sipfrag;version=2.0', body: 'SIP/2.0 100 Trying\r\n' },
    });
    expect(unknown.status).toBe(481);
  });
});

describe('attended transfer (RFC 5589 §7) and Replaces (RFC 3891)', () => {
  it('Bob has calls with Alice and Carol; REFER with Replaces makes Alice replace Bob\'s call with Carol; both of Bob\'s legs end', async () => {
    const { uac: a, uas: b1 } = await call(alice, bob);
    const { uac: b2, uas: c2 } = await call(bob, carol);
    const checks: ReplacesCheck[] = [];
    carol.usage.onIncoming((s) => {
      const check = carol.refers.checkReplaces(s);
      checks.push(check);
      if (check.kind === 'replace') s.accept(sdp('carol answers alice'));
    });
    const outcome = await bob.refers.attendedTransfer(b1, b2);
    expect(outcome).toEqual({ ok: true, reason: 'transferred', status: 200, cause: 'notify' });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ kind: 'replace', early: false });
    expect(checks[0].kind === 'replace' && checks[0].replaced).toBe(c2);

    // The Refer-To named Carol's Contact with Bob's dialog with her, escaped; the INVITE carried it plainly.
    const refer = receivedRequests(alice, 'REFER')[0];
    expect(headerIn(refer, 'Refer-To')).toBe(formatReferTo({ uri: b2.dialog!.remoteTarget, replaces: replacesFor(b2.dialog!) }));
    const invite = receivedRequests(carol, 'INVITE')[1];
    expect(headerIn(invite, 'Replaces')).toBe(formatReplaces({ callId: c2.callId, toTag: c2.localTag, fromTag: b2.localTag, earlyOnly: false }));
    expect(headerIn(invite, 'Require')).toBe('replaces');

    // §3: Carol BYEs the dialog she replaced; Bob BYEs Alice after the NOTIFY 200 (RFC 5589 §7.1).
    expect(b1.state).toBe('Terminated');
    await until(() => b2.state === 'Terminated' && c2.state === 'Terminated' && a.state === 'Terminated', 'the old calls end');
    expect(b2.termination).toMatchObject({ cause: 'bye', by: 'remote' });
    expect(c2.termination).toMatchObject({ cause: 'bye', by: 'local' });
    await until(() => referred[0].call.state === 'Confirmed', 'Alice and Carol talk');
    expect(bob.usage.sessions.size).toBe(0);
    expect(carol.usage.sessions.size).toBe(1);
  });

  it('the target no longer has the call: the INVITE gets 481, NOTIFY reports it, and Bob keeps both calls', async () => {
    const { uas: b1 } = await call(alice, bob);
    const { uac: b2 } = await call(bob, carol);
    carol.usage.onIncoming((s) => void carol.refers.checkReplaces(s));
    // Carol's side forgets the call (as if it had ended there) before Alice's INVITE comes.
    const stale = replacesFor(b2.dialog!);
    const referTo = formatReferTo({ uri: carol.uri(), replaces: { ...stale, toTag: 'gone' } });
    const sub = bob.refers.refer(b1, { referTo });
    const outcome = await sub.finished();
    expect(outcome).toEqual({ ok: false, cause: 'notify', status: 481, reason: 'the transfer target no longer has that call (481)' });
    expect(b1.state).toBe('Confirmed');
    expect(b2.state).toBe('Confirmed');
  });

  it('"If no match is found, the UAS rejects the INVITE and returns a 481" (§3)', async () => {
    let check: ReplacesCheck | undefined;
    carol.usage.onIncoming((s) => {
      check = carol.refers.checkReplaces(s);
    });
    const a = alice.usage.invite({ to: carol.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Replaces', 'nope@x;to-tag=1;from-tag=2']] });
    const [info] = await next(a, 'terminated');
    expect(info).toMatchObject({ cause: 'rejected', status: 481 });
    expect(check).toEqual({ kind: 'rejected', status: 481, reason: 'No call to replace' });
  });

  it('"If the flag is present [early-only] … matches a confirmed dialog … rejects the request with a 486" (§3)', async () => {
    const { uac: b2, uas: c2 } = await call(bob, carol);
    carol.usage.onIncoming((s) => void carol.refers.checkReplaces(s));
    const replaces = formatReplaces(replacesFor(b2.dialog!, { earlyOnly: true }));
    const a = alice.usage.invite({ to: carol.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Replaces', replaces], ['Require', 'replaces']] });
    const [info] = await next(a, 'terminated');
    expect(info).toMatchObject({ cause: 'rejected', status: 486 });
    expect(c2.state).toBe('Confirmed');
  });

  it('"matches an early dialog that was not initiated by this UA, it returns a 481 … and leaves the matching dialog alone" (§3)', async () => {
    const ringing = nextIncoming(carol);
    const b2 = bob.usage.invite({ to: carol.uri(), from: 'sip:bob@127.0.0.1', offer: sdp('o') });
    const c2 = await ringing;
    const early = next(b2, 'ringing');
    c2.ringing();
    await early;
    carol.usage.onIncoming((s) => void carol.refers.checkReplaces(s));
    // Bob's early dialog id as Carol sees it: her tag is the To tag of her 180.
    const replaces = formatReplaces({ callId: b2.callId, toTag: c2.localTag, fromTag: b2.localTag, earlyOnly: false });
    const a = alice.usage.invite({ to: carol.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Replaces', replaces]] });
    const [info] = await next(a, 'terminated');
    expect(info).toMatchObject({ status: 481 });
    expect(c2.state).toBe('Early');
    expect(b2.state).toBe('Early');
  });

  it('"matches an early dialog that was initiated by the UA, it accepts … and shuts down the replaced dialog by sending a CANCEL" (§3, call pickup)', async () => {
    // Carol calls Bob; it rings at Bob. Alice picks it up: she INVITEs Carol replacing that early dialog.
    const ringing = nextIncoming(bob);
    const c1 = carol.usage.invite({ to: bob.uri(), from: 'sip:carol@127.0.0.1', offer: sdp('o') });
    const b1 = await ringing;
    const early = next(c1, 'ringing');
    b1.ringing();
    await early;
    let check: ReplacesCheck | undefined;
    carol.usage.onIncoming((s) => {
      check = carol.refers.checkReplaces(s);
      s.accept(sdp('carol'));
    });
    const replaces = formatReplaces(replacesFor(b1.dialog!));
    const a = alice.usage.invite({ to: carol.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Replaces', replaces], ['Require', 'replaces']] });
    await next(a, 'confirmed');
    expect(check).toMatchObject({ kind: 'replace', early: true });
    await until(() => b1.state === 'Terminated' && c1.state === 'Terminated', 'the early call is cancelled');
    expect(b1.termination).toMatchObject({ cause: 'cancel', by: 'remote' });
    expect(count(carol, 'sent CANCEL')).toBe(1);
  });

  it('"matches a dialog which has already terminated … SHOULD decline the request with a 603" (§3): a call being cancelled', async () => {
    // Carol calls Bob and it rings; then Bob vanishes, so Carol's CANCEL stays unanswered and
    // her call sits in Terminating (its early dialog still known) until her clock gives up.
    const ringing = nextIncoming(bob);
    const c1 = carol.usage.invite({ to: bob.uri(), from: 'sip:carol@127.0.0.1', offer: sdp('o') });
    const b1 = await ringing;
    const early = next(c1, 'ringing');
    b1.ringing();
    await early;
    const replaces = formatReplaces(replacesFor(b1.dialog!));
    await bob.transport.stop();
    c1.cancel();
    expect(c1.state).toBe('Terminating');
    let check: ReplacesCheck | undefined;
    carol.usage.onIncoming((s) => {
      check = carol.refers.checkReplaces(s);
    });
    const a = alice.usage.invite({ to: carol.uri(), from: 'sip:alice@127.0.0.1', offer: sdp('o'), headers: [['Replaces', replaces]] });
    const [info] = await next(a, 'terminated');
    expect(info).toMatchObject({ cause: 'rejected', status: 603 });
    expect(check).toMatchObject({ kind: 'rejected', status: 603 });
  });
});
