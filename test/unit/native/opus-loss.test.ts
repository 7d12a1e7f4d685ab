// Opus under packet loss: PLC (opus_decode with no data) and in-band FEC (RFC 6716 §2.1.7, the
// LBRR copy of frame k carried in packet k+1, recovered with decode_fec=1).
//
// Measured here on the espeak-ng clip at 16 kHz, 24 kb/s, fec on, packetLossPercent 20, losing
// one of the 8 loudest frames at a time and comparing the recovered frame with a loss-free decode:
// FEC gave 8..15 dB SNR, PLC -2.5..3.8 dB. The test asks FEC to beat PLC on every one of them and
// by 5 dB on average.
import { describe, expect, it } from 'vitest';

import { createCodec, type Codec } from '../../../native/index.ts';
import { db, frames, hasTools, rms, speech, tones } from './audio-metrics.ts';

function frameSnr(reference: Int16Array, y: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    noise += (reference[i] - y[i]) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

/** Decode every packet but `lost`, which `recover` replaces; return the frame it produced. */
function decodeWithLoss(packets: Uint8Array[], lost: number, recover: (codec: Codec, next: Uint8Array) => Int16Array): Int16Array {
  const codec = createCodec('opus', { sampleRate: 16000 });
  let recovered: Int16Array = new Int16Array(0);
  for (let i = 0; i < packets.length; i++) {
    if (i === lost) recovered = recover(codec, packets[i + 1]);
    else codec.decode(packets[i]);
  }
  codec.close();
  return recovered;
}

describe('opus packet loss concealment', () => {
  it('decode(null) right after speech gives a full frame that is not silence', () => {
    const codec = createCodec('opus');
    const voice = tones({ rate: 48000, seconds: 0.3, frequencies: [180, 360, 540, 900], amplitude: 3000 });
    let last: Int16Array = new Int16Array(0);
    for (const f of frames(voice, codec.frameSamples)) last = codec.decode(codec.encode(f));
    const concealed = codec.decode(null);
    expect(concealed.length).toBe(960);
    expect(rms(concealed)).toBeGreaterThan(100);
    expect(db(rms(concealed) / rms(last))).toBeGreaterThan(-10);
    // Several losses in a row still give full frames (libopus fades them out).
    for (let i = 0; i < 5; i++) expect(codec.decode(null).length).toBe(960);
    codec.close();
  });

  it('an empty payload is treated as a loss', () => {
    const codec = createCodec('opus', { sampleRate: 8000 });
    expect(codec.decode(new Uint8Array(0)).length).toBe(160);
    codec.close();
  });
});

describe('opus in-band FEC', () => {
  // Skipped only where espeak-ng or sox is missing: LBRR is coded for speech (SILK), not tones.
  it.runIf(hasTools('espeak-ng', 'sox'))('decodeFec(next) recovers a lost frame closer to the original than PLC', () => {
    const clip = speech(16000)!;
    const encoder = createCodec('opus', { sampleRate: 16000, bitrate: 24000, fec: true, packetLossPercent: 20 });
    const packets = frames(clip, encoder.frameSamples).map((f) => encoder.encode(f));
    encoder.close();

    const clean = createCodec('opus', { sampleRate: 16000 });
    const reference = packets.map((p) => clean.decode(p));
    clean.close();

    const loudest = reference
      .map((f, i) => ({ i, level: rms(f) }))
      .filter(({ i }) => i > 5 && i < packets.length - 2)
      .sort((a, b) => b.level - a.level)
      .slice(0, 8)
      .map(({ i }) => i);

    let advantage = 0;
    for (const k of loudest) {
      const viaFec = decodeWithLoss(packets, k, (codec, next) => codec.decodeFec!(next));
      const viaPlc = decodeWithLoss(packets, k, (codec) => codec.decode(null));
      expect(viaFec.length).toBe(320);
      const fec = frameSnr(reference[k], viaFec);
      const plc = frameSnr(reference[k], viaPlc);
      expect(fec, `frame ${k}`).toBeGreaterThan(plc);
      advantage += (fec - plc) / loudest.length;
    }
    expect(advantage).toBeGreaterThan(5);
  });

  it('decodeFec on a packet without FEC data still returns a full concealment frame', () => {
    const codec = createCodec('opus');
    const packet = codec.encode(tones({ rate: 48000, seconds: 0.02, frequencies: [1000], amplitude: 5000 }));
    codec.decode(packet);
    expect(codec.decodeFec!(packet).length).toBe(960);
    codec.close();
  });
});
