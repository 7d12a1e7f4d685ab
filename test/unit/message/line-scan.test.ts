/**
 * The line scan reads the datagram four bytes at a time over aligned words: whatever the
 * Buffer's offset in its ArrayBuffer, and wherever a CR, an LF or a byte outside ASCII
 * falls against a word boundary, it finds what a byte-by-byte scan finds.
 */
import { describe, expect, it } from 'vitest';
import { SipParseError, parseMessage } from '../../../main/sip/message/index.ts';

const HEAD = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds',
  'From: <sip:alice@example.com>;tag=1928301774',
  'To: <sip:bob@example.com>',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 63104 OPTIONS',
  'Subject: abcdefghijklmnopqrstuvwxyz0123456789',
  'Content-Length: 0',
];
const MESSAGE = HEAD.join('\r\n') + '\r\n\r\n';
/** Where the Subject value starts, and how long it is. */
const SUBJECT_AT = MESSAGE.indexOf('abcdefghij');
const SUBJECT_LENGTH = 36;

/** `bytes` copied into a larger ArrayBuffer at `offset`, so the view starts off a word boundary. */
function at(bytes: Uint8Array, offset: number): Buffer {
  const whole = Buffer.alloc(offset + bytes.length + 5, 0x41);
  whole.set(bytes, offset);
  return whole.subarray(offset, offset + bytes.length);
}

function outcome(data: Uint8Array): string {
  try {
    const m = parseMessage(data);
    return `ok ${m.header('Subject')} ${m.callId()}`;
  } catch (e) {
    if (e instanceof SipParseError) return `${e.status} ${e.reason}`;
    throw e;
  }
}

describe('line scan over aligned words', () => {
  it('parses the same message at every byte offset', () => {
    for (let offset = 0; offset < 8; offset++) {
      expect(outcome(at(Buffer.from(MESSAGE), offset)), `offset ${offset}`).toBe(`ok abcdefghijklmnopqrstuvwxyz0123456789 a84b4c76e66710@pc33.example.com`);
    }
  });

  it('finds a lone LF or CR at every position against every alignment', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (let k = 0; k < SUBJECT_LENGTH; k++) {
        for (const [bad, reason] of [[0x0a, '400 Bad line ending'], [0x0d, '400 Bad line ending']] as const) {
          const bytes = Buffer.from(MESSAGE);
          bytes[SUBJECT_AT + k] = bad;
          expect(outcome(at(bytes, offset)), `offset ${offset}, byte ${k}`).toBe(reason);
        }
      }
    }
  });

  it('notes a byte outside ASCII at every position against every alignment, and decodes the block as UTF-8', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (let k = 0; k + 1 < SUBJECT_LENGTH; k++) {
        const bytes = Buffer.from(MESSAGE);
        // 'é' in UTF-8 (two bytes) in place of two letters: the value gets one character shorter.
        bytes[SUBJECT_AT + k] = 0xc3;
        bytes[SUBJECT_AT + k + 1] = 0xa9;
        const subject = 'abcdefghijklmnopqrstuvwxyz0123456789';
        const expected = subject.slice(0, k) + 'é' + subject.slice(k + 2);
        expect(outcome(at(bytes, offset)), `offset ${offset}, byte ${k}`).toBe(`ok ${expected} a84b4c76e66710@pc33.example.com`);
      }
    }
  });

  it('lets other control characters through where the grammar does not look, and refuses them where it does', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (const c of [0x00, 0x01, 0x0b, 0x0c, 0x0e, 0x1f, 0x7f]) {
        const bytes = Buffer.from(MESSAGE);
        bytes[SUBJECT_AT + 5] = c;
        expect(outcome(at(bytes, offset))).toMatch(/^ok /);
      }
    }
  });

  it('finds a space or a control character anywhere in the Call-ID, against every alignment', () => {
    const callIdAt = MESSAGE.indexOf('a84b4c');
    const callId = 'a84b4c76e66710@pc33.example.com';
    for (let offset = 0; offset < 4; offset++) {
      for (let k = 0; k < callId.length; k++) {
        for (const c of [0x00, 0x01, 0x0b, 0x1f, 0x20, 0x7f]) {
          // A space at either end is whitespace around the value, not in it.
          if (c === 0x20 && (k === 0 || k === callId.length - 1)) continue;
          const bytes = Buffer.from(MESSAGE);
          bytes[callIdAt + k] = c;
          expect(outcome(at(bytes, offset)), `offset ${offset}, byte ${k}, code ${c}`).toBe('400 Bad Call-ID');
        }
        for (const c of [0x21, 0x7e]) {
          const bytes = Buffer.from(MESSAGE);
          bytes[callIdAt + k] = c;
          const expected = callId.slice(0, k) + String.fromCharCode(c) + callId.slice(k + 1);
          expect(outcome(at(bytes, offset)), `offset ${offset}, byte ${k}, code ${c}`).toBe(`ok abcdefghijklmnopqrstuvwxyz0123456789 ${expected}`);
        }
        // Outside ASCII is let through (UTF-8, as phones send it).
        const bytes = Buffer.from(MESSAGE.replace(callId, callId.slice(0, k) + 'é' + callId.slice(k + 1)));
        expect(outcome(at(bytes, offset))).toBe(`ok abcdefghijklmnopqrstuvwxyz0123456789 ${callId.slice(0, k)}é${callId.slice(k + 1)}`);
      }
    }
  });

  it('scans a message larger than a datagram the same way, at every alignment', () => {
    const big = 'x'.repeat(70_000);
    const message = MESSAGE.replace('Subject: abcdefghijklmnopqrstuvwxyz0123456789', `Subject: ${big}`);
    for (let offset = 0; offset < 4; offset++) {
      expect(outcome(at(Buffer.from(message), offset))).toBe(`ok ${big} a84b4c76e66710@pc33.example.com`);
      for (const k of [0, 1, 2, 3, 65_535, 65_536, 69_999]) {
        const bytes = Buffer.from(message);
        bytes[message.indexOf('Subject: ') + 9 + k] = 0x0a;
        expect(outcome(at(bytes, offset)), `offset ${offset}, byte ${k}`).toBe('400 Bad line ending');
      }
    }
  });

  it('reports a message cut anywhere as incomplete, at every alignment', () => {
    const bytes = Buffer.from(MESSAGE);
    for (let offset = 0; offset < 4; offset++) {
      for (let end = MESSAGE.indexOf('\r\n') + 2; end < bytes.length - 1; end++) {
        expect(outcome(at(bytes.subarray(0, end), offset)), `cut at ${end}`).toBe('400 Incomplete message');
      }
    }
  });
});
