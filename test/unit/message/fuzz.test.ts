/**
 * Property-based fuzzing (fast-check): whatever arrives, the parser returns a message or
 * throws SipParseError, never anything else and never hangs; and serialize(parse(x))
 * parses to the same values. Seeds are fixed so a failure replays exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError, createErrorResponse, parseMessage } from '../../../main/sip/message/index.ts';
import type { SipMessage } from '../../../main/sip/message/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/sip');
const fixtures: Buffer[] = ['valid', 'invalid', 'examples'].flatMap((d) =>
  readdirSync(join(root, d)).filter((f) => f.endsWith('.sip')).sort().map((f) => readFileSync(join(root, d, f))),
);

/** Parse; a SipParseError is a fine answer, anything else fails the property. */
function tryParse(data: Uint8Array | string): SipMessage | undefined {
  try {
    return parseMessage(data);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    expect([400, 505]).toContain(e.status);
    expect(e.reason).toMatch(/^[ -~]+$/);
    // Answering the wreck must not throw either.
    const answer = createErrorResponse(data, e);
    if (answer !== undefined) {
      // Well-formed apart from the headers the wreck did not have to give.
      expect(Buffer.from(answer).toString('latin1').startsWith(`SIP/2.0 ${e.status} `)).toBe(true);
      try {
        expect(parseMessage(answer).kind).toBe('response');
      } catch (again) {
        expect((again as SipParseError).reason).toMatch(/^Missing (From|To|Call-ID|CSeq)$/);
      }
    }
    return undefined;
  }
}

/** Everything a layer above might read, as plain data (throws SipParseError when malformed). */
function snapshot(m: SipMessage): unknown {
  const read = <T>(f: () => T): T | string => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return `error: ${e.reason}`;
    }
  };
  return {
    start: m.kind === 'request' ? [m.method, m.uri, read(() => m.parsedUri())] : [m.status, m.reason],
    fields: m.fields.map((f) => [f.name, f.value]),
    vias: read(() => m.vias()),
    from: read(() => m.from()),
    to: read(() => m.to()),
    cseq: read(() => m.cseq()),
    callId: read(() => m.callId()),
    contacts: read(() => m.contacts()),
    routes: read(() => m.nameAddrs('Route')),
    recordRoutes: read(() => m.nameAddrs('Record-Route')),
    body: Buffer.from(m.body).toString('latin1'),
  };
}

function roundTrips(m: SipMessage): void {
  const before = snapshot(m);
  m.addHeader('X-Fuzz', '1');
  m.removeHeader('X-Fuzz'); // forces the rebuild path
  const again = parseMessage(m.toBytes());
  const after = snapshot(again) as { fields: string[][] };
  const expected = before as { fields: string[][] };
  // Content-Length is rewritten from the body; everything else must read the same.
  const noLength = (fs: string[][]): string[][] => fs.filter(([n]) => !/^(content-length|l)$/i.test(n));
  expect({ ...after, fields: noLength(after.fields) }).toEqual({ ...expected, fields: noLength(expected.fields) });
}

const SIPISH = ['\r\n', ' ', '\t', ':', ';', ',', '=', '"', '\\', '<', '>', '@', '%', '/', 'SIP/2.0', 'sip:', 'Via', 'v', 'CSeq',
  'Call-ID', 'From', 'To', 'Contact', 'Content-Length', 'tag', 'branch=z9hG4bK', 'INVITE', '200', '[', ']', '0', '4294967296', 'a'];

const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const host = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}$/),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const user = fc.stringMatching(/^[A-Za-z0-9_.!~*'()&=+$,;?/-]{1,12}$/);
const uri = fc.record({ scheme: fc.constantFrom('sip', 'sips'), user: fc.option(user), host, port: fc.option(fc.integer({ min: 1, max: 65535 })), lr: fc.boolean() })
  .map((u) => `${u.scheme}:${u.user === null ? '' : u.user + '@'}${u.host}${u.port === null ? '' : ':' + u.port}${u.lr ? ';lr' : ''}`);
const display = fc.option(fc.oneof(token, fc.string({ maxLength: 12 }).map((s) => JSON.stringify([...s].filter((ch) => ch >= ' ' && ch !== '\u007f').join('')))));
const nameAddr = fc.record({ display, uri, tag: fc.option(token) })
  .map((n) => `${n.display === null ? '' : n.display + ' '}<${n.uri}>${n.tag === null ? '' : ';tag=' + n.tag}`);
const via = fc.record({ transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS'), host, port: fc.option(fc.integer({ min: 1, max: 65535 })), branch: token, rport: fc.boolean() })
  .map((v) => `SIP/2.0/${v.transport} ${v.host}${v.port === null ? '' : ':' + v.port};branch=z9hG4bK${v.branch}${v.rport ? ';rport' : ''}`);
const method = fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'NOTIFY', 'MESSAGE');
const extra = fc.array(fc.tuple(fc.constantFrom('X-A', 'Subject', 'Route', 'Record-Route', 'Supported', 'User-Agent', 'Max-Forwards'),
  fc.oneof(nameAddr, token, fc.integer({ min: 0, max: 255 }).map(String))), { maxLength: 6 });

const structured = fc.record({
  request: fc.boolean(), method, ruri: uri, status: fc.integer({ min: 100, max: 699 }), vias: fc.array(via, { minLength: 1, maxLength: 4 }),
  from: nameAddr, to: nameAddr, callId: token, seq: fc.nat({ max: 0xffffffff }), contacts: fc.array(nameAddr, { maxLength: 3 }),
  extra, body: fc.string({ maxLength: 60 }), compact: fc.boolean(), withLength: fc.boolean(),
}).map((m) => {
  const n = (full: string, short: string): string => (m.compact ? short : full);
  const lines = [m.request ? `${m.method} ${m.ruri} SIP/2.0` : `SIP/2.0 ${m.status} Whatever`];
  for (const v of m.vias) lines.push(`${n('Via', 'v')}: ${v}`);
  lines.push(`${n('From', 'f')}: ${m.from}`, `${n('To', 't')}: ${m.to}`, `${n('Call-ID', 'i')}: ${m.callId}`, `CSeq: ${m.seq} ${m.method}`);
  if (m.contacts.length > 0) lines.push(`${n('Contact', 'm')}: ${m.contacts.join(', ')}`);
  for (const [k, v] of m.extra) lines.push(`${k}: ${v}`);
  if (m.withLength) lines.push(`${n('Content-Length', 'l')}: ${Buffer.byteLength(m.body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + m.body;
});

describe('fuzz: the parser only ever returns a message or throws SipParseError', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      tryParse(bytes);
    }), { seed: 4475, numRuns: 3000 });
  });

  it('random SIP-ish text', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...SIPISH), { maxLength: 120 }), (parts) => {
      const m = tryParse(parts.join(''));
      if (m) roundTrips(m);
    }), { seed: 3261, numRuns: 3000 });
  });

  it('structured messages parse and round-trip', () => {
    fc.assert(fc.property(structured, (text) => {
      const m = tryParse(Buffer.from(text));
      if (m) roundTrips(m);
    }), { seed: 17, numRuns: 1500 });
  });

  it('mutations of every fixture: byte flips, truncations, duplications, insertions', () => {
    const mutation = fc.record({
      which: fc.nat({ max: fixtures.length - 1 }),
      edits: fc.array(fc.record({
        kind: fc.constantFrom('flip', 'truncate', 'duplicate', 'insert', 'delete'),
        at: fc.nat(), len: fc.integer({ min: 1, max: 40 }), byte: fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 60, 62, 255, 0x41),
      }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(fc.property(mutation, ({ which, edits }) => {
      let b = Buffer.from(fixtures[which]);
      for (const e of edits) {
        const at = b.length === 0 ? 0 : e.at % b.length;
        if (e.kind === 'flip' && b.length > 0) b[at] = e.byte;
        else if (e.kind === 'truncate') b = b.subarray(0, at);
        else if (e.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at + e.len), b.subarray(at)]);
        else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
        else b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
      }
      const m = tryParse(b);
      if (m) roundTrips(m);
    }), { seed: 42, numRuns: 4000 });
  });

  it('stays linear on hostile repetition (no catastrophic backtracking)', () => {
    // Long runs of the characters scanners loop on; each parse must finish (no wall-clock
    // assertion: a super-linear scanner would simply make this test time out).
    const reps = 200_000;
    const bodies = [
      `INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h${';x'.repeat(reps)}\r\n\r\n`,
      `INVITE sip:a@b SIP/2.0\r\nTo: "${'\\"'.repeat(reps)}\r\n\r\n`,
      `INVITE sip:a@b SIP/2.0\r\nContact: ${'<sip:a@b>,'.repeat(reps / 10)}\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n`,
      `INVITE sip:a@b SIP/2.0\r\n${'X: y\r\n '.repeat(reps / 10)}\r\n\r\n`,
      `INVITE sip:a@b SIP/2.0\r\nRecord-Route: ${'<'.repeat(reps)}\r\n\r\n`,
      'SIP/2.0 200 ' + ' '.repeat(reps) + '\r\n\r\n',
      '\r\n'.repeat(reps),
    ];
    for (const text of bodies) {
      const m = tryParse(text);
      if (m) m.headers('Record-Route');
    }
  });
});
