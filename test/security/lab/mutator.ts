/**
 * A seeded mutation fuzzer for SIP messages: the same seed gives the same mutations, so a failure
 * replays exactly. It starts from real messages (the RFC 4475 torture cases and RFC 3261 examples
 * of test/fixtures/sip, and a call's INVITE with SDP) and breaks them the ways wire bugs and
 * attackers do: flipped bits and bytes, NUL / CR / LF / quotes dropped in, spans deleted or
 * repeated, header lines repeated by the hundred, numbers made huge or negative, lines cut in half,
 * and nasty lines in the body with a Content-Length that fits (so the SDP parser sees them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../helpers/udp-impairment-relay.ts';


const FIXTURES = join(import.meta.dirname, '../../fixtures/sip');

const INVITE = [
  'INVITE sip:alice@127.0.0.1:5070 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.66:5099;branch=z9hG4bK-fuzz;rport',
  'Max-Forwards: 70',
  'From: "Mallory" <sip:mallory@127.0.0.66>;tag=f1',
  'To: <sip:alice@127.0.0.1>',
  'Call-ID: fuzz-1@127.0.0.66',
  'CSeq: 1 INVITE',
  'Contact: <sip:mallory@127.0.0.66:5099>',
  'Supported: 100rel, timer',
  'Session-Expires: 1800',
  'Content-Type: application/sdp',
  'Content-Length: 160',
  '',
  'v=0\r\no=- 1 1 IN IP4 127.0.0.66\r\ns=-\r\nc=IN IP4 127.0.0.66\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n',
].join('\r\n');

/** The seed messages: fixtures of every folder, and a call's INVITE. */
export function seedMessages(): Buffer[] {
  const out: Buffer[] = [Buffer.from(INVITE, 'latin1')];
  for (const dir of ['valid', 'invalid', 'examples']) {
    for (const f of readdirSync(join(FIXTURES, dir)).filter((n) => n.endsWith('.sip')).sort()) out.push(readFileSync(join(FIXTURES, dir, f)));
  }
  return out;
}

const NASTY = ['\0', '\r', '\n', '\r\n', '\r\n\r\n', '"', '\\', '<', '>', ';', ',', ':', '@', '%00', '%', ' ', '\t', '\x7f', '\xff', '9999999999999999999', '-1', '0', ';tag=', ';branch=', ';maddr=198.51.100.7', 'sip:', 'Content-Length: 99999999\r\n'];

/** One mutation of `input` (a new buffer): one to four operations chosen by `random`. */
export function mutate(input: Buffer, random: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(random() * 4);
  const at = () => Math.floor(random() * (b.length + 1));
  for (let k = 0; k < n; k++) {
    switch (Math.floor(random() * 10)) {
      case 0: {
        // flip a bit
        if (b.length === 0) break;
        const i = Math.min(b.length - 1, at());
        b[i] ^= 1 << Math.floor(random() * 8);
        break;
      }
      case 1: {
        // a random byte
        if (b.length === 0) break;
        b[Math.min(b.length - 1, at())] = Math.floor(random() * 256);
        break;
      }
      case 2: {
        // insert something nasty
        const i = at();
        b = Buffer.concat([b.subarray(0, i), Buffer.from(NASTY[Math.floor(random() * NASTY.length)], 'latin1'), b.subarray(i)]);
        break;
      }
      case 3: {
        // delete a span
        const i = at();
        const len = Math.floor(random() * 64);
        b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + len))]);
        break;
      }
      case 4: {
        // repeat a span
        const i = at();
        const len = 1 + Math.floor(random() * 40);
        const span = b.subarray(i, i + len);
        const times = 1 + Math.floor(random() * 20);
        b = Buffer.concat([b.subarray(0, i), ...Array.from({ length: times }, () => span), b.subarray(i)]);
        break;
      }
      case 5: {
        // repeat one whole header line many times
        const text = b.toString('latin1');
        const lines = text.split('\r\n');
        const end = lines.indexOf('');
        if (end <= 1) break;
        const li = 1 + Math.floor(random() * (end - 1));
        const times = 1 + Math.floor(random() * 400);
        lines.splice(li, 0, ...Array.from({ length: times }, () => lines[li]));
        b = Buffer.from(lines.join('\r\n'), 'latin1');
        break;
      }
      case 6: {
        // a number made huge, negative or empty
        const text = b.toString('latin1');
        const matches = [...text.matchAll(/\d+/g)];
        if (matches.length === 0) break;
        const m = matches[Math.floor(random() * matches.length)];
        const replacement = ['', '-1', '4294967296', '99999999999999999999', '0', '00000000000000000000001'][Math.floor(random() * 6)];
        b = Buffer.from(text.slice(0, m.index) + replacement + text.slice(m.index! + m[0].length), 'latin1');
        break;
      }
      case 7: {
        // cut the message short
        b = b.subarray(0, at());
        break;
      }
      case 8: {
        // a nasty line in the body, Content-Length kept right (so the body parser sees it)
        const text = b.toString('latin1');
        const split = text.indexOf('\r\n\r\n');
        if (split < 0) break;
        const head = text.slice(0, split);
        const lines = text.slice(split + 4).split('\r\n');
        const nasty = NASTY[Math.floor(random() * NASTY.length)] + ['=x', '=', 'x', ''][Math.floor(random() * 4)];
        lines.splice(Math.floor(random() * (lines.length + 1)), 0, nasty);
        const body = lines.join('\r\n');
        b = Buffer.from(`${head.replace(/\r\n(Content-Length|l)[ \t]*:[^\r\n]*/i, '')}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`, 'latin1');
        break;
      }
      default: {
        // swap two lines
        const lines = b.toString('latin1').split('\r\n');
        if (lines.length < 2) break;
        const i = Math.floor(random() * lines.length);
        const j = Math.floor(random() * lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        b = Buffer.from(lines.join('\r\n'), 'latin1');
      }
    }
  }
  return b;
}

/**
 * `count` mutated messages from the seeds, deterministic for `seed`. A third start from the call's
 * INVITE (the request that reaches the most code: dialogs, SDP, the call itself), the rest from
 * the fixtures.
 */
export function* mutations(seed: number, count: number): Generator<Buffer> {
  const random = seededRandom(seed);
  const seeds = seedMessages();
  const invite = seeds[0].toString('latin1');
  for (let i = 0; i < count; i++) {
    // Each INVITE its own transaction and call (the same branch and Call-ID would be absorbed as
    // retransmissions of the first).
    const start = random() < 1 / 3 ? Buffer.from(invite.replace('z9hG4bK-fuzz', `z9hG4bK-fuzz${i}`).replace('fuzz-1@', `fuzz-${i}@`), 'latin1') : seeds[Math.floor(random() * seeds.length)];
    yield mutate(start, random);
  }
}
