/**
 * Hostile requests against a whole Phone over loopback UDP: whatever a caller sends, it gets an
 * answer and the phone goes on answering (issue: one INVITE whose SDP held a NUL stopped the
 * engine, its error text going into the 488's Warning header).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startPhone, waitEvent, type TestPhone } from '../phone/phones.ts';
import { callOutcome } from '../../../main/phone/store-api.ts';

const phones: TestPhone[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const p of phones.splice(0)) await p.phone.stop();
});

/** A raw UDP peer on 127.0.0.1 that collects what it receives. */
async function rawPeer(): Promise<{ port: number; send(text: string | Buffer, to: number): void; next(test: (t: string) => boolean, ms?: number): Promise<string> }> {
  const s = createSocket('udp4');
  sockets.push(s);
  const got: string[] = [];
  const waiters: Array<() => void> = [];
  s.on('message', (m) => {
    got.push(m.toString('latin1'));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  return {
    port,
    send: (text, to) => s.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, to, '127.0.0.1'),
    next: (test, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = got.find(test);
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`nothing matching within ${ms} ms; got: ${got.map((g) => g.split('\r\n')[0]).join(' | ')}`)), ms);
        const wait = (): void => {
          if (!check()) waiters.push(wait);
        };
        wait();
      }),
  };
}

function invite(opts: { port: number; to: number; branch: string; callId: string; sdp: string; extra?: string[] }): string {
  const body = opts.sdp;
  return [
    `INVITE sip:appel@127.0.0.1:${opts.to} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${opts.port};branch=z9hG4bK${opts.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:mallory@127.0.0.1:${opts.port}>;tag=m1`,
    `To: <sip:appel@127.0.0.1:${opts.to}>`,
    `Call-ID: ${opts.callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:mallory@127.0.0.1:${opts.port}>`,
    ...(opts.extra ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}

function options(opts: { port: number; to: number; branch: string }): string {
  return [
    `OPTIONS sip:appel@127.0.0.1:${opts.to} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${opts.port};branch=z9hG4bK${opts.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:mallory@127.0.0.1:${opts.port}>;tag=o1`,
    `To: <sip:appel@127.0.0.1:${opts.to}>`,
    `Call-ID: options-${opts.branch}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

describe('an INVITE nobody should send', () => {
  it('whose SDP carries a NUL byte gets a final answer with a printable Warning, and the phone lives on', async () => {
    const p = await startPhone('appel');
    phones.push(p);
    const to = p.phone.localAddresses()[0].port;
    const peer = await rawPeer();
    peer.send(invite({ port: peer.port, to, branch: 'nul1', callId: 'nul-1', sdp: SDP.replace('s=-', 's=-\r\n\0=x') }), to);
    const answer = await peer.next((t) => /^SIP\/2\.0 [4-6]\d\d /.test(t) && t.includes('Call-ID: nul-1'));
    expect(answer).toMatch(/^SIP\/2\.0 (400|488) /);
    // A Warning, if any, says why in printable text (RFC 3261 §20.43): no NUL, CR or LF inside.
    const warning = /\r\nWarning: ([^\r\n]*)\r\n/.exec(answer)?.[1];
    if (warning !== undefined) expect([...warning].some((c) => c.charCodeAt(0) < 0x20 && c !== '\t')).toBe(false);
    // The phone still answers.
    peer.send(options({ port: peer.port, to, branch: 'alive1' }), to);
    expect(await peer.next((t) => t.startsWith('SIP/2.0 200') && t.includes('CSeq: 1 OPTIONS'))).toContain('Call-ID: options-alive1');
  });

  it('with control characters and quotes in every text the answer may echo still gets answered', async () => {
    const p = await startPhone('appel');
    phones.push(p);
    const to = p.phone.localAddresses()[0].port;
    const peer = await rawPeer();
    const nasty = SDP.replace('m=audio 40000 RTP/AVP 0', 'm=audio 40000 RTP/AVP 0\x01"\\\x7f').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PC\x1bMU/8000');
    peer.send(invite({ port: peer.port, to, branch: 'ctl1', callId: 'ctl-1', sdp: nasty }), to);
    const answer = await peer.next((t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && t.includes('Call-ID: ctl-1'));
    expect(answer).toMatch(/^SIP\/2\.0 \d{3} /);
    peer.send(options({ port: peer.port, to, branch: 'alive2' }), to);
    expect(await peer.next((t) => t.startsWith('SIP/2.0 200') && t.includes('Call-ID: options-alive2'))).toBeTruthy();
  });

  it('at most 5 ring at once: the sixth gets 486, and nothing of it reaches the person', async () => {
    const p = await startPhone('appel');
    phones.push(p);
    const to = p.phone.localAddresses()[0].port;
    const peer = await rawPeer();
    for (let i = 1; i <= 6; i++) peer.send(invite({ port: peer.port, to, branch: `many${i}`, callId: `many-${i}`, sdp: SDP }), to);
    expect(await peer.next((t) => t.startsWith('SIP/2.0 486') && t.includes('Call-ID: many-'))).toMatch(/Call-ID: many-6/);
    await peer.next((t) => t.startsWith('SIP/2.0 180') && t.includes('Call-ID: many-5'));
    const incoming = p.events.filter((e) => e.name === 'call:incoming');
    expect(incoming).toHaveLength(5);
    expect(p.phone.listCalls().filter((c) => c.state === 'ringing')).toHaveLength(5);
  });

  it("rings no longer than the INVITE's Expires (487, RFC 3261 §13.3.1): a missed call", async () => {
    const p = await startPhone('appel');
    phones.push(p);
    const to = p.phone.localAddresses()[0].port;
    const peer = await rawPeer();
    peer.send(invite({ port: peer.port, to, branch: 'exp1', callId: 'expires-1', sdp: SDP, extra: ['Expires: 1'] }), to);
    await peer.next((t) => t.startsWith('SIP/2.0 180') && t.includes('Call-ID: expires-1'));
    expect(await peer.next((t) => /^SIP\/2\.0 487 /.test(t) && t.includes('Call-ID: expires-1'), 4000)).toBeTruthy();
    const ended = await waitEvent(p, 'call:state', (s) => s.state === 'ended');
    expect(ended).toMatchObject({ direction: 'incoming', endedBy: 'local', endStatus: 487 });
    expect(callOutcome(ended)).toBe('missed');
  });
});

