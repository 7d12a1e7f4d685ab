import { describe, expect, it } from 'vitest';
import { EModel } from '../../../main/media/e-model.ts';

describe('EModel (ITU-T G.107, G.113 Appendix I values)', () => {
  it('rates G.711 without loss and with little delay at MOS ≈ 4.4', () => {
    const r = EModel.rFactor({ codec: 'pcmu', lossPercent: 0, delayMs: 0 });
    expect(r).toBeCloseTo(93.2, 5);
    expect(EModel.mosFromR(93.2)).toBeCloseTo(4.41, 2);
    expect(EModel.mos({ codec: 'pcmu', lossPercent: 0, delayMs: 40 })).toBeCloseTo(4.39, 2);
  });

  it('lowers the score with 5 % random loss: G.711+PLC ≈ 3.92, G.729A ≈ 3.34', () => {
    // Ie,eff = 95·5/(5+25.1) = 15.78 → R = 77.4 → MOS 3.92 at zero delay.
    expect(EModel.rFactor({ codec: 'pcma', lossPercent: 5, delayMs: 0 })).toBeCloseTo(93.2 - (95 * 5) / 30.1, 6);
    expect(EModel.mos({ codec: 'pcma', lossPercent: 5, delayMs: 0 })).toBeCloseTo(3.92, 2);
    // G.729A: Ie,eff = 11 + 84·5/24 = 28.5 → R = 64.7 → MOS 3.34.
    expect(EModel.mos({ codec: 'g729', lossPercent: 5, delayMs: 0 })).toBeCloseTo(3.34, 2);
    expect(EModel.mos({ codec: 'g729', lossPercent: 5, delayMs: 0 })).toBeLessThan(EModel.mos({ codec: 'pcmu', lossPercent: 5, delayMs: 0 }));
  });

  it('penalizes delay beyond 177 ms more steeply', () => {
    const a = EModel.rFactor({ codec: 'pcmu', lossPercent: 0, delayMs: 150 });
    const b = EModel.rFactor({ codec: 'pcmu', lossPercent: 0, delayMs: 300 });
    expect(93.2 - a).toBeCloseTo(3.6, 6);
    expect(93.2 - b).toBeCloseTo(7.2 + 0.11 * (300 - 177.3), 6);
  });

  it('stays within 1..4.5', () => {
    expect(EModel.mos({ codec: 'gsm', lossPercent: 100, delayMs: 2000 })).toBe(1);
    expect(EModel.mosFromR(120)).toBe(4.5);
  });
});
