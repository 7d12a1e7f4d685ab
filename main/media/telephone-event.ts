/**
 * The RFC 4733 telephone-event payload (§2.3):
 *
 *     0                   1                   2                   3
 *    |     event     |E|R| volume    |          duration             |
 *
 * and the DTMF event codes of §3.2 (0–9, * = 10, # = 11, A–D = 12–15).
 */

export interface TelephoneEvent {
  /** Event code 0..255. */
  event: number;
  /** E bit: the last packet(s) of the event. */
  end: boolean;
  /** Power level in −dBm0, 0..63 (DTMF: 0..36 meaningful). */
  volume: number;
  /** Duration so far in timestamp units, 0..65535. */
  duration: number;
}

export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

const DIGITS = '0123456789*#ABCD';

export const TelephoneEvent = {
  encode(e: TelephoneEvent): Uint8Array {
    return Uint8Array.of(e.event & 0xff, (e.end ? 0x80 : 0) | (e.volume & 0x3f), (e.duration >> 8) & 0xff, e.duration & 0xff);
  },

  /** Parses the first event block; undefined when the payload is shorter than 4 bytes. */
  decode(payload: Uint8Array): TelephoneEvent | undefined {
    if (payload.length < 4) return undefined;
    return { event: payload[0], end: (payload[1] & 0x80) !== 0, volume: payload[1] & 0x3f, duration: (payload[2] << 8) | payload[3] };
  },

  /** '0'..'9', '*', '#', 'A'..'D' (case-insensitive) → event code, or undefined. */
  eventOf(digit: string): number | undefined {
    const i = DIGITS.indexOf(digit.toUpperCase());
    return digit.length === 1 && i >= 0 ? i : undefined;
  },

  /** Event code → digit, or undefined for non-DTMF events. */
  digitOf(event: number): DtmfDigit | undefined {
    return event >= 0 && event < 16 ? (DIGITS[event] as DtmfDigit) : undefined;
  },
} as const;
