// Bad arguments are refused at the boundary (native/index.ts) with a TypeError naming the
// argument; bad data from the network (a corrupt payload) is a CodecError / SrtpError instead.
// Nothing here may crash the process.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

import { CodecError, createCodec, Resampler, SrtpSession, type CodecName } from '../../../native/index.ts';

const ALL: CodecName[] = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'];

function typeErrorOf(fn: () => unknown): TypeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return err as TypeError;
  }
  throw new Error('expected a TypeError');
}

describe('createCodec arguments', () => {
  it('refuses an unknown codec, naming the argument and the known ones', () => {
    const err = typeErrorOf(() => createCodec('speex' as CodecName));
    expect(err.message).toMatch(/^name: /);
    expect(err.message).toContain('"speex"');
    expect(err.message).toContain('pcmu');
  });

  it.each([
    [{ sampleRate: 44100 }, /options\.sampleRate/],
    [{ bitrate: 100 }, /options\.bitrate/],
    [{ bitrate: 32000.5 }, /options\.bitrate/],
    [{ complexity: 11 }, /options\.complexity/],
    [{ fec: 'yes' }, /options\.fec/],
    [{ dtx: 1 }, /options\.dtx/],
    [{ packetLossPercent: -1 }, /options\.packetLossPercent/],
  ])('opus refuses %o', (options, message) => {
    expect(typeErrorOf(() => createCodec('opus', options as never)).message).toMatch(message);
  });

  it('refuses a sample rate a fixed-rate codec does not have, and a non-object', () => {
    expect(typeErrorOf(() => createCodec('pcmu', { sampleRate: 16000 })).message).toMatch(/options\.sampleRate/);
    expect(typeErrorOf(() => createCodec('g722', { sampleRate: 8000 })).message).toMatch(/options\.sampleRate/);
    expect(typeErrorOf(() => createCodec('gsm', 'fast' as never)).message).toMatch(/^options: /);
  });
});

describe.each(ALL)('%s encode/decode arguments', (name) => {
  it('encode refuses a wrong frame length, naming pcm and the expected length', () => {
    const codec = createCodec(name);
    const err = typeErrorOf(() => codec.encode(new Int16Array(codec.frameSamples - 1)));
    expect(err.message).toMatch(/^pcm: /);
    expect(err.message).toContain(String(codec.frameSamples));
    codec.close();
  });

  it('encode refuses anything but an Int16Array', () => {
    const codec = createCodec(name);
    for (const bad of [new Float32Array(codec.frameSamples), new Uint8Array(codec.frameSamples * 2), [0, 0, 0], null]) {
      expect(typeErrorOf(() => codec.encode(bad as never)).message).toMatch(/^pcm: expected an Int16Array/);
    }
    codec.close();
  });

  it('decode refuses anything but a Uint8Array or null', () => {
    const codec = createCodec(name);
    for (const bad of [new Int16Array(10), 'abc', undefined, {}]) {
      expect(typeErrorOf(() => codec.decode(bad as never)).message).toMatch(/^payload: /);
    }
    expect(codec.decode(new Uint8Array(Buffer.alloc(0))).length).toBeGreaterThanOrEqual(0); // a Buffer is fine
    codec.close();
  });

  it('survives random payloads: decoded samples or a CodecError, never a crash', () => {
    const codec = createCodec(name);
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 200; i++) {
      const payload = new Uint8Array(Math.floor(random() * 400));
      for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(random() * 256);
      try {
        expect(codec.decode(payload)).toBeInstanceOf(Int16Array);
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError);
        expect((err as CodecError).code).toBe('bad-packet');
      }
    }
    codec.close();
  });

  it('close() is idempotent; later calls throw CodecError closed', () => {
    const codec = createCodec(name);
    codec.close();
    codec.close();
    try {
      codec.decode(null);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('closed');
    }
  });
});

describe('malformed payloads', () => {
  it.each([
    ['g729', 7, /g729/],
    ['gsm', 32, /gsm/],
  ] as const)('%s refuses a %d-byte payload with bad-packet', (name, length, message) => {
    const codec = createCodec(name);
    try {
      codec.decode(new Uint8Array(length));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('bad-packet');
      expect((err as CodecError).message).toMatch(message);
    }
    codec.close();
  });

  it('opus refuses a corrupt packet with bad-packet', () => {
    const codec = createCodec('opus');
    // TOC code 3 (arbitrary frame count) with a frame count byte of 0 is invalid (RFC 6716 §3.2.5).
    expect(() => codec.decode(new Uint8Array([0x03, 0x00]))).toThrow(CodecError);
    codec.close();
  });

  it('decodeFec refuses a non-Uint8Array', () => {
    const codec = createCodec('opus');
    expect(typeErrorOf(() => codec.decodeFec!(null as never)).message).toMatch(/^nextPayload: /);
    codec.close();
  });
});

describe('Resampler arguments', () => {
  it.each([
    [{ from: 0, to: 8000 }, /opts\.from/],
    [{ from: 8000, to: 'fast' }, /opts\.to/],
    [{ from: 8000, to: 16000, quality: 11 }, /opts\.quality/],
    [null, /^opts: /],
  ])('refuses %o', (opts, message) => {
    expect(typeErrorOf(() => new Resampler(opts as never)).message).toMatch(message);
  });

  it('process refuses anything but an Int16Array', () => {
    const r = new Resampler({ from: 8000, to: 16000 });
    expect(typeErrorOf(() => r.process(new Float32Array(160) as never)).message).toMatch(/^pcm: /);
    expect(r.process(new Int16Array(0)).length).toBe(0);
    r.close();
  });
});

describe('SrtpSession arguments', () => {
  const key30 = new Uint8Array(30);

  it('refuses an unknown suite, naming it', () => {
    const err = typeErrorOf(() => new SrtpSession({ suite: 'NULL_HMAC_SHA1_80' as never, key: key30, direction: 'inbound' }));
    expect(err.message).toMatch(/^opts\.suite: /);
    expect(err.message).toContain('NULL_HMAC_SHA1_80');
  });

  it.each([
    ['AES_CM_128_HMAC_SHA1_80', 16],
    ['AES_CM_128_HMAC_SHA1_80', 28],
    ['AES_CM_128_HMAC_SHA1_32', 46],
    ['AEAD_AES_128_GCM', 30],
  ] as const)('%s refuses a %d-byte key', (suite, length) => {
    const err = typeErrorOf(() => new SrtpSession({ suite, key: new Uint8Array(length), direction: 'outbound' }));
    expect(err.message).toMatch(/^opts\.key: expected (28|30) bytes/);
  });

  it('refuses a key that is not a Uint8Array, and a bad direction', () => {
    const suite = 'AES_CM_128_HMAC_SHA1_80';
    expect(typeErrorOf(() => new SrtpSession({ suite, key: 'secret' as never, direction: 'inbound' })).message).toMatch(
      /^opts\.key: /,
    );
    expect(typeErrorOf(() => new SrtpSession({ suite, key: key30, direction: 'both' as never })).message).toMatch(
      /^opts\.direction: /,
    );
  });

  it('the TypeError for a bad key never shows the key bytes', () => {
    const secret = new Uint8Array(16).fill(0x42);
    const err = typeErrorOf(() => new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', key: secret, direction: 'inbound' }));
    expect(err.message).not.toMatch(/42|66/);
  });

  it('packet methods refuse anything but a Uint8Array', () => {
    const s = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', key: key30, direction: 'outbound' });
    for (const method of ['protectRtp', 'unprotectRtp', 'protectRtcp', 'unprotectRtcp'] as const) {
      expect(typeErrorOf(() => s[method]([1, 2, 3] as never)).message).toMatch(/^packet: /);
    }
    s.close();
  });
});

describe('the raw binding, called without index.ts', () => {
  // index.ts is the boundary, but a direct call with junk must still throw, never crash.
  type Ctor = new (options?: unknown) => Record<string, (...args: unknown[]) => unknown>;
  const raw = createRequire(import.meta.url)('../../../native/build/Release/appel_native.node') as Record<string, Ctor>;

  it('constructors refuse junk options', () => {
    for (const name of ['OpusCodec', 'G711Codec', 'Resampler', 'SrtpSession']) {
      expect(() => new raw[name](undefined), name).toThrow(TypeError);
    }
    expect(() => new raw.OpusCodec({ sampleRate: 44100 })).toThrow(/opus/);
    expect(() => new raw.G711Codec({ law: 'ulaw' })).toThrow(TypeError);
    expect(() => new raw.Resampler({ from: 0, to: 0 })).toThrow(/speex_resampler_init/);
    expect(() => new raw.SrtpSession({ suite: 'X', key: new Uint8Array(30), direction: 'inbound' })).toThrow(TypeError);
    expect(
      () => new raw.SrtpSession({ suite: 'AEAD_AES_128_GCM', key: new Uint8Array(30), direction: 'inbound' }),
    ).toThrow(TypeError);
  });

  it('methods refuse wrong types and lengths', () => {
    for (const name of ['OpusCodec', 'G722Codec', 'G729Codec', 'GsmCodec']) {
      const codec = new raw[name]({});
      expect(() => codec.encode('pcm'), name).toThrow(TypeError);
      expect(() => codec.encode(new Int16Array(7)), name).toThrow(TypeError);
      expect(() => codec.decode(new Int16Array(7)), name).toThrow(TypeError);
      codec.close();
      expect(() => codec.decode(null), name).toThrow(/closed/);
    }
    const srtp = new raw.SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', key: new Uint8Array(30), direction: 'outbound' });
    expect(() => srtp.protectRtp(new Int16Array(20))).toThrow(TypeError);
    expect(() => srtp.protectRtp(new Uint8Array(70000))).toThrow(/bad|packet/);
    const r = new raw.Resampler({ from: 8000, to: 16000, quality: 5 });
    expect(() => r.process(new Uint8Array(4))).toThrow(TypeError);
  });
});
