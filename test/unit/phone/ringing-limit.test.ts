/**
 * How many incoming calls ring at once (incoming-calls.ts MAX_RINGING) when INVITEs come in a
 * burst, as they do after the engine was held up for a moment at a high call rate: a person's
 * phone refuses the ones past the limit at once (486); a phone that auto-answers lets them wait
 * (MAX_WAITING at most) for the calls ahead to be answered, instead of refusing callers while it
 * is merely setting up the media of the previous ones. Raw INVITEs from a UDP socket, one real
 * Phone with its media worker.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RINGING, MAX_WAITING } from '../../../main/phone/incoming-calls.ts';
import { startPhone, type TestPhone } from './phones.ts';

let bob: TestPhone;
let socket: dgram.Socket;
/** Final (or 180) status per Call-ID, as the phone answered. */
let answers: Map<string, number[]>;

beforeEach(async () => {
  bob = await startPhone('bob');
  socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  answers = new Map();
  socket.on('message', (data) => {
    const text = data.toString('latin1');
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
    const callId = /\r\nCall-ID: *([^\r\n]+)/i.exec(text)?.[1];
    if (status && callId) answers.set(callId, [...(answers.get(callId) ?? []), Number(status)]);
  });
});

afterEach(async () => {
  socket.close();
  await bob.phone.stop();
});

function invite(n: number): Buffer {
  const { port } = socket.address();
  const target = bob.uri('bob').replace(/^sip:/, '');
  const sdp = ['v=0', `o=burst ${n} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${41000 + 2 * n} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
  return Buffer.from(
    [
      `INVITE sip:${target} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-burst-${n};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@127.0.0.1:${port}>;tag=burst${n}`,
      `To: <sip:${target}>`,
      `Call-ID: burst-${n}@127.0.0.1`,
      'CSeq: 1 INVITE',
      `Contact: <sip:caller@127.0.0.1:${port}>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n'),
  );
}

/** Sends INVITEs `from`…`to - 1` back to back (they reach the phone together). */
function burst(from: number, to: number): void {
  const { port } = bob.phone.localAddresses().find((l) => l.protocol === 'UDP')!;
  for (let n = from; n < to; n++) socket.send(invite(n), port, '127.0.0.1');
}

/** Waits until every Call-ID in `from`…`to - 1` has a final answer; returns how many got each. */
async function finals(from: number, to: number, ms = 15_000): Promise<Record<number, number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = [];
    for (let n = from; n < to; n++) got.push(answers.get(`burst-${n}@127.0.0.1`)?.find((s) => s >= 200));
    if (got.every((s) => s !== undefined) || Date.now() > deadline) {
      const count: Record<number, number> = {};
      for (const s of got) if (s !== undefined) count[s] = (count[s] ?? 0) + 1;
      return count;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('incoming calls in a burst', () => {
  it('a phone that rings for a person: the ones past MAX_RINGING get 486 at once', async () => {
    burst(0, MAX_RINGING + 3);
    const busy = await finals(MAX_RINGING, MAX_RINGING + 3, 5_000);
    expect(busy).toEqual({ 486: 3 });
    // The first ones ring (180 once the media engine has said what it can do), none is answered.
    const rang = (n: number): boolean => answers.get(`burst-${n}@127.0.0.1`)?.includes(180) ?? false;
    for (let i = 0; i < 250 && ![...Array(MAX_RINGING).keys()].every(rang); i++) await new Promise((r) => setTimeout(r, 20));
    for (let n = 0; n < MAX_RINGING; n++) {
      expect(rang(n)).toBe(true);
      expect(answers.get(`burst-${n}@127.0.0.1`)?.some((s) => s >= 200)).toBe(false);
    }
  });

  it('an auto-answering phone answers a burst: past the limit they wait, up to MAX_WAITING; beyond that 486', async () => {
    bob.phone.callSettings({ autoAnswer: true, autoAnswerDelay: 0 });
    // The media worker up first (it starts with the first call), as it is in a run of calls.
    burst(0, 1);
    expect(await finals(0, 1)).toEqual({ 200: 1 });
    const size = MAX_RINGING + MAX_WAITING + 3;
    burst(1, 1 + size);
    expect(await finals(1, 1 + size)).toEqual({ 200: MAX_RINGING + MAX_WAITING, 486: 3 });
  });
});
