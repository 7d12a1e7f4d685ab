/**
 * RTCP packets (RFC 3550 §6.4–6.6): SR, RR, SDES, BYE, and compound packets (§6.1).
 * Pure encode/decode over bytes; anything else (APP, RTPFB, XR…) is kept as raw bytes.
 */

/** One reception report block (§6.4.1). */
import { AppelError } from '../contract/errors.ts';
export interface ReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, 8-bit fixed point (0..255 = 0..255/256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units (§6.4.1, A.8). */
  jitter: number;
  /** LSR: middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lastSr: number;
  /** DLSR: delay since that SR in units of 1/65536 s, 0 if none. */
  delaySinceLastSr: number;
}

/** A 64-bit NTP timestamp (§4): seconds since 1900 and a binary fraction, both unsigned 32-bit. */
export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntp: NtpTimestamp;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface SdesChunk {
  ssrc: number;
  /** Items by SDES type number (1 = CNAME, 2 = NAME, … §6.5). */
  items: Map<number, string>;
}

export interface SourceDescription {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Goodbye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

export interface OtherRtcp {
  type: 'other';
  packetType: number;
  /** The whole packet, header included. */
  bytes: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | OtherRtcp;

/** Bytes that are not a valid packet or file (AppelError 'malformed'). */
export class RtcpFormatError extends AppelError {
  override readonly name = 'RtcpFormatError';
  constructor(message: string) {
    super('malformed', message);
  }
}

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const SDES_CNAME = 1;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function writeBlock(view: DataView, at: number, b: ReportBlock): void {
  view.setUint32(at, b.ssrc >>> 0);
  view.setUint8(at + 4, Math.max(0, Math.min(255, b.fractionLost)));
  // Signed 24-bit, clamped (§6.4.1: "clamped at 0x7fffff / 0x800000").
  const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)) & 0xffffff;
  view.setUint8(at + 5, lost >> 16);
  view.setUint16(at + 6, lost & 0xffff);
  view.setUint32(at + 8, b.extendedHighestSequence >>> 0);
  view.setUint32(at + 12, b.jitter >>> 0);
  view.setUint32(at + 16, b.lastSr >>> 0);
  view.setUint32(at + 20, b.delaySinceLastSr >>> 0);
}

function readBlock(view: DataView, at: number): ReportBlock {
  const raw = (view.getUint8(at + 5) << 16) | view.getUint16(at + 6);
  return {
    ssrc: view.getUint32(at),
    fractionLost: view.getUint8(at + 4),
    cumulativeLost: raw & 0x800000 ? raw - 0x1000000 : raw,
    extendedHighestSequence: view.getUint32(at + 8),
    jitter: view.getUint32(at + 12),
    lastSr: view.getUint32(at + 16),
    delaySinceLastSr: view.getUint32(at + 20),
  };
}

/** Writes the common header (§6.4.1): V=2, no padding, count, PT, length in words minus one. */
function header(view: DataView, count: number, packetType: number, totalBytes: number): void {
  view.setUint8(0, 0x80 | (count & 0x1f));
  view.setUint8(1, packetType);
  view.setUint16(2, totalBytes / 4 - 1);
}

function encodeOne(packet: RtcpPacket): Uint8Array {
  switch (packet.type) {
    case 'sr': {
      if (packet.reports.length > 31) throw new RangeError('at most 31 report blocks per SR');
      const out = new Uint8Array(28 + 24 * packet.reports.length);
      const view = new DataView(out.buffer);
      header(view, packet.reports.length, RTCP_SR, out.length);
      view.setUint32(4, packet.ssrc >>> 0);
      view.setUint32(8, packet.ntp.seconds >>> 0);
      view.setUint32(12, packet.ntp.fraction >>> 0);
      view.setUint32(16, packet.rtpTimestamp >>> 0);
      view.setUint32(20, packet.packetCount >>> 0);
      view.setUint32(24, packet.octetCount >>> 0);
      packet.reports.forEach((b, i) => writeBlock(view, 28 + 24 * i, b));
      return out;
    }
    case 'rr': {
      if (packet.reports.length > 31) throw new RangeError('at most 31 report blocks per RR');
      const out = new Uint8Array(8 + 24 * packet.reports.length);
      const view = new DataView(out.buffer);
      header(view, packet.reports.length, RTCP_RR, out.length);
      view.setUint32(4, packet.ssrc >>> 0);
      packet.reports.forEach((b, i) => writeBlock(view, 8 + 24 * i, b));
      return out;
    }
    case 'sdes': {
      // §6.5: each chunk is an SSRC, items (type, length, text), a null item, padded to 32 bits.
      const chunks = packet.chunks.map((chunk) => {
        const items: Uint8Array[] = [];
        for (const [type, text] of chunk.items) {
          const bytes = utf8.encode(text).subarray(0, 255);
          items.push(Uint8Array.of(type, bytes.length), bytes);
        }
        const itemBytes = items.reduce((n, b) => n + b.length, 0);
        const size = 4 + Math.ceil((itemBytes + 1) / 4) * 4;
        const out = new Uint8Array(size);
        new DataView(out.buffer).setUint32(0, chunk.ssrc >>> 0);
        let at = 4;
        for (const b of items) {
          out.set(b, at);
          at += b.length;
        }
        return out;
      });
      const total = 4 + chunks.reduce((n, c) => n + c.length, 0);
      const out = new Uint8Array(total);
      header(new DataView(out.buffer), chunks.length, RTCP_SDES, total);
      let at = 4;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    }
    case 'bye': {
      // §6.6: SSRC list, then an optional length-prefixed reason, padded to 32 bits.
      const reason = packet.reason === undefined ? undefined : utf8.encode(packet.reason).subarray(0, 255);
      const reasonBytes = reason ? Math.ceil((reason.length + 1) / 4) * 4 : 0;
      const out = new Uint8Array(4 + 4 * packet.ssrcs.length + reasonBytes);
      const view = new DataView(out.buffer);
      header(view, packet.ssrcs.length, RTCP_BYE, out.length);
      packet.ssrcs.forEach((s, i) => view.setUint32(4 + 4 * i, s >>> 0));
      if (reason) {
        const at = 4 + 4 * packet.ssrcs.length;
        out[at] = reason.length;
        out.set(reason, at + 1);
      }
      return out;
    }
    case 'other':
      return packet.bytes;
  }
}

function decodeOne(bytes: Uint8Array, packetType: number, count: number): RtcpPacket {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => {
    if (bytes.length < n) throw new RtcpFormatError(`RTCP packet type ${packetType} too short for its count`);
  };
  switch (packetType) {
    case RTCP_SR: {
      need(28 + 24 * count);
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readBlock(view, 28 + 24 * i));
      return {
        type: 'sr',
        ssrc: view.getUint32(4),
        ntp: { seconds: view.getUint32(8), fraction: view.getUint32(12) },
        rtpTimestamp: view.getUint32(16),
        packetCount: view.getUint32(20),
        octetCount: view.getUint32(24),
        reports,
      };
    }
    case RTCP_RR: {
      need(8 + 24 * count);
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readBlock(view, 8 + 24 * i));
      return { type: 'rr', ssrc: view.getUint32(4), reports };
    }
    case RTCP_SDES: {
      const chunks: SdesChunk[] = [];
      let at = 4;
      for (let i = 0; i < count; i++) {
        need(at + 4);
        const chunk: SdesChunk = { ssrc: view.getUint32(at), items: new Map() };
        at += 4;
        for (;;) {
          need(at + 1);
          const type = bytes[at];
          if (type === 0) {
            at = (Math.floor(at / 4) + 1) * 4; // skip the null item and the padding
            break;
          }
          need(at + 2);
          const len = bytes[at + 1];
          need(at + 2 + len);
          chunk.items.set(type, fromUtf8.decode(bytes.subarray(at + 2, at + 2 + len)));
          at += 2 + len;
        }
        chunks.push(chunk);
      }
      return { type: 'sdes', chunks };
    }
    case RTCP_BYE: {
      need(4 + 4 * count);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(4 + 4 * i));
      const at = 4 + 4 * count;
      let reason: string | undefined;
      if (bytes.length > at && bytes[at] > 0) {
        need(at + 1 + bytes[at]);
        reason = fromUtf8.decode(bytes.subarray(at + 1, at + 1 + bytes[at]));
      }
      return reason === undefined ? { type: 'bye', ssrcs } : { type: 'bye', ssrcs, reason };
    }
    default:
      return { type: 'other', packetType, bytes };
  }
}

export const RtcpPacket = {
  /** Serializes packets back to back into one compound packet (§6.1). */
  encodeCompound(packets: RtcpPacket[]): Uint8Array {
    const parts = packets.map(encodeOne);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  },

  /**
   * Parses a compound packet with the validity checks of Appendix A.2: version 2 in every
   * packet, padding only in the last one, lengths that add up to the datagram, and the
   * first packet an SR or RR (RFC 5506 reduced-size packets are not accepted).
   */
  decodeCompound(bytes: Uint8Array): RtcpPacket[] {
    const packets: RtcpPacket[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (bytes.length - at < 4) throw new RtcpFormatError('truncated RTCP header');
      const first = bytes[at];
      if (first >> 6 !== 2) throw new RtcpFormatError(`RTCP version ${first >> 6}, expected 2`);
      const packetType = bytes[at + 1];
      const length = (((bytes[at + 2] << 8) | bytes[at + 3]) + 1) * 4;
      if (at + length > bytes.length) throw new RtcpFormatError('RTCP length overruns the datagram');
      let body = bytes.subarray(at, at + length);
      if (first & 0x20) {
        if (at + length !== bytes.length) throw new RtcpFormatError('RTCP padding before the last packet');
        const pad = body[body.length - 1];
        if (pad === 0 || pad > length - 4) throw new RtcpFormatError('RTCP padding count is invalid');
        body = body.subarray(0, length - pad);
      }
      if (packets.length === 0 && packetType !== RTCP_SR && packetType !== RTCP_RR) {
        throw new RtcpFormatError(`compound RTCP must start with SR or RR, got ${packetType}`);
      }
      packets.push(decodeOne(body, packetType, first & 0x1f));
      at += length;
    }
    if (packets.length === 0) throw new RtcpFormatError('empty RTCP packet');
    return packets;
  },

  /**
   * RTP/RTCP multiplexing on one port (RFC 5761 §4): a datagram whose second octet, read
   * as an RTP marker + payload type, has PT 64–95 (i.e. an RTCP packet type 192–223) is RTCP.
   */
  isRtcp(bytes: Uint8Array): boolean {
    if (bytes.length < 2) return false;
    const pt = bytes[1] & 0x7f;
    return pt >= 64 && pt <= 95;
  },

  /** The SSRC of the sender of a compound packet (SR/RR come first), for SRTCP and latching. */
  senderSsrc(bytes: Uint8Array): number | undefined {
    if (bytes.length < 8) return undefined;
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
  },
} as const;
