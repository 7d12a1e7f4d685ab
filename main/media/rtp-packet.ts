/**
 * RTP fixed header (RFC 3550 §5.1): pure encode and decode over bytes.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    |                           timestamp                           |
 *    |           synchronization source (SSRC) identifier            |
 *    |            contributing source (CSRC) identifiers  ...        |
 */

import { AppelError } from '../contract/errors.ts';
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit media timestamp (unsigned). */
  timestamp: number;
  /** 32-bit synchronization source (unsigned). */
  ssrc: number;
  /** Contributing sources (mixers only); empty for a plain sender. */
  csrcs: number[];
  /** Payload bytes with any padding removed; a view into the decoded buffer. */
  payload: Uint8Array;
}

/** Why a datagram is not an RTP packet; the receiver drops it and counts the reason. */
/** Bytes that are not a valid packet or file (AppelError 'malformed'). */
export class RtpFormatError extends AppelError {
  override readonly name = 'RtpFormatError';
  constructor(message: string) {
    super('malformed', message);
  }
}

const HEADER_BYTES = 12;

const newBytes = (n: number): Uint8Array => new Uint8Array(n);

/** A 32-bit unsigned big-endian field at `at`. */
function getUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function putUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

export const RtpPacket = {
  /**
   * Serializes a packet (no padding, no header extension) into `allocate(n)`'s zeroed bytes: a
   * new array by default; the audio sender, whose packets live only until sent, takes them
   * from the media slab (typed-slab.ts).
   */
  encode(packet: RtpPacket, allocate: (n: number) => Uint8Array = newBytes): Uint8Array {
    const cc = packet.csrcs.length;
    const out = allocate(HEADER_BYTES + cc * 4 + packet.payload.length);
    // Byte by byte, big-endian (network order): one packet a frame needs no DataView of its own.
    out[0] = 0x80 | cc;
    out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
    out[2] = (packet.sequenceNumber >>> 8) & 0xff;
    out[3] = packet.sequenceNumber & 0xff;
    putUint32(out, 4, packet.timestamp);
    putUint32(out, 8, packet.ssrc);
    for (let i = 0; i < cc; i++) putUint32(out, HEADER_BYTES + i * 4, packet.csrcs[i]);
    out.set(packet.payload, HEADER_BYTES + cc * 4);
    return out;
  },

  /**
   * Parses one datagram. Header extensions (X, §5.3.1) are skipped, padding (P) removed.
   * Throws RtpFormatError when the version is not 2 or a length field overruns the datagram.
   */
  decode(bytes: Uint8Array): RtpPacket {
    if (bytes.length < HEADER_BYTES) throw new RtpFormatError(`RTP packet too short (${bytes.length} bytes)`);
    const version = bytes[0] >> 6;
    if (version !== 2) throw new RtpFormatError(`RTP version ${version}, expected 2`);
    const padding = (bytes[0] & 0x20) !== 0;
    const extension = (bytes[0] & 0x10) !== 0;
    const cc = bytes[0] & 0x0f;
    let offset = HEADER_BYTES + cc * 4;
    if (offset > bytes.length) throw new RtpFormatError(`RTP CSRC count ${cc} overruns the packet`);
    const csrcs: number[] = [];
    for (let i = 0; i < cc; i++) csrcs.push(getUint32(bytes, HEADER_BYTES + i * 4));
    if (extension) {
      // §5.3.1: 16-bit profile-defined field, then the length in 32-bit words.
      if (offset + 4 > bytes.length) throw new RtpFormatError('RTP header extension overruns the packet');
      const words = (bytes[offset + 2] << 8) | bytes[offset + 3];
      offset += 4 + words * 4;
      if (offset > bytes.length) throw new RtpFormatError('RTP header extension overruns the packet');
    }
    let end = bytes.length;
    if (padding) {
      // §5.1: the last octet counts the padding octets, itself included.
      const count = bytes[bytes.length - 1];
      if (count === 0 || end - count < offset) throw new RtpFormatError(`RTP padding count ${count} is invalid`);
      end -= count;
    }
    return {
      payloadType: bytes[1] & 0x7f,
      marker: (bytes[1] & 0x80) !== 0,
      sequenceNumber: (bytes[2] << 8) | bytes[3],
      timestamp: getUint32(bytes, 4),
      ssrc: getUint32(bytes, 8),
      csrcs,
      payload: bytes.subarray(offset, end),
    };
  },
} as const;
