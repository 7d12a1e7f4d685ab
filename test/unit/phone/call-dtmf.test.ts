import { describe, expect, it } from 'vitest';
import { formatDtmfRelay, parseDtmfInfo } from '../../../main/phone/call-dtmf.ts';
import { callOutcomeLine } from '../../../main/cli/output.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';

describe('DTMF by SIP INFO', () => {
  it('writes application/dtmf-relay as Signal and Duration lines', () => {
    expect(formatDtmfRelay('5')).toBe('Signal=5\r\nDuration=160\r\n');
    expect(formatDtmfRelay('a', 250)).toBe('Signal=A\r\nDuration=250\r\n');
  });

  it('reads dtmf-relay (digits, *, #, A-D, and the numeric 10/11 forms) and application/dtmf', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({ digit: '5', durationMs: 160 });
    expect(parseDtmfInfo('Application/DTMF-Relay; charset=x', 'signal= #\nduration=100')).toEqual({ digit: '#', durationMs: 100 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\n')).toEqual({ digit: '*', durationMs: 0 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=11\r\nDuration=x\r\n')).toEqual({ digit: '#', durationMs: 0 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=d\r\n')).toEqual({ digit: 'D', durationMs: 0 });
    expect(parseDtmfInfo('application/dtmf', '7')).toEqual({ digit: '7', durationMs: 0 });
  });

  it('ignores what carries no digit', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Duration=160')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=Z')).toBeUndefined();
    expect(parseDtmfInfo('application/media_control+xml', '<x/>')).toBeUndefined();
  });
});

describe('the CLI says why a call did not go as asked, in one line', () => {
  const ended = (over: Partial<CallSnapshot>): CallSnapshot => ({ id: 'c', direction: 'outgoing', peer: { uri: 'sip:x@lab.test' }, state: 'ended', srtp: false, startedAt: 0, ...over });
  it.each([
    [486, 'busy', 'sip:bob@lab.test is busy (486 Busy Here)'],
    [603, 'declined', 'sip:bob@lab.test declined the call (603 Decline)'],
    [404, 'not found', 'sip:bob@lab.test was not found (404 Not Found)'],
    [480, 'not available right now', 'sip:bob@lab.test is not available right now (480 Temporarily Unavailable)'],
    [488, 'no common codec/media', 'sip:bob@lab.test: no common codec/media (488 Not Acceptable Here)'],
  ])('%i', (status, reason, line) => {
    expect(callOutcomeLine('sip:bob@lab.test', ended({ endStatus: status, endReason: reason }))).toBe(line);
  });

  it('an answered call that ended badly', () => {
    expect(callOutcomeLine('sip:bob@lab.test', ended({ answeredAt: 1, endStatus: 408, endReason: 'the other side stopped refreshing the call' }))).toBe(
      'the call with sip:bob@lab.test ended: the other side stopped refreshing the call (408 Request Timeout)',
    );
  });
});
