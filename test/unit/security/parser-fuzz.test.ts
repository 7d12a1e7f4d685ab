/**
 * The parser against a seeded mutation fuzz (test/security/lab/mutator.ts): whatever the bytes,
 * it returns a message or throws SipParseError — never another exception, never a hang. CI runs
 * 30,000 mutations; `npm run bench -- fuzz` runs a million and prints the slowest message.
 */
import { describe, expect, it } from 'vitest';
import { SipParseError, createErrorResponse, parseMessage } from '../../../main/sip/message/index.ts';
import { mutations } from '../../security/lab/mutator.ts';

describe('parseMessage under a seeded mutation fuzz', () => {
  it('throws nothing but SipParseError on 30,000 mutated messages, and every error can be answered', () => {
    let parsed = 0;
    let refused = 0;
    for (const data of mutations(0x5eed, 30_000)) {
      try {
        const m = parseMessage(data);
        parsed++;
        // What every layer reads first must also either work or say SipParseError.
        for (const read of [() => m.topVia(), () => m.cseq(), () => m.callId(), () => m.from(), () => m.to()]) {
          try {
            read();
          } catch (err) {
            if (!(err instanceof SipParseError)) throw err;
          }
        }
      } catch (err) {
        if (!(err instanceof SipParseError)) throw new Error(`not a SipParseError for ${JSON.stringify(data.toString('latin1').slice(0, 200))}`, { cause: err });
        refused++;
        createErrorResponse(data, err);
      }
    }
    expect(parsed + refused).toBe(30_000);
    // The mutations reach both sides: some still parse, most do not.
    expect(parsed).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(10_000);
  });
});
