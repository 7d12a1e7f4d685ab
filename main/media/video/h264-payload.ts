/**
 * The H.264 RTP payload format (RFC 6184): an access unit (Annex B, start codes before each NAL
 * unit) cut into RTP payloads, and put back together.
 *
 *   - packetization-mode 0 (§6.2): one NAL unit per packet (Single NAL Unit packets, §5.6); a NAL
 *     unit larger than a packet cannot be sent (the encoder must limit its slices).
 *   - packetization-mode 1 (§6.3): small NAL units travel together in STAP-A packets (§5.7.1),
 *     large ones in FU-A fragments (§5.8); the rest as Single NAL Unit packets.
 *
 * The receiver takes all three kinds in either mode (a mode-0 peer sends only the first).
 */
import { RtpFormatError } from '../rtp-packet.ts';

/** NAL unit types (§5.2, table 1; H.264 table 7-1). */
export const NAL = { IDR: 5, SEI: 6, SPS: 7, PPS: 8, STAP_A: 24, FU_A: 28 } as const;

export type H264PacketizationMode = 0 | 1;

/** The NAL units of an Annex B stream (start codes 00 00 01 or 00 00 00 01 removed). */
export function splitAnnexB(au: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < au.length) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      if (start >= 0) units.push(trimZeros(au.subarray(start, i)));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < au.length) units.push(au.subarray(start));
  return units.filter((u) => u.length > 0);
}

/** A NAL unit ends before the zero that begins a 4-byte start code (trailing_zero_8bits). */
function trimZeros(unit: Uint8Array): Uint8Array {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

/** Joins NAL units back into Annex B with 4-byte start codes (what decoders take). */
export function joinAnnexB(units: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(units.reduce((n, u) => n + 4 + u.length, 0));
  let at = 0;
  for (const u of units) {
    out[at + 3] = 1;
    out.set(u, at + 4);
    at += 4 + u.length;
  }
  return out;
}

/** Cuts an access unit into RTP payloads of at most `maxPayload` bytes. */
export function packetizeH264(au: Uint8Array, mode: H264PacketizationMode, maxPayload = 1200): Uint8Array[] {
  const units = splitAnnexB(au);
  const payloads: Uint8Array[] = [];
  if (mode === 0) {
    for (const u of units) {
      if (u.length > maxPayload) throw new RangeError(`H.264 packetization-mode 0: a NAL unit of ${u.length} bytes does not fit a packet of ${maxPayload} (limit the encoder's slices)`);
      payloads.push(u);
    }
    return payloads;
  }
  // Mode 1: gather NAL units that fit together into one STAP-A, fragment those too big.
  let group: Uint8Array[] = [];
  let groupBytes = 1;
  const flush = () => {
    if (group.length === 1) payloads.push(group[0]);
    else if (group.length > 1) payloads.push(stapA(group));
    group = [];
    groupBytes = 1;
  };
  for (const u of units) {
    if (u.length > maxPayload) {
      flush();
      payloads.push(...fuA(u, maxPayload));
      continue;
    }
    if (groupBytes + 2 + u.length > maxPayload) flush();
    group.push(u);
    groupBytes += 2 + u.length;
  }
  flush();
  return payloads;
}

/** §5.7.1: STAP-A header (F and NRI the highest of the units), then 16-bit size + unit each. */
function stapA(units: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + units.reduce((n, u) => n + 2 + u.length, 0));
  let nri = 0;
  let f = 0;
  let at = 1;
  for (const u of units) {
    nri = Math.max(nri, u[0] & 0x60);
    f |= u[0] & 0x80;
    out[at] = u.length >> 8;
    out[at + 1] = u.length & 0xff;
    out.set(u, at + 2);
    at += 2 + u.length;
  }
  out[0] = f | nri | NAL.STAP_A;
  return out;
}

/** §5.8: FU indicator (F, NRI, 28) and FU header (S, E, type), then a slice of the unit's body. */
function fuA(unit: Uint8Array, maxPayload: number): Uint8Array[] {
  const header = unit[0];
  const body = unit.subarray(1);
  const room = maxPayload - 2;
  const count = Math.ceil(body.length / room);
  const size = Math.ceil(body.length / count);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = body.subarray(i * size, Math.min(body.length, (i + 1) * size));
    const p = new Uint8Array(2 + part.length);
    p[0] = (header & 0xe0) | NAL.FU_A;
    p[1] = (i === 0 ? 0x80 : 0) | (i === count - 1 ? 0x40 : 0) | (header & 0x1f);
    p.set(part, 2);
    out.push(p);
  }
  return out;
}

/**
 * The access unit carried by the payloads of one RTP timestamp, in sequence order, all present.
 * Throws RtpFormatError for what cannot be read (a fragment without its start, a STAP-A that
 * overruns, a type this format does not carry).
 */
export function depacketizeH264(payloads: readonly Uint8Array[]): { accessUnit: Uint8Array; keyFrame: boolean; selfContained: boolean } {
  const units: Uint8Array[] = [];
  let fragments: Uint8Array[] | undefined;
  let fragmentHeader = 0;
  for (const p of payloads) {
    if (p.length < 1) throw new RtpFormatError('H.264: empty payload');
    const type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) {
      units.push(p);
    } else if (type === NAL.STAP_A) {
      let at = 1;
      while (at < p.length) {
        if (at + 2 > p.length) throw new RtpFormatError('H.264 STAP-A: a size field overruns the packet');
        const size = (p[at] << 8) | p[at + 1];
        if (size === 0 || at + 2 + size > p.length) throw new RtpFormatError('H.264 STAP-A: a NAL unit overruns the packet');
        units.push(p.subarray(at + 2, at + 2 + size));
        at += 2 + size;
      }
    } else if (type === NAL.FU_A) {
      if (p.length < 2) throw new RtpFormatError('H.264 FU-A: no FU header');
      const start = (p[1] & 0x80) !== 0;
      const end = (p[1] & 0x40) !== 0;
      if (start) {
        fragments = [];
        fragmentHeader = (p[0] & 0xe0) | (p[1] & 0x1f);
      } else if (!fragments) {
        throw new RtpFormatError('H.264 FU-A: a fragment without its start');
      }
      fragments.push(p.subarray(2));
      if (end) {
        const body = fragments.reduce((n, f) => n + f.length, 0);
        const unit = new Uint8Array(1 + body);
        unit[0] = fragmentHeader;
        let at = 1;
        for (const f of fragments) {
          unit.set(f, at);
          at += f.length;
        }
        units.push(unit);
        fragments = undefined;
      }
    } else {
      throw new RtpFormatError(`H.264: packet type ${type} is not carried here (STAP-B, MTAP and FU-B are interleaved-mode only)`);
    }
  }
  if (fragments) throw new RtpFormatError('H.264 FU-A: the last fragment is missing');
  if (units.length === 0) throw new RtpFormatError('H.264: no NAL unit');
  const keyFrame = units.some((u) => (u[0] & 0x1f) === NAL.IDR);
  // Starts with its parameter sets (after an access unit delimiter, type 9): nothing came before it.
  const first = units.find((u) => (u[0] & 0x1f) !== 9);
  return { accessUnit: joinAnnexB(units), keyFrame, selfContained: keyFrame && first !== undefined && (first[0] & 0x1f) === NAL.SPS };
}
