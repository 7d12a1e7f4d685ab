import { readFileSync } from 'node:fs';
import { parseSdp } from '../../../main/sdp/index.ts';
import type { SessionDescription } from '../../../main/sdp/index.ts';

/** The text of `test/unit/sdp/fixtures/<name>.sdp`, line endings as stored. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}.sdp`, import.meta.url), 'utf8');
}

export function parsedFixture(name: string): SessionDescription {
  return parseSdp(fixture(name));
}

export const FIXTURES = [
  'baresip-offer',
  'baresip-srtp-mandatory-offer',
  'linphone-offer',
  'asterisk-answer',
  'asterisk-srtp-offer',
  'kamailio-relayed-offer',
  'ipv6-offer',
  'ipv6-offer-lf',
  'rfc2543-hold-offer',
  'webrtc-offer',
  'audio-video-offer',
] as const;

/** SDP text from lines, CRLF-terminated. */
export function sdp(...lines: string[]): string {
  return lines.map((l) => l + '\r\n').join('');
}

/** A minimal valid SDP with one audio m-line, with `extra` lines appended to the media section. */
export function audioSdp(options: { address?: string; port?: number; proto?: string; formats?: string; session?: string[]; media?: string[] } = {}): string {
  const address = options.address ?? '192.0.2.1';
  const type = address.includes(':') ? 'IP6' : 'IP4';
  return sdp(
    'v=0',
    `o=- 1 1 IN ${type} ${address}`,
    's=-',
    `c=IN ${type} ${address}`,
    't=0 0',
    ...(options.session ?? []),
    `m=audio ${options.port ?? 5004} ${options.proto ?? 'RTP/AVP'} ${options.formats ?? '0 8 101'}`,
    ...(options.media ?? ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16']),
  );
}
