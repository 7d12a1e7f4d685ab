/**
 * A stand-in for the native addon in unit tests: a pure-TypeScript G.711 µ-law codec
 * (ITU-T G.711 segment encoding), a linear-interpolation resampler, and a toy "SRTP" that
 * XORs the payload with the key and appends a 4-byte tag (so a wrong key fails "auth"); the
 * sockets are real, node:dgram's or the addon's polled ones, whose pacer the fake clock can play.
 */
import type { Codec, CodecName } from '../../../../native/index.ts';
import type { MediaNative, SrtpLike } from '../../../../main/media/media-native.ts';
import type { PolledSocket } from '../../../../main/media/rtp-sockets.ts';
import { UdpSocket, type Datagram } from '../../../../native/udp.ts';

/**
 * Which sockets the fake's streams get: node:dgram's (no createUdpSocket), the addon's polled
 * ones (with the addon's pacer, on real time), or 'paced': polled ones whose pacer is the fake
 * clock's (a datagram sent ahead leaves when the test's time reaches it; FakePacedSocket).
 */
export type SocketKind = 'dgram' | 'polled' | 'paced';
export const SOCKET_KINDS: readonly SocketKind[] = ['dgram', 'polled'];

const BIAS = 0x84;
const CLIP = 32635;

export function muLawEncode(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

export class FakePcmu implements Codec {
  readonly name: CodecName = 'pcmu';
  readonly sampleRate = 8000;
  readonly clockRate = 8000;
  readonly frameSamples = 160;
  #last = new Int16Array(160);
  plcCalls = 0;
  closed = false;

  encode(pcm: Int16Array): Uint8Array {
    if (pcm.length !== 160) throw new TypeError(`pcm: expected 160 samples, got ${pcm.length}`);
    return Uint8Array.from(pcm, muLawEncode);
  }

  decode(payload: Uint8Array | null): Int16Array {
    if (payload === null) {
      this.plcCalls++;
      this.#last = this.#last.map((s) => s >> 1); // fade the last frame
      return this.#last.slice();
    }
    this.#last = Int16Array.from(payload, muLawDecode);
    return this.#last.slice();
  }

  close(): void {
    this.closed = true;
  }
}

function linearResampler(from: number, to: number): { process(pcm: Int16Array): Int16Array; close(): void } {
  let pos = 0; // fractional read position into the stream, relative to the current block
  let prev = 0;
  const step = from / to;
  return {
    process(pcm) {
      const out: number[] = [];
      while (pos < pcm.length) {
        const i = Math.floor(pos);
        const frac = pos - i;
        const a = i === 0 ? prev : pcm[i - 1];
        const b = pcm[i];
        out.push(Math.round(a + (b - a) * frac));
        pos += step;
      }
      pos -= pcm.length;
      prev = pcm[pcm.length - 1] ?? prev;
      return Int16Array.from(out);
    },
    close() {},
  };
}

class ToySrtp implements SrtpLike {
  readonly #key: Uint8Array;
  /** RTP sequence numbers protected so far: like libsrtp, never one twice (RFC 3711 §9.1). */
  readonly #protected = new Set<number>();
  constructor(key: Uint8Array) {
    this.#key = key;
  }
  #tag(bytes: Uint8Array): number {
    let h = 0x811c9dc5;
    for (const b of this.#key) h = Math.imul(h ^ b, 0x01000193);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
    return h >>> 0;
  }
  #wrap(packet: Uint8Array, header: number): Uint8Array {
    const out = new Uint8Array(packet.length + 4);
    out.set(packet);
    for (let i = header; i < packet.length; i++) out[i] ^= this.#key[i % this.#key.length];
    new DataView(out.buffer).setUint32(packet.length, this.#tag(out.subarray(0, packet.length)));
    return out;
  }
  #unwrap(packet: Uint8Array, header: number): Uint8Array {
    if (packet.length < header + 4) throw Object.assign(new Error('short'), { code: 'bad-packet' });
    const body = packet.subarray(0, packet.length - 4);
    const tag = new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(packet.length - 4);
    if (tag !== this.#tag(body)) throw Object.assign(new Error('auth'), { code: 'auth' });
    const out = body.slice();
    for (let i = header; i < out.length; i++) out[i] ^= this.#key[i % this.#key.length];
    return out;
  }
  protectRtp(p: Uint8Array): Uint8Array {
    const seq = (p[2] << 8) | p[3];
    if (this.#protected.has(seq)) throw Object.assign(new Error('replayed packet'), { code: 'replay' });
    this.#protected.add(seq);
    return this.#wrap(p, 12);
  }
  unprotectRtp(p: Uint8Array): Uint8Array {
    return this.#unwrap(p, 12);
  }
  protectRtcp(p: Uint8Array): Uint8Array {
    return this.#wrap(p, 8);
  }
  unprotectRtcp(p: Uint8Array): Uint8Array {
    return this.#unwrap(p, 8);
  }
  close(): void {}
}

/**
 * When each datagram a FakePacedSocket sent left, on its fake clock: the receiving fake then
 * gives it the age the kernel's stamp would have (the real socket's ages are real time).
 * Keyed by the RTP/RTCP header and length; an entry goes when received (at most 4096 kept).
 */
const fakeSentAt = new Map<string, number>();
const sentKey = (b: Uint8Array): string => `${b.length}:${Array.from(b.subarray(0, 12)).join(',')}`;
function noteSent(bytes: Uint8Array, at: number): void {
  fakeSentAt.set(sentKey(bytes), at);
  if (fakeSentAt.size > 4096) fakeSentAt.delete(fakeSentAt.keys().next().value!);
}

/** The addon's polled socket, its pacer played by a FakeScheduler; `sent` counts what it sent, and when. */
export class FakePacedSocket implements PolledSocket {
  readonly #real: UdpSocket;
  readonly #sched: FakeScheduler;
  readonly #waiting = new Map<unknown, { bytes: Uint8Array; address: string; port: number }>();
  /** Datagrams the fake pacer sent, with the fake time of each. */
  readonly sent: Array<{ at: number; bytes: Uint8Array }> = [];
  /** Sends at once (send) and ahead (sendAt). */
  direct = 0;
  readonly #refused: string[] = [];
  constructor(family: 4 | 6, sched: FakeScheduler) {
    this.#real = new UdpSocket(family);
    this.#sched = sched;
  }
  bind(address: string, port: number): void {
    this.#real.bind(address, port);
  }
  get localPort(): number {
    return this.#real.localPort;
  }
  send(bytes: Uint8Array, address: string, port: number): string | undefined {
    this.direct++;
    noteSent(bytes, this.#sched.now());
    return this.#real.send(bytes, address, port);
  }
  sendAt(bytes: Uint8Array, address: string, port: number, delayMs: number): string | undefined {
    const entry = { bytes: bytes.slice(), address, port };
    const handle = this.#sched.setTimeout(() => {
      this.#waiting.delete(handle);
      this.sent.push({ at: this.#sched.now(), bytes: entry.bytes });
      noteSent(entry.bytes, this.#sched.now());
      // As the addon's pacer: a refusal is counted, and told by pacedFailure().
      const refused = this.#real.send(entry.bytes, entry.address, entry.port);
      if (refused !== undefined) this.#refused.push(refused);
    }, delayMs);
    this.#waiting.set(handle, entry);
    return undefined;
  }
  cancelPaced(): number {
    const n = this.#waiting.size;
    for (const handle of this.#waiting.keys()) this.#sched.clearTimeout(handle);
    this.#waiting.clear();
    return n;
  }
  retargetPaced(address: string, port: number): void {
    for (const e of this.#waiting.values()) Object.assign(e, { address, port });
  }
  get pacedPending(): number {
    return this.#waiting.size;
  }
  pacedFailure(): string | undefined {
    const refused = this.#refused.splice(0);
    return refused.length === 0 ? undefined : `send: ${refused.length} paced datagram${refused.length === 1 ? '' : 's'} refused: ${refused.at(-1)}`;
  }
  receive(onDatagram: (d: Datagram) => void): number {
    return this.#real.receive((d) => {
      const key = sentKey(d.bytes);
      const at = fakeSentAt.get(key);
      if (at === undefined) return onDatagram(d);
      fakeSentAt.delete(key);
      onDatagram({ ...d, ageMs: Math.max(0, this.#sched.now() - at) });
    });
  }
  close(): void {
    this.cancelPaced();
    this.#real.close();
  }
}

export function fakeNative(sockets: SocketKind = 'dgram', sched?: FakeScheduler): MediaNative & { codecs: FakePcmu[]; paced: FakePacedSocket[] } {
  const codecs: FakePcmu[] = [];
  const paced: FakePacedSocket[] = [];
  if (sockets === 'paced' && !sched) throw new Error("fakeNative('paced') needs the FakeScheduler that plays the pacer");
  return {
    ...(sockets === 'polled' ? { createUdpSocket: (family: 4 | 6) => new UdpSocket(family) } : {}),
    ...(sockets === 'paced' ? { createUdpSocket: (family: 4 | 6) => (paced.push(new FakePacedSocket(family, sched!)), paced.at(-1)!) } : {}),
    paced,
    codecs,
    createCodec: (name) => {
      if (name !== 'pcmu') throw new TypeError(`fake native has only pcmu, not ${name}`);
      const c = new FakePcmu();
      codecs.push(c);
      return c;
    },
    createResampler: ({ from, to }) => linearResampler(from, to),
    createSrtp: ({ key }) => new ToySrtp(key),
    codecNames: () => ['pcmu'],
  };
}

/** A manual clock: timers fire only when the test advances time. */
export class FakeScheduler {
  #now = 1000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #id = 0;

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = end;
  }

  /** Moves time without firing timers (the event loop was blocked). */
  jump(ms: number): void {
    this.#now += ms;
  }
}
