/**
 * STUN (RFC 5389): pure encode and decode of the Binding transaction a softphone needs to learn
 * the public address of its RTP socket behind a NAT. No sockets here (media-engine.ts sends).
 *
 * Header (§6), then attributes, each padded to 4 bytes (§15):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |0 0|     STUN Message Type     |         Message Length        |
 *    |                   Magic Cookie (0x2112A442)                   |
 *    |                  Transaction ID (96 bits) ...                 |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The message type interleaves the method's 12 bits with the class's two (C1 at bit 8, C0 at
 * bit 4). A Binding success answer carries XOR-MAPPED-ADDRESS (§15.2), or from an RFC 3489
 * server MAPPED-ADDRESS (§15.1); an error answer carries ERROR-CODE (§15.6). FINGERPRINT (§15.5)
 * is written on every request and checked on every message that has one.
 */

import { AppelError } from '../contract/errors.ts';

/** RFC 5389 §9: the default port of STUN over UDP (written once, in the contract's STUN address reader). */
export { STUN_DEFAULT_PORT } from '../contract/stun-server.ts';
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** §18.1: the Binding method. */
export const STUN_BINDING = 0x001;

export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** Attribute types this codec knows (§18.2), and RFC 3489's that old servers still send. */
export const StunAttributeType = {
  MAPPED_ADDRESS: 0x0001,
  RESPONSE_ADDRESS: 0x0002,
  CHANGE_REQUEST: 0x0003,
  SOURCE_ADDRESS: 0x0004,
  CHANGED_ADDRESS: 0x0005,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REFLECTED_FROM: 0x000b,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_MAPPED_ADDRESS: 0x0020,
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
} as const;

const KNOWN_REQUIRED: ReadonlySet<number> = new Set(
  Object.values(StunAttributeType).filter((t) => t < 0x8000),
);

export interface StunAttribute {
  type: number;
  /** The value without its padding; a view into the decoded buffer. */
  value: Uint8Array;
}

export interface StunMessage {
  method: number;
  class: StunClass;
  /** 12 bytes. */
  transactionId: Uint8Array;
  /** In wire order, FINGERPRINT left out (`fingerprint` says whether it was there and right). */
  attributes: StunAttribute[];
  fingerprint: boolean;
}

export interface StunAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/** What a Binding answer says. */
export type StunBindingResult =
  | { kind: 'success'; mapped: StunAddress; /** False: from MAPPED-ADDRESS (an RFC 3489 server). */ xor: boolean; software?: string }
  | { kind: 'error'; code: number; reason: string; /** The answer in words. */ message: string };

/** Why bytes are not a (usable) STUN message. */
/** Bytes that are not a valid packet or file (AppelError 'malformed'). */
export class StunFormatError extends AppelError {
  override readonly name = 'StunFormatError';
  constructor(message: string) {
    super('malformed', message);
  }
}

const HEADER_BYTES = 20;
/** §15.5: the CRC-32 is XORed with "STUN". */
const FINGERPRINT_XOR = 0x5354554e;

/** §15.6 reason phrases, for an error answer that gives none. */
const ERROR_WORDS: Record<number, string> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthorized',
  420: 'Unknown Attribute',
  438: 'Stale Nonce',
  500: 'Server Error',
};

const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

let crcTable: Uint32Array | undefined;

/** CRC-32 of ISO/IEC 13239 (the one zlib and Ethernet use), as §15.5 asks. */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function typeOf(method: number, cls: StunClass): number {
  // §6: M11..M7 at bits 13..9, M6..M4 at bits 7..5, M3..M0 at bits 3..0.
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | CLASS_BITS[cls];
}

function classOf(type: number): StunClass {
  switch (type & 0x110) {
    case 0x000:
      return 'request';
    case 0x010:
      return 'indication';
    case 0x100:
      return 'success';
    default:
      return 'error';
  }
}

function methodOf(type: number): number {
  return ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1) | (type & 0x000f);
}

function hex(n: number, width = 4): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

// ---- addresses ----------------------------------------------------------------------------------

/** RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest run of zero groups as ::. */
function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return text(groups);
  return `${text(groups.slice(0, best))}::${text(groups.slice(best + bestLen))}`;
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIPv6(text: string): number[] | undefined {
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // An IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const read = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = read(halves[0]);
  const rest = halves.length === 2 ? read(halves[1]) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** §15.1 / §15.2: family, port and address, XORed with the cookie (and transaction id) or not. */
function decodeAddress(value: Uint8Array, transactionId: Uint8Array, xor: boolean, name: string): StunAddress {
  if (value.length < 4) throw new StunFormatError(`${name} is ${value.length} bytes, too short for an address`);
  const family = value[1];
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let port = view.getUint16(2);
  if (xor) port ^= STUN_MAGIC_COOKIE >>> 16;
  if (family === 0x01) {
    if (value.length !== 8) throw new StunFormatError(`${name} (IPv4) is ${value.length} bytes, not 8`);
    const a = value.slice(4, 8);
    if (xor) for (let i = 0; i < 4; i++) a[i] ^= (STUN_MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff;
    return { family: 4, address: Array.from(a).join('.'), port };
  }
  if (family === 0x02) {
    if (value.length !== 20) throw new StunFormatError(`${name} (IPv6) is ${value.length} bytes, not 20`);
    const a = value.slice(4, 20);
    if (xor) {
      const mask = new Uint8Array(16);
      new DataView(mask.buffer).setUint32(0, STUN_MAGIC_COOKIE);
      mask.set(transactionId, 4);
      for (let i = 0; i < 16; i++) a[i] ^= mask[i];
    }
    return { family: 6, address: formatIPv6(a), port };
  }
  throw new StunFormatError(`${name} has address family ${hex(family, 2)}, neither IPv4 (0x01) nor IPv6 (0x02)`);
}

function encodeAddress(address: StunAddress, transactionId: Uint8Array, xor: boolean): Uint8Array {
  const bytes = address.family === 4 ? parseIPv4(address.address) : parseIPv6(address.address);
  if (!bytes) throw new TypeError(`address: ${JSON.stringify(address.address)} is not an IPv${address.family} address`);
  const out = new Uint8Array(4 + bytes.length);
  const view = new DataView(out.buffer);
  out[1] = address.family === 4 ? 0x01 : 0x02;
  view.setUint16(2, xor ? address.port ^ (STUN_MAGIC_COOKIE >>> 16) : address.port);
  out.set(bytes, 4);
  if (xor) {
    const mask = new Uint8Array(16);
    new DataView(mask.buffer).setUint32(0, STUN_MAGIC_COOKIE);
    mask.set(transactionId, 4);
    for (let i = 0; i < bytes.length; i++) out[4 + i] ^= mask[i];
  }
  return out;
}

// ---- the codec ----------------------------------------------------------------------------------

export const Stun = {
  /**
   * RFC 7983 §7: on a socket shared with RTP/RTCP (first byte 128–191), a datagram whose first
   * byte is 0–3 is STUN.
   */
  isStun(packet: Uint8Array): boolean {
    return packet.length > 0 && packet[0] <= 3;
  },

  /**
   * Whether the §6 header holds (leading zero bits, magic cookie, a length that is a multiple
   * of 4 and fills the datagram): a cheap check before the attributes are read.
   */
  hasHeader(packet: Uint8Array): boolean {
    if (packet.length < HEADER_BYTES || (packet[0] & 0xc0) !== 0) return false;
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const length = view.getUint16(2);
    return view.getUint32(4) === STUN_MAGIC_COOKIE && length % 4 === 0 && HEADER_BYTES + length === packet.length;
  },

  /** 96 random bits (§6: uniformly and randomly chosen). */
  newTransactionId(random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b)): Uint8Array {
    return random(new Uint8Array(12));
  },

  /** Serializes a message; FINGERPRINT (§15.5) is appended last when `fingerprint` is true. */
  encode(message: { method: number; class: StunClass; transactionId: Uint8Array; attributes?: StunAttribute[]; fingerprint?: boolean }): Uint8Array {
    if (message.transactionId.length !== 12) throw new TypeError(`transactionId: 12 bytes, not ${message.transactionId.length}`);
    const attributes = message.attributes ?? [];
    let length = attributes.reduce((n, a) => n + 4 + ((a.value.length + 3) & ~3), 0);
    if (message.fingerprint) length += 8;
    const out = new Uint8Array(HEADER_BYTES + length);
    const view = new DataView(out.buffer);
    view.setUint16(0, typeOf(message.method, message.class));
    view.setUint16(2, length);
    view.setUint32(4, STUN_MAGIC_COOKIE);
    out.set(message.transactionId, 8);
    let at = HEADER_BYTES;
    for (const a of attributes) {
      view.setUint16(at, a.type);
      view.setUint16(at + 2, a.value.length);
      out.set(a.value, at + 4);
      at += 4 + ((a.value.length + 3) & ~3);
    }
    if (message.fingerprint) {
      view.setUint16(at, StunAttributeType.FINGERPRINT);
      view.setUint16(at + 2, 4);
      view.setUint32(at + 4, (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
    }
    return out;
  },

  /**
   * Parses one datagram: the §6 header (leading zero bits, magic cookie, a length that is a
   * multiple of 4 and fills the datagram), every attribute inside it, and FINGERPRINT when
   * present (it must be last and match, §15.5). Throws StunFormatError saying what is wrong.
   */
  decode(bytes: Uint8Array): StunMessage {
    if (bytes.length < HEADER_BYTES) throw new StunFormatError(`STUN message too short (${bytes.length} bytes, the header alone is 20)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = view.getUint16(0);
    if (type & 0xc000) throw new StunFormatError(`not a STUN message: the first two bits are not zero (first byte ${hex(bytes[0], 2)})`);
    const cookie = view.getUint32(4);
    if (cookie !== STUN_MAGIC_COOKIE) throw new StunFormatError(`not an RFC 5389 STUN message: magic cookie ${hex(cookie, 8)}, expected 0x2112a442`);
    const length = view.getUint16(2);
    if (length % 4 !== 0) throw new StunFormatError(`STUN message length ${length} is not a multiple of 4`);
    if (HEADER_BYTES + length !== bytes.length) throw new StunFormatError(`STUN message length ${length} does not match the ${bytes.length - HEADER_BYTES} bytes after the header`);
    const transactionId = bytes.slice(8, 20);
    const attributes: StunAttribute[] = [];
    let fingerprint = false;
    let at = HEADER_BYTES;
    while (at < bytes.length) {
      if (fingerprint) throw new StunFormatError('STUN FINGERPRINT is not the last attribute');
      if (at + 4 > bytes.length) throw new StunFormatError(`STUN attribute header at byte ${at} overruns the message`);
      const attrType = view.getUint16(at);
      const attrLength = view.getUint16(at + 2);
      const end = at + 4 + attrLength;
      if (end > bytes.length) throw new StunFormatError(`STUN attribute ${hex(attrType)} of ${attrLength} bytes overruns the message`);
      if (attrType === StunAttributeType.FINGERPRINT) {
        if (attrLength !== 4) throw new StunFormatError(`STUN FINGERPRINT is ${attrLength} bytes, not 4`);
        const expected = (crc32(bytes.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
        const got = view.getUint32(at + 4);
        if (got !== expected) throw new StunFormatError(`STUN FINGERPRINT ${hex(got, 8)} does not match the message (${hex(expected, 8)}): damaged, or not STUN`);
        fingerprint = true;
      } else {
        attributes.push({ type: attrType, value: bytes.subarray(at + 4, end) });
      }
      at = at + 4 + ((attrLength + 3) & ~3);
    }
    if (at !== bytes.length) throw new StunFormatError('STUN attribute padding overruns the message');
    return { method: methodOf(type), class: classOf(type), transactionId, attributes, fingerprint };
  },

  /** A Binding request (§7.1): SOFTWARE when given (§15.10), FINGERPRINT always. */
  bindingRequest(options: { transactionId: Uint8Array; software?: string }): Uint8Array {
    const attributes: StunAttribute[] = options.software ? [{ type: StunAttributeType.SOFTWARE, value: new TextEncoder().encode(options.software) }] : [];
    return Stun.encode({ method: STUN_BINDING, class: 'request', transactionId: options.transactionId, attributes, fingerprint: true });
  },

  /**
   * A Binding success answer carrying `mapped` as XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS with
   * `xor: false`), or an error answer with ERROR-CODE: what a server (a test's) sends.
   */
  bindingResponse(options: { transactionId: Uint8Array; mapped?: StunAddress; xor?: boolean; error?: { code: number; reason: string }; software?: string; fingerprint?: boolean }): Uint8Array {
    const attributes: StunAttribute[] = [];
    if (options.software) attributes.push({ type: StunAttributeType.SOFTWARE, value: new TextEncoder().encode(options.software) });
    if (options.error) {
      const reason = new TextEncoder().encode(options.error.reason);
      const value = new Uint8Array(4 + reason.length);
      value[2] = Math.floor(options.error.code / 100) & 0x07;
      value[3] = options.error.code % 100;
      value.set(reason, 4);
      attributes.push({ type: StunAttributeType.ERROR_CODE, value });
    } else if (options.mapped) {
      const xor = options.xor ?? true;
      attributes.push({ type: xor ? StunAttributeType.XOR_MAPPED_ADDRESS : StunAttributeType.MAPPED_ADDRESS, value: encodeAddress(options.mapped, options.transactionId, xor) });
    }
    return Stun.encode({
      method: STUN_BINDING,
      class: options.error ? 'error' : 'success',
      transactionId: options.transactionId,
      attributes,
      fingerprint: options.fingerprint ?? true,
    });
  },

  /**
   * Reads a Binding answer (§7.3.3, §7.3.4): the mapped address (XOR-MAPPED-ADDRESS first,
   * MAPPED-ADDRESS as the fallback) or the error in words. Throws StunFormatError for what
   * cannot be used: not a Binding answer, an unknown comprehension-required attribute, a
   * success without an address.
   */
  readBindingResponse(message: StunMessage): StunBindingResult {
    if (message.method !== STUN_BINDING) throw new StunFormatError(`STUN method ${hex(message.method, 3)} is not Binding`);
    if (message.class !== 'success' && message.class !== 'error') throw new StunFormatError(`a STUN ${message.class} is not an answer`);
    let xorMapped: Uint8Array | undefined;
    let mapped: Uint8Array | undefined;
    let errorCode: Uint8Array | undefined;
    let software: string | undefined;
    const unknown: number[] = [];
    for (const a of message.attributes) {
      if (a.type === StunAttributeType.MESSAGE_INTEGRITY) break; // §15.4: what follows is not covered (FINGERPRINT aside)
      if (a.type === StunAttributeType.XOR_MAPPED_ADDRESS) xorMapped ??= a.value;
      else if (a.type === StunAttributeType.MAPPED_ADDRESS) mapped ??= a.value;
      else if (a.type === StunAttributeType.ERROR_CODE) errorCode ??= a.value;
      else if (a.type === StunAttributeType.SOFTWARE) software ??= new TextDecoder().decode(a.value);
      else if (a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type)) unknown.push(a.type);
    }
    if (unknown.length > 0) {
      throw new StunFormatError(`the STUN answer has comprehension-required attributes we do not know (${unknown.map((t) => hex(t)).join(', ')})`);
    }
    if (message.class === 'error') {
      if (!errorCode || errorCode.length < 4) throw new StunFormatError('a STUN error answer without a (complete) ERROR-CODE');
      const cls = errorCode[2] & 0x07;
      const number = errorCode[3];
      const code = cls * 100 + number;
      if (cls < 3 || cls > 6 || number > 99) throw new StunFormatError(`STUN ERROR-CODE ${cls}/${number} is out of range (300-699)`);
      const phrase = new TextDecoder().decode(errorCode.subarray(4)).trim();
      const reason = phrase || ERROR_WORDS[code] || 'no reason given';
      return { kind: 'error', code, reason, message: `the STUN server refused the Binding request: ${code} ${reason}` };
    }
    const withSoftware = software !== undefined ? { software } : {};
    if (xorMapped) return { kind: 'success', mapped: decodeAddress(xorMapped, message.transactionId, true, 'XOR-MAPPED-ADDRESS'), xor: true, ...withSoftware };
    if (mapped) return { kind: 'success', mapped: decodeAddress(mapped, message.transactionId, false, 'MAPPED-ADDRESS'), xor: false, ...withSoftware };
    throw new StunFormatError('the STUN Binding answer has neither XOR-MAPPED-ADDRESS nor MAPPED-ADDRESS');
  },

  /** Whether two transaction ids are the same. */
  sameTransaction(a: Uint8Array, b: Uint8Array): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  },
} as const;
