import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/sip/clock.ts';
import { SourceLimiter } from '../../../main/sip/transport/source-limiter.ts';
import { sourceOf } from '../../../main/sip/transport/stamp-via.ts';

describe('SourceLimiter (a token bucket per source address)', () => {
  it('lets a burst through, then answers 503 once a second and drops the rest', () => {
    const clock = new FakeClock();
    const limiter = new SourceLimiter({ clock, rate: 10, burst: 30 });
    const verdicts = Array.from({ length: 100 }, () => limiter.take('203.0.113.9'));
    expect(verdicts.slice(0, 30).every((v) => v === 'ok')).toBe(true);
    expect(verdicts[30]).toBe('refuse');
    expect(verdicts.slice(31).every((v) => v === 'drop')).toBe(true);
    expect(limiter.stats).toEqual({ refused: 1, dropped: 69 });
    expect(limiter.retryAfter).toBe(3);
    // 100 ms later: one token back; one more second: a 503 again.
    clock.advance(100);
    expect(limiter.take('203.0.113.9')).toBe('ok');
    expect(limiter.take('203.0.113.9')).toBe('drop');
    clock.advance(1000);
    expect(Array.from({ length: 10 }, () => limiter.take('203.0.113.9')).every((v) => v === 'ok')).toBe(true);
    expect(limiter.take('203.0.113.9')).toBe('refuse');
  });

  it('limits each source on its own; exempt sources never', () => {
    const clock = new FakeClock();
    const limiter = new SourceLimiter({ clock, rate: 1, burst: 2, exempt: (a) => a === '192.0.2.1' });
    limiter.take('198.51.100.1');
    limiter.take('198.51.100.1');
    expect(limiter.take('198.51.100.1')).toBe('refuse');
    expect(limiter.take('198.51.100.2')).toBe('ok');
    expect(Array.from({ length: 1000 }, () => limiter.take('192.0.2.1')).every((v) => v === 'ok')).toBe(true);
  });

  it('remembers a bounded number of sources, forgetting the least recently seen', () => {
    const clock = new FakeClock();
    const limiter = new SourceLimiter({ clock, rate: 1, burst: 1, maxSources: 100 });
    expect(limiter.take('10.0.0.0')).toBe('ok');
    expect(limiter.take('10.0.0.0')).toBe('refuse');
    for (let i = 1; i <= 1000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // Forgotten, so it starts again with a full bucket.
    expect(limiter.take('10.0.0.0')).toBe('ok');
  });

  it('counts an IPv6 /64 as one source (a host has all of its addresses), IPv4 addresses one by one', () => {
    expect(sourceOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::ffff:192.0.2.1')).toBe('192.0.2.1');
    const limiter = new SourceLimiter({ clock: new FakeClock(), rate: 1, burst: 2 });
    expect(limiter.take('2001:db8:1:2::a')).toBe('ok');
    expect(limiter.take('2001:db8:1:2::b')).toBe('ok');
    expect(limiter.take('2001:db8:1:2:ffff::c')).toBe('refuse');
    expect(limiter.take('2001:db8:1:3::a')).toBe('ok');
    expect(limiter.take('192.0.2.1')).toBe('ok');
    expect(limiter.take('192.0.2.2')).toBe('ok');
  });
});

