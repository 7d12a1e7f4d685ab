/**
 * Per-source reception statistics of RFC 3550 Appendix A: sequence validation with
 * probation and wrap counting (A.1), expected/lost/fraction lost per report interval (A.3),
 * and interarrival jitter (A.8). One instance per remote SSRC: a new SSRC means a new
 * instance. Pure: arrival times are given by the caller.
 */
import type { ReportBlock } from './rtcp-packet.ts';
import { NtpTime } from './ntp-time.ts';
import type { NtpTimestamp } from './rtcp-packet.ts';

const RTP_SEQ_MOD = 1 << 16;
/** A.1: a source is valid after this many in-sequence packets. */
const MIN_SEQUENTIAL = 2;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** What `update` decided about one packet. */
export type SequenceVerdict =
  /** Counted and valid. */
  | 'valid'
  /** The source is still on probation (A.1): counted once it is confirmed. */
  | 'probation'
  /** A large jump: dropped until a second packet confirms the new sequence (A.1). */
  | 'bad-sequence';

export interface RtpReceiverStatsOptions {
  ssrc: number;
  /** RTP clock rate of the payload, for jitter in timestamp units. */
  clockRate: number;
}

export class RtpReceiverStats {
  readonly ssrc: number;
  readonly clockRate: number;
  #maxSeq = 0;
  /** Shifted count of sequence number cycles (A.1 `cycles`, already × 65536). */
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #probation = MIN_SEQUENTIAL;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #started = false;
  /** A.8 jitter in timestamp units, kept as a float (the RFC's integer version × 16 / 16). */
  #jitter = 0;
  #lastArrivalMs: number | undefined;
  #lastTimestamp = 0;
  #bytes = 0;
  #lastSr: { compact: number; arrivalMs: number; ntp: NtpTimestamp; rtpTimestamp: number } | undefined;
  #lastFraction = 0;

  constructor(options: RtpReceiverStatsOptions) {
    this.ssrc = options.ssrc;
    this.clockRate = options.clockRate;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  /**
   * Accounts one RTP packet of this source (A.1 `update_seq`) and, when `jitter` is not
   * false, updates the interarrival jitter (A.8). `arrivalMs` is any monotonic clock.
   */
  update(packet: { sequenceNumber: number; timestamp: number; payloadBytes?: number }, arrivalMs: number, options: { jitter?: boolean } = {}): SequenceVerdict {
    const seq = packet.sequenceNumber;
    const verdict = this.#updateSeq(seq);
    if (verdict === 'valid') this.#bytes += packet.payloadBytes ?? 0;
    if (verdict !== 'bad-sequence' && options.jitter !== false) this.#updateJitter(packet.timestamp, arrivalMs);
    return verdict;
  }

  #updateSeq(seq: number): SequenceVerdict {
    if (!this.#started) {
      // A.1: "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL".
      this.#started = true;
      this.#initSeq(seq);
      this.#maxSeq = (seq - 1 + RTP_SEQ_MOD) % RTP_SEQ_MOD;
      this.#probation = MIN_SEQUENTIAL;
    }
    const udelta = (seq - this.#maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.#probation > 0) {
      // Source not yet valid: packets must be in sequence.
      if (seq === (this.#maxSeq + 1) % RTP_SEQ_MOD) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
          return 'valid';
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return 'probation';
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD; // wrapped
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump.
      if (seq === this.#badSeq) {
        // Two sequential packets: the other side restarted without telling us; resync.
        this.#initSeq(seq);
      } else {
        this.#badSeq = (seq + 1) % RTP_SEQ_MOD;
        return 'bad-sequence';
      }
    }
    // else: duplicate or reordered packet, counted (so duplicates can make "lost" negative).
    this.#received++;
    return 'valid';
  }

  /** A.8: D(i-1,i) = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J) / 16. */
  #updateJitter(timestamp: number, arrivalMs: number): void {
    if (this.#lastArrivalMs !== undefined) {
      const arrivalUnits = ((arrivalMs - this.#lastArrivalMs) * this.clockRate) / 1000;
      const tsDelta = (timestamp - this.#lastTimestamp) | 0; // signed, survives the 2^32 wrap
      const d = arrivalUnits - tsDelta;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#lastArrivalMs = arrivalMs;
    this.#lastTimestamp = timestamp >>> 0;
  }

  /** Records an SR from this source, for LSR/DLSR in our next report (§6.4.1). */
  /**
   * The sender's wall-clock time (ms since the Unix epoch) of the media at RTP timestamp `ts`,
   * from its last sender report's NTP ↔ RTP pair (RFC 3550 §6.4.1): what lines up two streams of
   * one sender (lip sync). Undefined before any SR.
   */
  senderTimeOf(ts: number): number | undefined {
    const sr = this.#lastSr;
    if (!sr) return undefined;
    return NtpTime.toUnixMs(sr.ntp) + (((ts - sr.rtpTimestamp) | 0) / this.clockRate) * 1000;
  }

  onSenderReport(ntp: NtpTimestamp, rtpTimestamp: number, arrivalMs: number): void {
    this.#lastSr = { compact: NtpTime.compact(ntp), arrivalMs, ntp, rtpTimestamp };
  }

  /** Packets counted as received (valid ones, duplicates included). */
  get received(): number {
    return this.#received;
  }

  /** Payload bytes of valid packets. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Extended highest sequence number received (A.3 `extended_max`). */
  get extendedHighestSequence(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** A.3 `expected`: packets the sender sent since the first valid one. */
  get expected(): number {
    if (this.#probation > 0) return 0;
    return this.extendedHighestSequence - this.#baseSeq + 1;
  }

  /** A.3 cumulative lost (may be negative with duplicates). */
  get cumulativeLost(): number {
    return this.expected - this.#received;
  }

  /** Interarrival jitter in timestamp units. */
  get jitter(): number {
    return this.#jitter;
  }

  /** Interarrival jitter in milliseconds. */
  get jitterMs(): number {
    return (this.#jitter * 1000) / this.clockRate;
  }

  /** Fraction lost (0..1) in the last report interval closed by `reportBlock`. */
  get lastFractionLost(): number {
    return this.#lastFraction / 256;
  }

  /**
   * Builds the report block about this source and closes the report interval (A.3:
   * expected_prior / received_prior move forward).
   */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    this.#lastFraction = fraction;
    return {
      ssrc: this.ssrc,
      fractionLost: fraction,
      cumulativeLost: this.cumulativeLost,
      extendedHighestSequence: this.extendedHighestSequence >>> 0,
      jitter: Math.floor(this.#jitter),
      lastSr: this.#lastSr?.compact ?? 0,
      delaySinceLastSr: this.#lastSr ? NtpTime.msToCompact(nowMs - this.#lastSr.arrivalMs) : 0,
    };
  }
}
