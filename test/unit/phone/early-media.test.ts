/**
 * Early media: a 183 Session Progress with an answer starts the media before the call is
 * answered (RFC 3261 §13.2.1 allows the answer in a 1xx; RFC 3960 early media). The callee here
 * is a bare INVITE stack with a plain UDP socket as its "RTP port": what the Phone sends there
 * while the call is `early` is real RTP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnswer, formatSdp, parseSdp } from '../../../main/sdp/index.ts';
import { nextIncoming, startStack, text, type Stack } from '../invite/stack.ts';
import { startPhone, waitEvent, waitState, type TestPhone } from './phones.ts';

let alice: TestPhone;
let callee: Stack;
let rtp: Socket;
let packets: Buffer[];

beforeEach(async () => {
  [alice, callee] = await Promise.all([startPhone('alice'), startStack('carol', { sessionTimer: false })]);
  packets = [];
  rtp = createSocket('udp4');
  rtp.on('message', (m) => packets.push(m));
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
});

afterEach(async () => {
  await Promise.all([alice.phone.stop(), callee.stop()]);
  rtp.close();
});

describe('early media (183 with an answer)', () => {
  it('media starts on the 183 (state early, the codec known), and the 200 confirms it', async () => {
    const incoming = nextIncoming(callee);
    const a = await alice.phone.dial({ to: callee.uri(), codecs: ['pcmu', 'pcma'], play: { tone: [1000] } });
    const session = await incoming;
    const offer = parseSdp(text(session.offer));
    const { answer, negotiated } = createAnswer({ offer, address: '127.0.0.1', port: rtp.address().port, codecs: ['pcma'] });
    expect(negotiated?.codec.name).toBe('pcma');
    const body = { contentType: 'application/sdp', body: formatSdp(answer) };

    session.progress(body);
    expect(await waitState(alice, a.id, 'early')).toMatchObject({ codec: 'pcma', srtp: false });
    // RTP arrives at the callee while the call is still unanswered: payload type 8 (PCMA).
    await waitUntil(() => packets.length >= 10, 'early RTP');
    expect(packets[0][0] >> 6).toBe(2);
    expect(packets[0][1] & 0x7f).toBe(8);
    expect(alice.phone.listCalls()[0].answeredAt).toBeUndefined();

    session.accept(body);
    expect(await waitState(alice, a.id, 'connected')).toMatchObject({ codec: 'pcma' });
    const before = packets.length;
    await waitUntil(() => packets.length >= before + 10, 'RTP after the answer');
    await alice.phone.hangup({ callId: a.id });
    await waitEvent(alice, 'call:state', (s) => s.state === 'ended');
  });
});

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
