/**
 * NTP timestamps for RTCP (RFC 3550 §4): 64-bit, seconds since 1 January 1900, and the
 * "compact" middle 32 bits used by LSR/DLSR in units of 1/65536 s (§6.4.1).
 */
import type { NtpTimestamp, ReportBlock } from './rtcp-packet.ts';

/** Seconds between 1900-01-01 and 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;
const TWO_32 = 4_294_967_296;

export const NtpTime = {
  /** Converts wall-clock milliseconds since the Unix epoch. */
  fromUnixMs(ms: number): NtpTimestamp {
    const whole = Math.floor(ms / 1000);
    const fraction = Math.floor(((ms - whole * 1000) / 1000) * TWO_32);
    return { seconds: (whole + NTP_UNIX_OFFSET) >>> 0, fraction: Math.min(fraction, TWO_32 - 1) >>> 0 };
  },

  /** Back to wall-clock milliseconds since the Unix epoch. */
  toUnixMs(ntp: NtpTimestamp): number {
    return (ntp.seconds - NTP_UNIX_OFFSET) * 1000 + (ntp.fraction / TWO_32) * 1000;
  },

  /** The middle 32 bits (§6.4.1 LSR): low 16 bits of the seconds, high 16 bits of the fraction. */
  compact(ntp: NtpTimestamp): number {
    return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
  },

  /** Milliseconds → compact units (1/65536 s), as DLSR carries them. */
  msToCompact(ms: number): number {
    return Math.max(0, Math.round((ms / 1000) * 65536)) >>> 0;
  },

  /**
   * Round-trip time from a report block about our stream (§6.4.1, figure 2):
   * RTT = A − LSR − DLSR, A being the block's arrival in compact NTP. Undefined when the peer
   * has not yet received an SR from us (LSR = 0) or the result is absurd (negative).
   */
  roundTripMs(block: Pick<ReportBlock, 'lastSr' | 'delaySinceLastSr'>, arrival: NtpTimestamp): number | undefined {
    if (block.lastSr === 0) return undefined;
    const units = (NtpTime.compact(arrival) - block.lastSr - block.delaySinceLastSr) | 0; // 32-bit wrap
    if (units < 0) return undefined;
    return (units / 65536) * 1000;
  },
} as const;
