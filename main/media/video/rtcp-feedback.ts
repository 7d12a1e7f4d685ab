/**
 * RTCP feedback messages for video (RFC 4585 §6, RFC 5104 §4): what a receiver asks of a sender.
 *
 *     0                   1                   2                   3
 *    |V=2|P|   FMT   |       PT      |          length               |
 *    |                  SSRC of packet sender                        |
 *    |                  SSRC of media source                         |
 *    :            Feedback Control Information (FCI)                 :
 *
 *   - Generic NACK (RTPFB 205, FMT 1, §6.2.1): FCI = PID (a lost sequence number) and BLP (a bit
 *     mask of the 16 after it), one per 32-bit word.
 *   - PLI (PSFB 206, FMT 1, §6.3.1): no FCI; "a picture was lost, send a key frame".
 *   - FIR (PSFB 206, FMT 4, RFC 5104 §4.3.1): FCI = SSRC + command sequence number, per source.
 *   - TMMBR / TMMBN (RTPFB 205, FMT 3 / 4, RFC 5104 §4.2.1-2): FCI = SSRC + exponent/mantissa
 *     bit rate + overhead.
 *
 * Encoded packets go into a compound packet after an RR (RFC 4585 §3.1); decoding reads them
 * from the 'other' packets RtcpPacket.decodeCompound leaves.
 */
import { RtcpFormatError, type OtherRtcp } from '../rtcp-packet.ts';

export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

export type Feedback =
  | { kind: 'nack'; sender: number; media: number; lost: number[] }
  | { kind: 'pli'; sender: number; media: number }
  | { kind: 'fir'; sender: number; requests: Array<{ ssrc: number; seq: number }> }
  | { kind: 'tmmbr' | 'tmmbn'; sender: number; entries: Array<{ ssrc: number; bitrate: number; overhead: number }> };

function packet(packetType: number, fmt: number, sender: number, media: number, fci: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + fci.length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | fmt;
  out[1] = packetType;
  view.setUint16(2, out.length / 4 - 1);
  view.setUint32(4, sender >>> 0);
  view.setUint32(8, media >>> 0);
  out.set(fci, 12);
  return out;
}

/** Sequence numbers → PID/BLP words (each covers PID and the 16 after it). */
function nackWords(lost: number[]): Uint8Array {
  // In sequence order from the first one given, so a list across the 16-bit wrap stays together.
  const ref = (lost[0] ?? 0) & 0xffff;
  const sorted = [...new Set(lost.map((s) => s & 0xffff))].sort((a, b) => ((a - ref) & 0xffff) - ((b - ref) & 0xffff));
  const words: Array<[number, number]> = [];
  for (const seq of sorted) {
    const last = words[words.length - 1];
    const d = last ? (seq - last[0]) & 0xffff : 0;
    if (last && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
    else words.push([seq, 0]);
  }
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach(([pid, blp], i) => {
    view.setUint16(i * 4, pid);
    view.setUint16(i * 4 + 2, blp);
  });
  return out;
}

/** RFC 5104 §4.2.1.1: bit rate as a 6-bit exponent and 17-bit mantissa, with a 9-bit overhead. */
function tmmbWord(view: DataView, at: number, e: { ssrc: number; bitrate: number; overhead: number }): void {
  let exp = 0;
  let mantissa = Math.max(0, Math.round(e.bitrate));
  while (mantissa > 0x1ffff) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  view.setUint32(at, e.ssrc >>> 0);
  view.setUint32(at + 4, ((exp & 0x3f) << 26) | ((mantissa & 0x1ffff) << 9) | (e.overhead & 0x1ff));
}

export function encodeFeedback(fb: Feedback): Uint8Array {
  switch (fb.kind) {
    case 'nack':
      return packet(RTCP_RTPFB, 1, fb.sender, fb.media, nackWords(fb.lost));
    case 'pli':
      return packet(RTCP_PSFB, 1, fb.sender, fb.media, new Uint8Array(0));
    case 'fir': {
      const fci = new Uint8Array(fb.requests.length * 8);
      const view = new DataView(fci.buffer);
      fb.requests.forEach((r, i) => {
        view.setUint32(i * 8, r.ssrc >>> 0);
        fci[i * 8 + 4] = r.seq & 0xff;
      });
      // §4.3.1.2: the media source SSRC field is 0 in a FIR.
      return packet(RTCP_PSFB, 4, fb.sender, 0, fci);
    }
    case 'tmmbr':
    case 'tmmbn': {
      const fci = new Uint8Array(fb.entries.length * 8);
      const view = new DataView(fci.buffer);
      fb.entries.forEach((e, i) => tmmbWord(view, i * 8, e));
      return packet(RTCP_RTPFB, fb.kind === 'tmmbr' ? 3 : 4, fb.sender, 0, fci);
    }
  }
}

/** The feedback in an RTCP packet the compound decoder left as 'other' (undefined: not feedback we read). */
export function decodeFeedback(other: OtherRtcp): Feedback | undefined {
  const bytes = other.bytes;
  if (other.packetType !== RTCP_RTPFB && other.packetType !== RTCP_PSFB) return undefined;
  if (bytes.length < 12) throw new RtcpFormatError(`RTCP feedback shorter than its 12-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fmt = bytes[0] & 0x1f;
  const sender = view.getUint32(4);
  const media = view.getUint32(8);
  const fciWords = (size: number) => {
    if ((bytes.length - 12) % size !== 0) throw new RtcpFormatError(`RTCP feedback FCI is not whole ${size}-byte entries`);
    return (bytes.length - 12) / size;
  };
  if (other.packetType === RTCP_RTPFB && fmt === 1) {
    const lost: number[] = [];
    for (let i = 0; i < fciWords(4); i++) {
      const pid = view.getUint16(12 + i * 4);
      const blp = view.getUint16(14 + i * 4);
      lost.push(pid);
      for (let b = 0; b < 16; b++) if (blp & (1 << b)) lost.push((pid + b + 1) & 0xffff);
    }
    return { kind: 'nack', sender, media, lost };
  }
  if (other.packetType === RTCP_RTPFB && (fmt === 3 || fmt === 4)) {
    const entries: Array<{ ssrc: number; bitrate: number; overhead: number }> = [];
    for (let i = 0; i < fciWords(8); i++) {
      const word = view.getUint32(16 + i * 8);
      entries.push({ ssrc: view.getUint32(12 + i * 8), bitrate: ((word >>> 9) & 0x1ffff) * 2 ** (word >>> 26), overhead: word & 0x1ff });
    }
    return { kind: fmt === 3 ? 'tmmbr' : 'tmmbn', sender, entries };
  }
  if (other.packetType === RTCP_PSFB && fmt === 1) return { kind: 'pli', sender, media };
  if (other.packetType === RTCP_PSFB && fmt === 4) {
    const requests: Array<{ ssrc: number; seq: number }> = [];
    for (let i = 0; i < fciWords(8); i++) requests.push({ ssrc: view.getUint32(12 + i * 8), seq: bytes[16 + i * 8] });
    return { kind: 'fir', sender, requests };
  }
  return undefined;
}
