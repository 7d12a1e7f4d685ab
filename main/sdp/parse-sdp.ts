/**
 * Reads SDP text into a SessionDescription (RFC 8866 §5, §9 grammar), liberal where real peers
 * are sloppy and strict where a mistake would break the call:
 *
 * - lines end in CRLF or a bare LF (RFC 8866 §5 asks for CRLF but lets parsers accept LF);
 * - v=0 must come first and o= second; a missing s= or t= is tolerated;
 * - every active stream needs a connection address, at session or media level (§5.7);
 * - a port outside 0..65535 and a type letter SDP does not define are errors (§5: a parser
 *   must ignore a description whose type letter it does not understand, i.e. refuse it);
 * - an unknown transport protocol is NOT an error: the answer rejects that stream (RFC 3264 §6);
 * - an attribute we cannot read (a bad a=rtpmap, a=crypto…) is kept verbatim as an unknown one:
 *   RFC 8866 §5.13 tells us to ignore attributes we do not understand.
 *
 * Errors never quote a line (a=crypto lines hold keys).
 */
import { parseCryptoAttribute } from './crypto-attribute.ts';
import { SdpError } from './sdp-error.ts';
import type { AddressType, Attribute, Connection, Direction, MediaDescription, Origin, SessionDescription } from './session-description.ts';

const DIRECTION_NAMES = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const DIGITS = /^\d+$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

function malformed(reason: string, line?: number): SdpError {
  return new SdpError('malformed', reason, line);
}

function fields(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/[ \t]+/);
}

function parseAddressType(text: string, what: string, line: number): AddressType {
  const upper = text.toUpperCase();
  if (upper !== 'IP4' && upper !== 'IP6') throw malformed(`unsupported address type in ${what} (only IP4 and IP6)`, line);
  return upper;
}

function parseNetType(text: string, what: string, line: number): void {
  if (text.toUpperCase() !== 'IN') throw malformed(`unsupported network type in ${what} (only IN)`, line);
}

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (§5.2)
function parseOrigin(value: string, line: number): Origin {
  const f = fields(value);
  if (f.length !== 6) throw malformed('the o= line needs six fields: username, session id, version, IN, IP4/IP6 and address', line);
  if (!DIGITS.test(f[1])) throw malformed('the session id in o= is not a number', line);
  if (!DIGITS.test(f[2])) throw malformed('the session version in o= is not a number', line);
  parseNetType(f[3], 'o=', line);
  return { username: f[0], sessionId: f[1], sessionVersion: f[2], addressType: parseAddressType(f[4], 'o=', line), address: f[5] };
}

// c=<nettype> <addrtype> <connection-address> (§5.7)
function parseConnection(value: string, line: number): Connection {
  const f = fields(value);
  if (f.length !== 3) throw malformed('the c= line needs three fields: IN, IP4/IP6 and address', line);
  parseNetType(f[0], 'c=', line);
  return { addressType: parseAddressType(f[1], 'c=', line), address: f[2] };
}

function parsePort(text: string, line: number): number {
  if (!DIGITS.test(text)) throw malformed('bad port in m= line (not a number)', line);
  const port = Number(text);
  if (port > 65535) throw malformed('bad port in m= line (above 65535)', line);
  return port;
}

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... (§5.14)
function parseMediaLine(value: string, line: number): MediaDescription {
  const f = fields(value);
  if (f.length < 3) throw malformed('the m= line needs a media type, a port and a transport protocol', line);
  const [portText, countText] = f[1].split('/', 2);
  const port = parsePort(portText, line);
  const media: MediaDescription = {
    type: f[0],
    port,
    proto: f[2],
    formats: f.slice(3),
    bandwidths: [],
    rtpmaps: [],
    fmtps: [],
    rtcpMux: false,
    crypto: [],
    ssrcs: [],
    attributes: [],
  };
  if (countText !== undefined) {
    if (!DIGITS.test(countText) || Number(countText) === 0) throw malformed('bad number of ports in m= line', line);
    media.portCount = Number(countText);
  }
  if (media.formats.length === 0 && port !== 0) throw malformed('the m= line lists no media format', line);
  return media;
}

// b=<bwtype>:<bandwidth> (§5.8)
function parseBandwidth(value: string, line: number): { type: string; value: number } {
  const colon = value.indexOf(':');
  const number = value.slice(colon + 1).trim();
  if (colon <= 0 || !DIGITS.test(number)) throw malformed('bad b= line (expected <type>:<number>)', line);
  return { type: value.slice(0, colon), value: Number(number) };
}

// t=<start-time> <stop-time> (§5.9)
function parseTiming(value: string, line: number): { start: number; stop: number; repeats: string[] } {
  const f = fields(value);
  if (f.length !== 2 || !DIGITS.test(f[0]) || !DIGITS.test(f[1])) throw malformed('bad t= line (expected two numbers)', line);
  return { start: Number(f[0]), stop: Number(f[1]), repeats: [] };
}

function splitAttribute(value: string): Attribute {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
}

function positiveNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(?:\.\d+)?$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n > 0 ? n : undefined;
}

function payloadType(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const pt = Number(text);
  return pt <= 127 ? pt : undefined;
}

/** Lifts a media-level attribute into its field; false when it stays an unknown attribute. */
function applyMediaAttribute(media: MediaDescription, attribute: Attribute): boolean {
  const { name, value } = attribute;
  if (value === undefined) {
    if (DIRECTION_NAMES.has(name)) {
      media.direction = name as Direction;
      return true;
    }
    if (name === 'rtcp-mux') {
      media.rtcpMux = true;
      return true;
    }
    return false;
  }
  switch (name) {
    case 'rtpmap': {
      // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (§6.6)
      const m = /^(\d{1,3})[ \t]+([^ \t/]+)\/(\d+)(?:\/(\d+))?[ \t]*$/.exec(value);
      const pt = m === null ? undefined : payloadType(m[1]);
      if (m === null || pt === undefined || Number(m[3]) === 0) return false;
      media.rtpmaps.push({ payloadType: pt, encodingName: m[2], clockRate: Number(m[3]), ...(m[4] !== undefined ? { channels: Number(m[4]) } : {}) });
      return true;
    }
    case 'fmtp': {
      // a=fmtp:<format> <format specific parameters> (§6.15)
      const m = /^(\d{1,3})[ \t]+(.*)$/.exec(value);
      const pt = m === null ? undefined : payloadType(m[1]);
      if (m === null || pt === undefined) return false;
      media.fmtps.push({ payloadType: pt, parameters: m[2].trim() });
      return true;
    }
    case 'ptime':
    case 'maxptime': {
      const n = positiveNumber(value);
      if (n === undefined) return false;
      media[name] = n;
      return true;
    }
    case 'rtcp': {
      // a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1)
      const f = fields(value);
      if ((f.length !== 1 && f.length !== 4) || !DIGITS.test(f[0]) || Number(f[0]) > 65535) return false;
      if (f.length === 1) {
        media.rtcp = { port: Number(f[0]) };
        return true;
      }
      const type = f[2].toUpperCase();
      if (f[1].toUpperCase() !== 'IN' || (type !== 'IP4' && type !== 'IP6')) return false;
      media.rtcp = { port: Number(f[0]), connection: { addressType: type, address: f[3] } };
      return true;
    }
    case 'crypto': {
      const crypto = parseCryptoAttribute(value);
      if (crypto === undefined) return false;
      media.crypto.push(crypto);
      return true;
    }
    case 'ssrc': {
      // a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1)
      const m = /^(\d{1,10})[ \t]+([^:]+?)(?::(.*))?$/.exec(value);
      if (m === null || Number(m[1]) > 0xffffffff) return false;
      media.ssrcs.push({ id: Number(m[1]), attribute: m[2], ...(m[3] !== undefined ? { value: m[3] } : {}) });
      return true;
    }
    default:
      return false;
  }
}

/** Parses SDP text. Throws SdpError('malformed', reason in words) when it is not valid SDP. */
export function parseSdp(text: string): SessionDescription {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1].replace(/\r$/, '') === '') lines.pop();

  let origin: Origin | undefined;
  let sawVersion = false;
  const sd: Omit<SessionDescription, 'origin'> = { sessionName: '-', emails: [], phones: [], bandwidths: [], timing: [], attributes: [], media: [] };
  let media: MediaDescription | undefined;
  let sawSessionName = false;

  for (let index = 0; index < lines.length; index++) {
    const number = index + 1;
    const line = lines[index].endsWith('\r') ? lines[index].slice(0, -1) : lines[index];
    if (line.trim() === '') {
      // A blank line inside SDP is not allowed, but a trailing one is common: skip blank lines.
      continue;
    }
    if (line.length < 2 || line[1] !== '=') throw malformed('a line is not of the form <type>=<value>', number);
    const type = line[0];
    const value = line.slice(2);

    if (!sawVersion) {
      if (type !== 'v') throw malformed('the SDP does not start with v=', number);
      if (value.trim() !== '0') throw malformed('unsupported SDP version (only v=0)', number);
      sawVersion = true;
      continue;
    }
    if (origin === undefined) {
      if (type !== 'o') throw malformed('the o= line is missing (it must follow v=)', number);
      origin = parseOrigin(value, number);
      continue;
    }

    switch (type) {
      case 'v':
        throw malformed('a second v= line', number);
      case 'o':
        throw malformed('a second o= line', number);
      case 's':
        if (media !== undefined || sawSessionName) throw malformed('s= out of place', number);
        sd.sessionName = value;
        sawSessionName = true;
        break;
      case 'i':
        if (media !== undefined) media.information = value;
        else sd.information = value;
        break;
      case 'u':
        if (media !== undefined) throw malformed('u= inside a media description', number);
        sd.uri = value;
        break;
      case 'e':
        if (media !== undefined) throw malformed('e= inside a media description', number);
        sd.emails.push(value);
        break;
      case 'p':
        if (media !== undefined) throw malformed('p= inside a media description', number);
        sd.phones.push(value);
        break;
      case 'c':
        if (media !== undefined) media.connection = parseConnection(value, number);
        else sd.connection = parseConnection(value, number);
        break;
      case 'b':
        (media ?? sd).bandwidths.push(parseBandwidth(value, number));
        break;
      case 't':
        if (media !== undefined) throw malformed('t= inside a media description', number);
        sd.timing.push(parseTiming(value, number));
        break;
      case 'r': {
        const last = sd.timing[sd.timing.length - 1];
        if (media !== undefined || last === undefined) throw malformed('r= without a t= line before it', number);
        last.repeats.push(value);
        break;
      }
      case 'z':
        if (media !== undefined) throw malformed('z= inside a media description', number);
        sd.timeZones = value;
        break;
      case 'k':
        if (media !== undefined) media.key = value;
        else sd.key = value;
        break;
      case 'a': {
        const attribute = splitAttribute(value);
        if (attribute.name === '' || !TOKEN.test(attribute.name)) throw malformed('bad attribute name in a= line', number);
        if (media !== undefined) {
          if (!applyMediaAttribute(media, attribute)) media.attributes.push(attribute);
        } else if (attribute.value === undefined && DIRECTION_NAMES.has(attribute.name)) {
          sd.direction = attribute.name as Direction;
        } else {
          sd.attributes.push(attribute);
        }
        break;
      }
      case 'm':
        media = parseMediaLine(value, number);
        sd.media.push(media);
        break;
      default:
        throw malformed(`unknown line type "${type}="`, number);
    }
  }

  if (!sawVersion) throw malformed('the SDP is empty (no v= line)');
  if (origin === undefined) throw malformed('the o= line is missing');
  if (sd.timing.length === 0) sd.timing.push({ start: 0, stop: 0, repeats: [] });
  if (sd.connection === undefined) {
    // §5.7: a c= line in every media description, or one at session level.
    const without = sd.media.findIndex((m) => m.connection === undefined && m.port !== 0);
    if (without >= 0) throw malformed(`the c= line is missing (media description ${without + 1} has no connection address)`);
  }
  return { origin, ...sd };
}
