import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/clock.ts';
import { Timer, timerValues } from '../../../main/sip/transaction/timers.ts';

describe('timerValues (RFC 3261 Table 4, RFC 6026 §8.11)', () => {
  it('derives A–M from the defaults T1=500 ms, T2=4 s, T4=5 s on UDP', () => {
    const t = timerValues();
    expect(t).toMatchObject({ T1: 500, T2: 4000, T4: 5000, A: 500, B: 32_000, D: 32_000, E: 500, F: 32_000 });
    expect(t).toMatchObject({ G: 500, H: 32_000, I: 5000, J: 32_000, K: 5000, L: 32_000, M: 32_000, trying: 200 });
  });

  it('sets D, I, J and K to zero on reliable transports', () => {
    const t = timerValues({}, true);
    expect([t.D, t.I, t.J, t.K]).toEqual([0, 0, 0, 0]);
    expect([t.B, t.F, t.H, t.L, t.M]).toEqual([32_000, 32_000, 32_000, 32_000, 32_000]);
  });

  it('follows a configured T1, keeping Timer D at least 32 s', () => {
    const small = timerValues({ T1: 100 });
    expect(small.B).toBe(6400);
    expect(small.D).toBe(32_000);
    const large = timerValues({ T1: 1000, T4: 2000 });
    expect(large.D).toBe(64_000);
    expect(large.K).toBe(2000);
  });
});

describe('FakeClock', () => {
  it('fires due timers in due order, and same-instant timers in the order they were set', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('c'), 20);
    clock.advance(15);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(15);
    clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('runs timers set by a firing timer within the same advance, at their own time', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const tick = (): void => {
      at.push(clock.now());
      if (at.length < 3) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(1000);
    expect(at).toEqual([100, 200, 300]);
  });

  it('never fires a cleared timer', () => {
    const clock = new FakeClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(h);
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('stops runAll on a timer that re-arms forever', () => {
    const clock = new FakeClock();
    const again = (): void => void clock.setTimeout(again, 1);
    clock.setTimeout(again, 1);
    expect(() => clock.runAll(50)).toThrow(/still 1 timers/);
  });
});

describe('Timer', () => {
  it('re-arms on start and reports whether it is running', () => {
    const clock = new FakeClock();
    let count = 0;
    const t = new Timer(clock, () => count++);
    t.start(100);
    clock.advance(50);
    t.start(100);
    clock.advance(99);
    expect(count).toBe(0);
    expect(t.running).toBe(true);
    clock.advance(1);
    expect(count).toBe(1);
    expect(t.running).toBe(false);
  });
});
