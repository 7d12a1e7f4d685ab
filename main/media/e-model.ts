/**
 * A call-quality estimate after the ITU-T G.107 E-model, reduced to what a phone can measure:
 *
 *   R = R0 − Is − Id − Ie,eff + A, with the G.107 defaults R0 − Is = 93.2 and A = 0;
 *   Id  = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d = one-way delay in ms (the usual
 *         simplification of G.107 §7.4 with default echo parameters, Cole & Rosenbluth 2001);
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)        (G.107 §7.6, eq. 7-29);
 *   MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R), for 0 < R < 100   (G.107 Annex B).
 *
 * Codec values (Ie, Bpl) are the G.113 Appendix I provisional planning values where G.113 has
 * the codec; the others are stated assumptions (see CODEC_IMPAIRMENT).
 */

export interface CodecImpairment {
  /** Equipment impairment factor at zero loss. */
  ie: number;
  /** Packet-loss robustness factor. */
  bpl: number;
}

/**
 * Per codec:
 *   - pcmu/pcma: G.711 with packet-loss concealment (G.711 Appendix I PLC): Ie 0, Bpl 25.1 (G.113 App. I).
 *   - g729: G.729A (+VAD): Ie 11, Bpl 19.0 (G.113 App. I).
 *   - gsm: GSM 06.10 full rate: Ie 20 (G.113 App. I); no Bpl listed there — 10 assumed (weak PLC).
 *   - g722, opus: wideband codecs have no narrowband Ie; we rate them like G.711 (Ie 0) on
 *     this narrowband scale, with a Bpl of 25.1 for G.722 (PLC, as G.711) and an assumed 30
 *     for Opus (PLC plus in-band FEC).
 */
export const CODEC_IMPAIRMENT: Record<string, CodecImpairment> = {
  pcmu: { ie: 0, bpl: 25.1 },
  pcma: { ie: 0, bpl: 25.1 },
  g729: { ie: 11, bpl: 19.0 },
  gsm: { ie: 20, bpl: 10 },
  g722: { ie: 0, bpl: 25.1 },
  opus: { ie: 0, bpl: 30 },
};

export interface EModelInput {
  /** Codec name (a key of CODEC_IMPAIRMENT) or explicit factors. */
  codec: string | CodecImpairment;
  /** Packet loss in percent (0..100), after the jitter buffer (late packets count as lost). */
  lossPercent: number;
  /** One-way mouth-to-ear delay in ms. */
  delayMs: number;
  /** Burst ratio (1 = random loss, the default). */
  burstRatio?: number;
}

export const EModel = {
  /** The transmission rating factor R (0..100). */
  rFactor(input: EModelInput): number {
    const codec = typeof input.codec === 'string' ? (CODEC_IMPAIRMENT[input.codec] ?? { ie: 0, bpl: 25.1 }) : input.codec;
    const ppl = Math.max(0, Math.min(100, input.lossPercent));
    const burstR = input.burstRatio ?? 1;
    const d = Math.max(0, input.delayMs);
    const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
    const ieEff = codec.ie + ((95 - codec.ie) * ppl) / (ppl / burstR + codec.bpl);
    return Math.max(0, Math.min(100, 93.2 - id - ieEff));
  },

  /** R → MOS (G.107 Annex B). */
  mosFromR(r: number): number {
    if (r <= 0) return 1;
    if (r >= 100) return 4.5;
    return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  },

  mos(input: EModelInput): number {
    return EModel.mosFromR(EModel.rFactor(input));
  },
} as const;
