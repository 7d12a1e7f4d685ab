/**
 * STUN in calls between whole Phones in one process over loopback. A tiny STUN server written
 * here plays the NAT: it answers each Binding request with a made-up "public" address on
 * loopback (127.0.0.2) and ports of its own choosing, so the SDP must carry them (RFC 4566 c=,
 * m=; RFC 3605 a=rtcp when RTCP's port is not RTP's + 1). Media still flows because the other
 * side latches onto where it really comes from (symmetric RTP), as it would behind a real NAT.
 * Nothing leaves loopback; every wait is bounded.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipTraceEntry } from '../../../main/contract/api.ts';
import { createEngine, type Engine } from '../../../main/phone/engine.ts';
import type { Phone } from '../../../main/phone/phone.ts';
import { MemorySecretStore } from '../../../main/store/index.ts';
import { Stun } from '../../../main/media/stun.ts';
import { startDnsServer } from '../../helpers/dns-server.ts';
import { startPhone, waitEvent, waitPackets, waitState, type TestPhone } from './phones.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

interface Responder {
  port: number;
  /** Source ports of the requests, in arrival order. */
  from: number[];
}

/** A STUN server on 127.0.0.1: `map` gives the answer's address and port for a source port (undefined: silence). */
async function stunServer(map: (from: RemoteInfo) => { address: string; port: number } | undefined): Promise<Responder> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const from: number[] = [];
  socket.on('message', (msg, rinfo) => {
    const request = Stun.decode(msg);
    from.push(rinfo.port);
    const mapped = map(rinfo);
    if (mapped) socket.send(Stun.bindingResponse({ transactionId: request.transactionId, mapped: { family: 4, ...mapped } }), rinfo.port, rinfo.address);
  });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, from };
}

/** The NAT: RTP port P (even) appears as 127.0.0.2:P-20000, RTCP port P+1 as 127.0.0.2:P-19900. */
const nat = (from: RemoteInfo) => ({ address: '127.0.0.2', port: from.port % 2 === 0 ? from.port - 20000 : from.port - 19901 });

async function phone(name: string, opts: Parameters<typeof startPhone>[1] = {}): Promise<TestPhone> {
  const p = await startPhone(name, opts);
  cleanups.push(() => p.phone.stop());
  return p;
}

/** The SDP bodies this phone sent, in order (from the SIP trace). */
function sentSdp(p: Phone): string[] {
  const bodies: string[] = [];
  p.on('sip:trace', (e: SipTraceEntry) => {
    if (e.direction !== 'sent') return;
    const at = e.text.indexOf('\r\n\r\nv=0');
    if (at >= 0) bodies.push(e.text.slice(at + 4));
  });
  return bodies;
}

function warnings(p: Phone): string[] {
  const out: string[] = [];
  p.on('media:warning', (w) => out.push(w.message));
  return out;
}

const line = (sdp: string, prefix: string): string | undefined => sdp.split('\r\n').find((l) => l.startsWith(prefix));

describe('a call behind a NAT that STUN reveals', () => {
  it("the caller's offer carries the mapped address and ports (c=, m=, a=rtcp); audio and RTCP flow", async () => {
    const server = await stunServer(nat);
    const alice = await phone('alice', { media: { address: '127.0.0.1', stun: `127.0.0.1:${server.port}`, portRange: { min: 44000, max: 44998 } } });
    const bob = await phone('bob');
    const sdp = sentSdp(alice.phone);
    const aliceWarnings = warnings(alice.phone);
    const bobLatched: Array<{ address: string; port: number; rtcp: boolean }> = [];
    bob.phone.on('call:latched', (l) => bobLatched.push({ address: l.address, port: l.port, rtcp: l.rtcp }));

    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'], play: { tone: [1000], levelDb: -20 } });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id, play: { tone: [600], levelDb: -20 } });
    await Promise.all([waitState(alice, a.id, 'connected'), waitState(bob, incoming.id, 'connected')]);

    // Both sockets asked, once each (one call, one resolution).
    expect(server.from).toHaveLength(2);
    const rtp = server.from.find((p) => p % 2 === 0)!;
    expect(server.from).toContain(rtp + 1);
    const offer = sdp[0];
    expect(line(offer, 'c=')).toBe('c=IN IP4 127.0.0.2');
    expect(line(offer, 'o=')).toMatch(/ IN IP4 127\.0\.0\.2$/);
    expect(line(offer, 'm=audio ')).toMatch(new RegExp(`^m=audio ${rtp - 20000} RTP/AVP `));
    expect(line(offer, 'a=rtcp:')).toBe(`a=rtcp:${rtp + 1 - 19901}`);
    expect(aliceWarnings).toEqual([]);

    // Bob sends where Alice's packets really come from (he latches), so audio flows both ways…
    await Promise.all([waitPackets(alice, a.id, 20), waitPackets(bob, incoming.id, 20)]);
    expect(bobLatched[0]).toEqual({ address: '127.0.0.1', port: rtp, rtcp: false });
    // …and RTCP too (RTP's latch moves Bob's RTCP to Alice's real port + 1): Alice learns the
    // round-trip time only from Bob's reports on her own sender reports (RFC 3550 §6.4.1).
    await waitEvent(alice, 'call:stats', (s) => s.callId === a.id && s.rttMs !== undefined, { ms: 20_000 });
    await alice.phone.hangup({ callId: a.id });
  }, 40_000);

  it("the answerer's 200 carries its mapped address; a name is resolved with the phone's own DNS servers", async () => {
    const server = await stunServer(nat);
    const dns = await startDnsServer({ 'stun.lab.test': { A: ['127.0.0.1'] } });
    cleanups.push(() => dns.close());
    const alice = await phone('alice');
    const bob = await phone('bob', { dnsServers: [`127.0.0.1:${dns.port}`], media: { address: '127.0.0.1', stun: `stun:stun.lab.test:${server.port}`, portRange: { min: 46000, max: 46998 } } });
    const sdp = sentSdp(bob.phone);
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'], play: { tone: [1000], levelDb: -20 } });
    const incoming = await waitEvent(bob, 'call:incoming');
    await bob.phone.answer({ callId: incoming.id, play: { tone: [600], levelDb: -20 } });
    await Promise.all([waitState(alice, a.id, 'connected'), waitState(bob, incoming.id, 'connected')]);
    expect(dns.queries).toContainEqual({ name: 'stun.lab.test', type: 'A' });
    const rtp = server.from.find((p) => p % 2 === 0)!;
    const answer = sdp.find((b) => b.includes('m=audio'))!;
    expect(line(answer, 'c=')).toBe('c=IN IP4 127.0.0.2');
    expect(line(answer, 'm=audio ')).toMatch(new RegExp(`^m=audio ${rtp - 20000} `));
    await Promise.all([waitPackets(alice, a.id, 20), waitPackets(bob, incoming.id, 20)]);
    await alice.phone.hangup({ callId: a.id });
  });

  it('a mapped address equal to the local one changes nothing (no NAT)', async () => {
    const server = await stunServer((from) => ({ address: '127.0.0.1', port: from.port }));
    const alice = await phone('alice', { media: { address: '127.0.0.1', stun: `127.0.0.1:${server.port}` } });
    const bob = await phone('bob');
    const sdp = sentSdp(alice.phone);
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'] });
    await waitEvent(bob, 'call:incoming');
    const rtp = server.from.find((p) => p % 2 === 0)!;
    expect(line(sdp[0], 'c=')).toBe('c=IN IP4 127.0.0.1');
    expect(line(sdp[0], 'm=audio ')).toMatch(new RegExp(`^m=audio ${rtp} `));
    expect(line(sdp[0], 'a=rtcp:')).toBeUndefined();
    await alice.phone.hangup({ callId: a.id });
  });
});

describe('when STUN fails the call goes on with the local address', () => {
  it('a silent STUN server: the offer leaves after the bounded wait, with a warning in words; the call connects', async () => {
    const server = await stunServer(() => undefined);
    const alice = await phone('alice', { media: { address: '127.0.0.1', stun: `127.0.0.1:${server.port}` } });
    const bob = await phone('bob');
    const sdp = sentSdp(alice.phone);
    const aliceWarnings = warnings(alice.phone);
    const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'] });
    // The STUN wait is 1.5 s; the INVITE follows at once (bounded here at 4 s).
    const incoming = await waitEvent(bob, 'call:incoming', () => true, { ms: 4000 });
    await bob.phone.answer({ callId: incoming.id });
    await waitState(alice, a.id, 'connected');
    const rtp = server.from.find((p) => p % 2 === 0)!;
    expect(server.from.filter((p) => p === rtp)).toHaveLength(2); // the request and one retransmission
    expect(line(sdp[0], 'c=')).toBe('c=IN IP4 127.0.0.1');
    expect(line(sdp[0], 'm=audio ')).toMatch(new RegExp(`^m=audio ${rtp} `));
    expect(aliceWarnings).toEqual([
      `no answer from the STUN server 127.0.0.1:${server.port} within 1.5 s (2 requests sent); the call offers its local address 127.0.0.1`,
    ]);
    await alice.phone.hangup({ callId: a.id });
  });

  it('a server that cannot be used is a warning per call, not an error: no such name, TLS, wrong family', async () => {
    const dns = await startDnsServer({ 'v6only.lab.test': { AAAA: ['::1'] } });
    cleanups.push(() => dns.close());
    const alice = await phone('alice', { dnsServers: [`127.0.0.1:${dns.port}`], media: { address: '127.0.0.1', stun: 'nowhere.lab.test' } });
    const bob = await phone('bob');
    const aliceWarnings = warnings(alice.phone);
    const dialAndEnd = async (): Promise<void> => {
      const a = await alice.phone.dial({ to: bob.uri(), codecs: ['pcmu'] });
      const incoming = await waitEvent(bob, 'call:incoming', (s) => !bob.phone.listCalls().every((c) => c.id !== s.id));
      expect(incoming.state).toBe('ringing');
      await alice.phone.hangup({ callId: a.id });
    };
    await dialAndEnd();
    expect(aliceWarnings[0]).toMatch(/^the STUN server nowhere\.lab\.test:3478 could not be found: .*; the call offers its local address 127\.0\.0\.1$/);
    alice.phone.setMediaNetwork({ stun: 'stuns:stun.lab.test' });
    await dialAndEnd();
    expect(aliceWarnings[1]).toBe('the STUN server "stuns:stun.lab.test" is over TLS (stuns:), which cannot learn the address of a UDP port; use stun: or host[:port]; the call offers its local address 127.0.0.1');
    alice.phone.setMediaNetwork({ stun: '[::1]:3478' });
    await dialAndEnd();
    expect(aliceWarnings[2]).toBe("the STUN server [::1]:3478 has no IPv4 address, and the call's audio uses IPv4; the call offers its local address 127.0.0.1");
    alice.phone.setMediaNetwork({ stun: 'v6only.lab.test:3479' });
    await dialAndEnd();
    expect(aliceWarnings[3]).toBe("the STUN server v6only.lab.test:3479 has no IPv4 address, and the call's audio uses IPv4; the call offers its local address 127.0.0.1");
    expect(() => alice.phone.setMediaNetwork({ portRange: { min: 5000, max: 5000 } })).toThrow(/^portRange:/);
  });
});

describe('Settings → Network applies to the next call, without a restart', () => {
  it('settings:set changes the RTP ports and the STUN server of the next call', async () => {
    const server = await stunServer(nat);
    const engine: Engine = await createEngine({
      dataDir: '/nonexistent',
      database: ':memory:',
      secrets: new MemorySecretStore(),
      phone: { listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1' }, keepAlive: 0 },
    });
    cleanups.push(() => engine.close());
    const bob = await phone('bob');
    const sdp = sentSdp(engine.phone);
    const warned = warnings(engine.phone);
    const callOnce = async (): Promise<string> => {
      const before = sdp.length;
      const a = await engine.phone.dial({ to: bob.uri(), codecs: ['pcmu'] });
      await waitEvent(bob, 'call:incoming', (s) => bob.phone.listCalls().some((c) => c.id === s.id));
      await engine.phone.hangup({ callId: a.id });
      return sdp[before];
    };
    const port = (offer: string) => Number(/^m=audio (\d+) /m.exec(offer)![1]);

    await engine.handlers['settings:set']!({ network: { rtpPortMin: 45000, rtpPortMax: 45099 } });
    const first = await callOnce();
    expect(port(first)).toBeGreaterThanOrEqual(45000);
    expect(port(first)).toBeLessThanOrEqual(45098);
    expect(line(first, 'c=')).toBe('c=IN IP4 127.0.0.1');

    await engine.handlers['settings:set']!({ network: { rtpPortMin: 47000, rtpPortMax: 47099, stunServer: `127.0.0.1:${server.port}` } });
    const second = await callOnce();
    const rtp = server.from.find((p) => p % 2 === 0)!;
    expect(rtp).toBeGreaterThanOrEqual(47000);
    expect(rtp).toBeLessThanOrEqual(47098);
    expect(line(second, 'c=')).toBe('c=IN IP4 127.0.0.2');
    expect(port(second)).toBe(rtp - 20000);

    await engine.handlers['settings:set']!({ network: { stunServer: '' } });
    const third = await callOnce();
    expect(line(third, 'c=')).toBe('c=IN IP4 127.0.0.1');
    expect(port(third)).toBeGreaterThanOrEqual(47000);
    expect(server.from).toHaveLength(2);
    expect(warned).toEqual([]);
    expect(engine.status().notices).toEqual([]);

    // A STUN server that cannot be used: the next call says so as the app's notice, in words.
    await engine.handlers['settings:set']!({ network: { stunServer: 'stuns:127.0.0.1' } });
    await callOnce();
    expect(engine.status().notices).toEqual([expect.objectContaining({ id: 'media-network', level: 'warning', message: expect.stringMatching(/^The STUN server .*stuns:/) })]);
  });
});
