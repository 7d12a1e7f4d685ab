/**
 * RTP video payloads: VP8 (RFC 7741) and H.264 (RFC 6184, modes 0 and 1) cut into packets and
 * put back together by the frame assembler, with real encoders' output; reordering, duplicates,
 * a lost packet (frames dropped until a key frame, which is asked for) and hostile payloads.
 */
import { describe, expect, it } from 'vitest';
import { i420Size, VideoDecoder, VideoEncoder } from '../../../native/video.ts';
import { FrameAssembler, type VideoRtpPacket } from '../../../main/media/video/frame-assembler.ts';
import { depacketizeH264, joinAnnexB, NAL, packetizeH264, splitAnnexB } from '../../../main/media/video/h264-payload.ts';
import { depacketizeVp8, packetizeVp8, readVp8Descriptor } from '../../../main/media/video/vp8-payload.ts';
import { RtpFormatError } from '../../../main/media/rtp-packet.ts';
import { depacketizerFor } from '../../../main/media/video/payload-format.ts';

function pattern(width: number, height: number, n: number): Uint8Array {
  const f = new Uint8Array(i420Size(width, height));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) f[y * width + x] = 16 + ((x * 3 + y * 2 + n * 5) % 220);
  f.fill(128, width * height);
  return f;
}

type Codec = 'vp8' | 'h264-0' | 'h264-1';

/** Encoded frames of a moving pattern, as RTP packets (90 kHz timestamps, marker on each frame's last). */
function stream(codec: Codec, frames: number, opts: { keyAt?: number[]; maxPayload?: number } = {}): { packets: VideoRtpPacket[][]; keys: boolean[] } {
  const h264 = codec !== 'vp8';
  const enc = new VideoEncoder(h264 ? 'h264' : 'vp8', { width: 320, height: 240, fps: 30, bitrateKbps: 900, ...(codec === 'h264-0' ? { maxNalBytes: 1000 } : {}) });
  const packets: VideoRtpPacket[][] = [];
  const keys: boolean[] = [];
  let seq = 65500; // wraps during the stream
  for (let n = 0; n < frames; n++) {
    if (opts.keyAt?.includes(n)) enc.requestKeyFrame();
    const [frame] = enc.encode(pattern(320, 240, n));
    keys.push(frame.keyFrame);
    const payloads = h264 ? packetizeH264(frame.data, codec === 'h264-0' ? 0 : 1, opts.maxPayload ?? 1000) : packetizeVp8(frame.data, n, opts.maxPayload ?? 1000);
    packets.push(payloads.map((payload, i) => ({ sequenceNumber: seq++ & 0xffff, timestamp: (n * 3000) >>> 0, marker: i === payloads.length - 1, payload })));
  }
  enc.close();
  return { packets, keys };
}

function assembler(codec: Codec): FrameAssembler {
  return new FrameAssembler({ depacketize: depacketizerFor(codec === 'vp8' ? 'vp8' : 'h264') });
}

describe.each(['vp8', 'h264-0', 'h264-1'] as Codec[])('%s over RTP', (codec) => {
  it('every frame comes out whole and decodable, packets reordered within a frame and duplicated', () => {
    const { packets } = stream(codec, 20);
    const asm = assembler(codec);
    const dec = new VideoDecoder(codec === 'vp8' ? 'vp8' : 'h264');
    let t = 0;
    let decoded = 0;
    for (const frame of packets) {
      const shuffled = [...frame].reverse();
      shuffled.push(frame[0]); // a duplicate
      for (const p of shuffled) {
        for (const out of asm.push(p, (t += 1))) {
          const pic = dec.decode(out.data);
          if (pic) decoded++;
        }
      }
    }
    expect(asm.stats.framesOut).toBe(20);
    expect(decoded).toBe(20);
    expect(asm.stats.packetsDiscarded).toBe(20);
    expect(asm.keyFrameNeeded).toBe(false);
    dec.close();
  });

  it('a lost packet: that frame and the ones after it are dropped, a key frame is asked for, and the stream resumes at it', () => {
    const { packets, keys } = stream(codec, 12, { keyAt: [8] });
    expect(keys[8]).toBe(true);
    const asm = assembler(codec);
    const dec = new VideoDecoder(codec === 'vp8' ? 'vp8' : 'h264');
    const out: number[] = [];
    let now = 0;
    const needed: boolean[] = [];
    packets.forEach((frame, n) => {
      now += 33;
      for (const [i, p] of frame.entries()) {
        if (n === 4 && i === 0) continue; // lost
        for (const f of asm.push(p, now)) {
          out.push(f.timestamp / 3000);
          dec.decode(f.data);
        }
      }
      for (const f of asm.poll(now)) out.push(f.timestamp / 3000);
      needed.push(asm.keyFrameNeeded);
    });
    expect(out).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    // Asked for from the moment the loss is given up (two whole frames after the gap; a lost
    // one-packet frame leaves its gap in front of the next) until the key frame came.
    const firstAsked = needed.indexOf(true);
    expect(firstAsked).toBeGreaterThanOrEqual(6);
    expect(firstAsked).toBeLessThanOrEqual(7);
    expect(needed.slice(firstAsked, 8).every((x) => x)).toBe(true);
    expect(needed.slice(8).some((x) => x)).toBe(false);
    // Frames 5-7, and frame 4 when any of it arrived.
    expect([3, 4]).toContain(asm.stats.framesDropped);
    dec.close();
  });
});

describe('VP8 payload descriptor (RFC 7741 §4.2)', () => {
  it('writes X, S, I and a 15-bit PictureID; reads the short forms peers send', () => {
    const [first, second] = packetizeVp8(new Uint8Array(3000).fill(1), 0x1234, 1600);
    expect([...first.subarray(0, 4)]).toEqual([0x90, 0x80, 0x80 | 0x12, 0x34]);
    expect(second[0]).toBe(0x80);
    expect(readVp8Descriptor(first)).toMatchObject({ start: true, partition: 0, pictureId: 0x1234, length: 4 });
    // No X at all, and X with a 7-bit PictureID, TL0PICIDX and TID: 1 and 5 bytes.
    expect(readVp8Descriptor(new Uint8Array([0x10, 0x9d]))).toMatchObject({ start: true, length: 1 });
    expect(readVp8Descriptor(new Uint8Array([0x90, 0xe0, 0x05, 0x01, 0x40, 0x9d]))).toMatchObject({ pictureId: 5, length: 5 });
    expect(() => readVp8Descriptor(new Uint8Array([0x90, 0x80, 0x80]))).toThrow(RtpFormatError);
    expect(() => depacketizeVp8([second])).toThrow(/first packet is missing/);
  });
});

describe('H.264 payloads (RFC 6184)', () => {
  const unit = (type: number, size: number) => {
    const u = new Uint8Array(size).fill(0x11);
    u[0] = 0x60 | type;
    return u;
  };

  it('mode 1 aggregates small NAL units in a STAP-A and fragments big ones in FU-A', () => {
    const au = joinAnnexB([unit(NAL.SPS, 12), unit(NAL.PPS, 5), unit(NAL.IDR, 2500)]);
    const payloads = packetizeH264(au, 1, 1000);
    expect(payloads[0][0] & 0x1f).toBe(NAL.STAP_A);
    const fus = payloads.slice(1);
    expect(fus.map((p) => p[0] & 0x1f)).toEqual([28, 28, 28]);
    expect(fus.map((p) => p[1] & 0xc0)).toEqual([0x80, 0, 0x40]);
    for (const p of payloads) expect(p.length).toBeLessThanOrEqual(1000);
    const back = depacketizeH264(payloads);
    expect(back.keyFrame).toBe(true);
    expect(splitAnnexB(back.accessUnit).map((u) => [u[0] & 0x1f, u.length])).toEqual([[7, 12], [8, 5], [5, 2500]]);
  });

  it('mode 0 refuses a NAL unit that does not fit a packet, in words', () => {
    expect(() => packetizeH264(joinAnnexB([unit(NAL.IDR, 1500)]), 0, 1200)).toThrow(/packetization-mode 0: a NAL unit of 1500 bytes/);
  });

  it('refuses what a hostile peer might send, without reading past the packet', () => {
    expect(() => depacketizeH264([new Uint8Array([NAL.STAP_A, 0x00, 0x20, 0x67])])).toThrow(RtpFormatError);
    expect(() => depacketizeH264([new Uint8Array([0x7c, 0x05, 1, 2])])).toThrow(/without its start/);
    expect(() => depacketizeH264([new Uint8Array([0x7c, 0x85, 1, 2])])).toThrow(/last fragment is missing/);
    expect(() => depacketizeH264([new Uint8Array([0x7a])])).toThrow(/type 26/);
  });
});

describe('FrameAssembler bounds', () => {
  it('keeps at most maxFrames frames and maxPacketsPerFrame packets waiting', () => {
    const asm = new FrameAssembler({ depacketize: (p) => ({ data: p[0], keyFrame: true }), maxFrames: 4, maxPacketsPerFrame: 3 });
    // A flood of frames that never complete: each new one beyond 4 drops the oldest.
    for (let i = 0; i < 100; i++) asm.push({ sequenceNumber: i * 2, timestamp: i * 3000, marker: false, payload: new Uint8Array(1) }, 0);
    expect(asm.stats.framesDropped).toBe(96);
    // Packets beyond the bound for one frame are discarded (and the oldest frame made room for it).
    const before = asm.stats.packetsDiscarded;
    for (let i = 0; i < 10; i++) asm.push({ sequenceNumber: 1000 + i, timestamp: 999_000, marker: false, payload: new Uint8Array(1) }, 0);
    expect(asm.stats.packetsDiscarded - before).toBe(1 + 7);
  });
});
