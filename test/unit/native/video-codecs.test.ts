// The video addon (native/video.ts): VP8 (libvpx) and H.264 (OpenH264) round trips measured by
// PSNR against the source, key frames on demand, bit rate and size changed while running, H.264
// NAL units bounded for packetization-mode 0, and bad input refused without a crash.
import { describe, expect, it } from 'vitest';
import { i420Size, VideoCodecError, VideoDecoder, VideoEncoder, videoVersions, type VideoCodecName } from '../../../native/video.ts';

/** A moving test pattern: a diagonal luma ramp, a bright square sliding right, flat chroma bands. */
function pattern(width: number, height: number, n: number, noise = 0): Uint8Array {
  const frame = new Uint8Array(i420Size(width, height));
  let seed = n * 7919 + 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  const sq = { x: (n * 4) % (width - 48), y: height / 3, size: 48 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare = x >= sq.x && x < sq.x + sq.size && y >= sq.y && y < sq.y + sq.size;
      const base = inSquare ? 235 : 16 + (((x + y + n * 2) * 200) / (width + height)) % 200;
      frame[y * width + x] = Math.max(16, Math.min(235, base + (random() - 0.5) * noise));
    }
  }
  const cw = width / 2;
  const ch = height / 2;
  const u = width * height;
  const v = u + cw * ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      frame[u + y * cw + x] = x < cw / 2 ? 90 : 160;
      frame[v + y * cw + x] = y < ch / 2 ? 110 : 170;
    }
  }
  return frame;
}

/** PSNR of the luma planes (dB). */
function psnrY(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  let sum = 0;
  for (let i = 0; i < width * height; i++) sum += (a[i] - b[i]) ** 2;
  const mse = sum / (width * height);
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

/** NAL units of an Annex B access unit (start codes 00 00 01 or 00 00 00 01). */
function nalUnits(au: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < au.length; i++) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((s, k) => {
    let end = k + 1 < starts.length ? starts[k + 1] - 3 : au.length;
    while (end > s && au[end - 1] === 0) end--; // the 4-byte form's leading zero
    return au.subarray(s, end);
  });
}

const CODECS: VideoCodecName[] = ['vp8', 'h264'];

describe.each(CODECS)('%s', (codec) => {
  it('encodes and decodes 60 frames of a moving pattern at 320x240, each at 30 dB PSNR or better', () => {
    const enc = new VideoEncoder(codec, { width: 320, height: 240, fps: 30, bitrateKbps: 600 });
    const dec = new VideoDecoder(codec);
    const scores: number[] = [];
    const keys: boolean[] = [];
    for (let n = 0; n < 60; n++) {
      const src = pattern(320, 240, n);
      for (const out of enc.encode(src)) {
        keys.push(out.keyFrame);
        const pic = dec.decode(out.data);
        expect(pic).not.toBeNull();
        expect([pic!.width, pic!.height]).toEqual([320, 240]);
        expect(pic!.data.length).toBe(i420Size(320, 240));
        scores.push(psnrY(src, pic!.data, 320, 240));
      }
    }
    expect(scores.length).toBeGreaterThanOrEqual(57);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(30);
    // The first frame is a key frame; with keyFrameInterval 0 no other one comes unasked.
    expect(keys[0]).toBe(true);
    expect(keys.slice(1).filter(Boolean)).toEqual([]);
    enc.close();
    dec.close();
  });

  it('makes a key frame when asked, and follows a lower bit rate set while it runs', () => {
    const enc = new VideoEncoder(codec, { width: 320, height: 240, fps: 30, bitrateKbps: 1500 });
    const bytes = (frames: number, from: number) => {
      let total = 0;
      for (let n = from; n < from + frames; n++) for (const out of enc.encode(pattern(320, 240, n, 60))) total += out.data.length;
      return total;
    };
    const high = bytes(60, 0);
    enc.requestKeyFrame();
    const [asked] = enc.encode(pattern(320, 240, 60));
    expect(asked.keyFrame).toBe(true);
    expect(enc.encode(pattern(320, 240, 61))[0]?.keyFrame ?? false).toBe(false);
    enc.configure({ bitrateKbps: 150 });
    expect(enc.settings.bitrateKbps).toBe(150);
    bytes(30, 62); // the rate control settles
    const low = bytes(60, 92);
    expect(low).toBeLessThan(high / 2);
    enc.close();
  });

  it('changes size while it runs: the next frame is a key frame of the new size', () => {
    const enc = new VideoEncoder(codec, { width: 320, height: 240, fps: 30, bitrateKbps: 600 });
    const dec = new VideoDecoder(codec);
    for (let n = 0; n < 5; n++) for (const out of enc.encode(pattern(320, 240, n))) dec.decode(out.data);
    enc.configure({ width: 640, height: 480 });
    expect(() => enc.encode(pattern(320, 240, 5))).toThrow(/frame: expected 460800 bytes of I420 640x480/);
    const [first] = enc.encode(pattern(640, 480, 5));
    expect(first.keyFrame).toBe(true);
    const pic = dec.decode(first.data);
    expect([pic?.width, pic?.height]).toEqual([640, 480]);
    enc.close();
    dec.close();
  });

  it('a corrupt frame is a VideoCodecError, not a crash, and the decoder goes on after the next key frame', () => {
    const enc = new VideoEncoder(codec, { width: 320, height: 240, fps: 30, bitrateKbps: 600 });
    const dec = new VideoDecoder(codec);
    const [key] = enc.encode(pattern(320, 240, 0));
    const garbage = key.data.slice();
    for (let i = Math.floor(garbage.length / 4); i < garbage.length; i += 7) garbage[i] ^= 0x5a;
    const junk = new Uint8Array(300).fill(0xff);
    let failures = 0;
    for (const bad of [junk, garbage]) {
      try {
        dec.decode(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(VideoCodecError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
    enc.requestKeyFrame();
    const [again] = enc.encode(pattern(320, 240, 1));
    const pic = dec.decode(again.data);
    expect(pic && psnrY(pattern(320, 240, 1), pic.data, 320, 240)).toBeGreaterThanOrEqual(30);
    enc.close();
    dec.close();
  });
  it('writes the picture into a buffer handed back when it is exactly the size, and into a new one when it is not', () => {
    const enc = new VideoEncoder(codec, { width: 320, height: 240, fps: 30, bitrateKbps: 600 });
    const fresh = new VideoDecoder(codec);
    const reusing = new VideoDecoder(codec);
    const spare = new Uint8Array(i420Size(320, 240)).fill(7);
    const wrongSize = new Uint8Array(i420Size(320, 240) - 2);
    for (let n = 0; n < 10; n++) {
      const [f] = enc.encode(pattern(320, 240, n));
      const expected = fresh.decode(f.data)!;
      const into = n % 3 === 2 ? wrongSize : spare;
      const got = reusing.decode(f.data, into)!;
      // The very buffer given, or a new one when it did not fit; the picture is the same either way.
      if (into === spare) expect(got.data).toBe(spare);
      else expect(got.data).not.toBe(wrongSize);
      expect(Buffer.from(got.data).equals(expected.data), `frame ${n}`).toBe(true);
    }
    expect(() => reusing.decode(new Uint8Array(10), 'nope' as unknown as Uint8Array)).toThrow(/into: expected a Uint8Array/);
    enc.close();
    fresh.close();
    reusing.close();
  });
});

describe('h264 for packetization-mode 0', () => {
  it('keeps every NAL unit within maxNalBytes, and starts each IDR with SPS and PPS', () => {
    const enc = new VideoEncoder('h264', { width: 640, height: 480, fps: 30, bitrateKbps: 1500, maxNalBytes: 1100 });
    const [idr] = enc.encode(pattern(640, 480, 0));
    const nals = nalUnits(idr.data);
    // nal_unit_type (RFC 6184 §1.3): 7 SPS, 8 PPS, 5 IDR slice.
    expect(nals.slice(0, 2).map((n) => n[0] & 0x1f)).toEqual([7, 8]);
    expect(nals.filter((n) => (n[0] & 0x1f) === 5).length).toBeGreaterThan(1);
    for (const n of nals) expect(n.length).toBeLessThanOrEqual(1100);
    // Constrained baseline: profile_idc 66 with constraint_set1 (profile-level-id 42e0xx / 42c0xx).
    expect(nals[0][1]).toBe(66);
    expect(nals[0][2] & 0x40).toBe(0x40);
    enc.close();
  });
});

describe('arguments', () => {
  it('refuses what cannot be encoded, naming the argument', () => {
    expect(() => new VideoEncoder('vp9' as VideoCodecName, { width: 320, height: 240, fps: 30, bitrateKbps: 600 })).toThrow(/^codec: /);
    expect(() => new VideoEncoder('vp8', { width: 321, height: 240, fps: 30, bitrateKbps: 600 })).toThrow(/settings\.width: expected an even number/);
    expect(() => new VideoEncoder('h264', { width: 320, height: 240, fps: 0, bitrateKbps: 600 })).toThrow(/settings\.fps/);
    const enc = new VideoEncoder('vp8', { width: 320, height: 240, fps: 30, bitrateKbps: 600 });
    expect(() => enc.encode(new Uint8Array(10))).toThrow(/^frame: expected 115200 bytes/);
    expect(() => enc.configure({ bitrateKbps: 5 })).toThrow(/settings\.bitrateKbps/);
    enc.close();
    expect(() => new VideoDecoder('vp8').decode('x' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('names the libraries it runs on', () => {
    const v = videoVersions();
    expect(v.vpx).toMatch(/\d+\.\d+/);
    expect(v.openh264).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
