/**
 * IVF, the container libvpx and ffmpeg use for a bare VP8 stream: a 32-byte file header, then
 * each frame behind a 12-byte header (its size and a 64-bit timestamp, little-endian). What
 * `--record-video` writes for VP8 and what ffprobe reads.
 *
 *   file:  "DKIF" | version 0 | header size 32 | fourcc "VP80" | width | height
 *          | time base denominator | numerator | frame count | unused
 *   frame: size (4) | timestamp (8, in time base units)
 */
const FILE_HEADER = 32;
const FRAME_HEADER = 12;

export interface IvfHeader {
  fourcc: string;
  width: number;
  height: number;
  /** Time base = numerator / denominator seconds; 1/90000 for RTP timestamps. */
  timebase: { numerator: number; denominator: number };
  frameCount: number;
}

export function ivfFileHeader(h: IvfHeader): Uint8Array {
  const out = new Uint8Array(FILE_HEADER);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('DKIF'), 0);
  view.setUint16(4, 0, true);
  view.setUint16(6, FILE_HEADER, true);
  out.set(new TextEncoder().encode(h.fourcc.padEnd(4).slice(0, 4)), 8);
  view.setUint16(12, h.width, true);
  view.setUint16(14, h.height, true);
  view.setUint32(16, h.timebase.denominator, true);
  view.setUint32(20, h.timebase.numerator, true);
  view.setUint32(24, h.frameCount, true);
  return out;
}

export function ivfFrame(data: Uint8Array, timestamp: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setBigUint64(4, BigInt(Math.max(0, Math.floor(timestamp))), true);
  out.set(data, FRAME_HEADER);
  return out;
}

/** Reads an IVF file: its header and frames. Throws a RangeError on what is not IVF. */
export function readIvf(bytes: Uint8Array): { header: IvfHeader; frames: Array<{ data: Uint8Array; timestamp: number }> } {
  if (bytes.length < FILE_HEADER || new TextDecoder().decode(bytes.subarray(0, 4)) !== 'DKIF') throw new RangeError('not an IVF file (no DKIF signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getUint16(6, true);
  const header: IvfHeader = {
    fourcc: new TextDecoder().decode(bytes.subarray(8, 12)),
    width: view.getUint16(12, true),
    height: view.getUint16(14, true),
    timebase: { denominator: view.getUint32(16, true), numerator: view.getUint32(20, true) },
    frameCount: view.getUint32(24, true),
  };
  const frames: Array<{ data: Uint8Array; timestamp: number }> = [];
  let at = Math.max(FILE_HEADER, headerSize);
  while (at + FRAME_HEADER <= bytes.length) {
    const size = view.getUint32(at, true);
    const timestamp = Number(view.getBigUint64(at + 4, true));
    if (at + FRAME_HEADER + size > bytes.length) throw new RangeError(`IVF frame at byte ${at} overruns the file`);
    frames.push({ data: bytes.subarray(at + FRAME_HEADER, at + FRAME_HEADER + size), timestamp });
    at += FRAME_HEADER + size;
  }
  return { header, frames };
}
