/**
 * The VP8 RTP payload format (RFC 7741): a frame cut into payloads, each behind a payload
 * descriptor, and the frame put back together from them.
 *
 * Descriptor as sent here (§4.2), the 15-bit PictureID present so a receiver can tell frames apart
 * across a loss:
 *
 *      0 1 2 3 4 5 6 7
 *     +-+-+-+-+-+-+-+-+
 *     |X|R|N|S|R| PID | (REQUIRED)   X=1, N=0, S=1 on a frame's first packet, PID=0
 *     |I|L|T|K| RSV   | (X)          I=1
 *     |M| PictureID   | (I)          M=1: 15 bits
 *     |   PictureID   |
 *     +-+-+-+-+-+-+-+-+
 *
 * Whatever a peer sends (a 7-bit PictureID, TL0PICIDX, TID/KEYIDX, none at all) is read.
 */
import { RtpFormatError } from '../rtp-packet.ts';

const DESCRIPTOR_BYTES = 4;

export interface Vp8Descriptor {
  /** S: this payload starts a VP8 partition (with PID 0: the frame). */
  start: boolean;
  /** Partition index (PID). */
  partition: number;
  /** N: a frame no other frame refers to (may be dropped). */
  nonReference: boolean;
  pictureId?: number;
  /** Bytes of the descriptor: the VP8 data follows. */
  length: number;
}

/** Cuts one encoded frame into payloads of at most `maxPayload` bytes (descriptor included). */
export function packetizeVp8(frame: Uint8Array, pictureId: number, maxPayload = 1200): Uint8Array[] {
  if (maxPayload <= DESCRIPTOR_BYTES) throw new RangeError(`maxPayload: expected more than ${DESCRIPTOR_BYTES} bytes, got ${maxPayload}`);
  const room = maxPayload - DESCRIPTOR_BYTES;
  const count = Math.max(1, Math.ceil(frame.length / room));
  // Even sizes: no runt last packet.
  const size = Math.ceil(frame.length / count);
  const payloads: Uint8Array[] = [];
  const pid = pictureId & 0x7fff;
  for (let i = 0; i < count; i++) {
    const part = frame.subarray(i * size, Math.min(frame.length, (i + 1) * size));
    const out = new Uint8Array(DESCRIPTOR_BYTES + part.length);
    out[0] = 0x80 | (i === 0 ? 0x10 : 0); // X, S
    out[1] = 0x80; // I
    out[2] = 0x80 | (pid >> 8); // M, PictureID high bits
    out[3] = pid & 0xff;
    out.set(part, DESCRIPTOR_BYTES);
    payloads.push(out);
  }
  return payloads;
}

/** Reads a payload descriptor (§4.2); throws RtpFormatError when it overruns the payload. */
export function readVp8Descriptor(payload: Uint8Array): Vp8Descriptor {
  if (payload.length < 1) throw new RtpFormatError('VP8 payload: empty');
  let at = 0;
  const b0 = payload[at++];
  const d: Vp8Descriptor = { start: (b0 & 0x10) !== 0, partition: b0 & 0x07, nonReference: (b0 & 0x20) !== 0, length: 0 };
  if (b0 & 0x80) {
    const need = (n: number) => {
      if (at + n > payload.length) throw new RtpFormatError('VP8 payload: descriptor longer than the payload');
    };
    need(1);
    const x = payload[at++];
    if (x & 0x80) {
      need(1);
      const m = payload[at] & 0x80;
      if (m) {
        need(2);
        d.pictureId = ((payload[at] & 0x7f) << 8) | payload[at + 1];
        at += 2;
      } else {
        d.pictureId = payload[at] & 0x7f;
        at += 1;
      }
    }
    if (x & 0x40) at += 1; // L: TL0PICIDX
    if (x & 0x30) at += 1; // T or K: TID|Y|KEYIDX
    if (at > payload.length) throw new RtpFormatError('VP8 payload: descriptor longer than the payload');
  }
  d.length = at;
  return d;
}

/** Whether a frame's first VP8 bytes (after the descriptor) start a key frame (§4.3: P bit 0). */
export function isVp8KeyFrame(firstPayloadData: Uint8Array): boolean {
  return firstPayloadData.length > 0 && (firstPayloadData[0] & 0x01) === 0;
}

/**
 * The frame carried by the payloads of one RTP timestamp, in sequence order, all present: the
 * VP8 data joined, or why it cannot be used.
 */
export function depacketizeVp8(payloads: readonly Uint8Array[]): { frame: Uint8Array; keyFrame: boolean } {
  if (payloads.length === 0) throw new RtpFormatError('VP8: no payload');
  const parts: Uint8Array[] = [];
  let total = 0;
  let first = true;
  for (const p of payloads) {
    const d = readVp8Descriptor(p);
    if (first && !(d.start && d.partition === 0)) throw new RtpFormatError("VP8: the frame's first packet is missing");
    first = false;
    const data = p.subarray(d.length);
    parts.push(data);
    total += data.length;
  }
  const frame = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  return { frame, keyFrame: isVp8KeyFrame(frame) };
}
