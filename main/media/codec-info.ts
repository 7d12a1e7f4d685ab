/**
 * Facts about payload formats that the engine needs without a codec instance: static
 * payload types (RFC 3551 §6 table 4) and the duration of a received payload, so that a
 * peer's 10, 30 or 60 ms packets sit correctly on the jitter buffer's timeline.
 */
import type { CodecName } from '../../native/index.ts';

/** RFC 3551 §6: static payload types of the codecs we have; the others are dynamic. */
export const STATIC_PAYLOAD_TYPES: Partial<Record<CodecName, number>> = { pcmu: 0, gsm: 3, pcma: 8, g722: 9, g729: 18 };

/** RFC 3389 comfort noise, static payload type 13 (8000 Hz). */
export const COMFORT_NOISE_PT = 13;

/** Opus frame sizes in 48 kHz samples per TOC config (RFC 6716 §3.1, table 2). */
function opusFrameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2]; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4]; // CELT-only: 2.5, 5, 10, 20 ms
}

export const CodecInfo = {
  /**
   * Audio carried by `payload`, in RTP timestamp units; undefined when it cannot be told
   * (the caller then assumes one frame).
   */
  payloadDuration(codec: CodecName, payload: Uint8Array): number | undefined {
    switch (codec) {
      case 'pcmu':
      case 'pcma':
        return payload.length; // one octet per sample at 8000 Hz
      case 'g722':
        return payload.length; // 4 bits per 16 kHz sample = 1 octet per 8 kHz clock tick (RFC 3551 §4.5.2)
      case 'gsm':
        return Math.floor(payload.length / 33) * 160 || undefined; // 33-octet frames of 20 ms
      case 'g729': {
        // 10-octet frames of 10 ms, possibly followed by a 2-octet SID frame (Annex B).
        const frames = Math.floor(payload.length / 10);
        return frames * 80 || undefined;
      }
      case 'opus': {
        // RFC 6716 §3.1: TOC byte: config (5 bits), stereo, frame count code (2 bits).
        if (payload.length === 0) return undefined;
        const toc = payload[0];
        const per = opusFrameSamples(toc >> 3);
        const code = toc & 3;
        if (code === 0) return per;
        if (code === 1 || code === 2) return 2 * per;
        if (payload.length < 2) return undefined;
        return (payload[1] & 0x3f) * per;
      }
    }
  },
} as const;
