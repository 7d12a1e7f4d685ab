// What the sender books as held by the pacer (main/media/rtp-sender.ts): only what the pacer took.
// A packet it refused (its queue full) went at once, and counts as sent from then on (RFC 3550
// §6.4.1: an SR counts what was transmitted).
import { describe, expect, it } from 'vitest';
import type { Codec } from '../../../native/index.ts';
import type { RtpLatch } from '../../../main/media/rtp-latch.ts';
import { RtpSender } from '../../../main/media/rtp-sender.ts';
import type { RtpSockets } from '../../../main/media/rtp-sockets.ts';

/** A codec whose packets differ in size: the n-th encodes to n + 1 bytes. */
function growingCodec(): Codec {
  let n = 0;
  return { name: 'pcmu', sampleRate: 8000, clockRate: 8000, encode: () => new Uint8Array(++n), decode: () => new Int16Array(160), close: () => undefined } as unknown as Codec;
}

/** Sockets whose pacer takes `room` packets, then refuses (sent at once). */
function sockets(room: number): { sockets: RtpSockets; held: number[]; now: number[] } {
  const held: number[] = [];
  const now: number[] = [];
  const s = {
    open: true,
    sendRtp: (bytes: Uint8Array, _to: unknown, _done: unknown, delayMs = 0): boolean => {
      if (delayMs > 0 && held.length < room) {
        held.push(bytes.length);
        return true;
      }
      now.push(bytes.length);
      return false;
    },
    pacedPending: () => held.length,
    cancelPaced: () => held.splice(0).length,
  };
  return { sockets: s as unknown as RtpSockets, held, now };
}

describe('RtpSender with a pacer that refuses', () => {
  it('books as held only what the pacer took: sent() and a take-back count the right octets', () => {
    const { sockets: sock, held, now } = sockets(3);
    const sender = new RtpSender({
      ssrc: 1,
      sequenceNumber: 100,
      timestampBase: 0,
      codec: growingCodec(),
      payloadType: 0,
      frameTs: 160,
      frameMs: 20,
      framesPerPacket: 1,
      sockets: sock,
      latch: { rtpTarget: { address: '127.0.0.1', port: 9 } } as unknown as RtpLatch,
      onError: () => undefined,
    });
    // Six frames ahead: payloads of 1..6 bytes; the pacer takes 1, 2, 3 and refuses 4, 5, 6.
    for (let k = 0; k < 6; k++) sender.pushAudio(k * 160, new Int16Array(160), 20 * (k + 1));
    expect(held).toHaveLength(3);
    expect(now).toHaveLength(3);
    // What left: the three refused (payloads 4 + 5 + 6), not the last three booked.
    expect(sender.sent()).toMatchObject({ packets: 3, octets: 15 });
    expect(sender.cancelAhead()).toBe(3);
    expect(sender.sent()).toMatchObject({ packets: 3, octets: 15 });
  });
});
