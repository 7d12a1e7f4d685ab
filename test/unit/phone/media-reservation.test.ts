/**
 * The media engine's port reservation, which an SDP offer needs before any stream exists:
 * an even RTP port and the odd RTCP port above it (RFC 3550 §11), held until a stream takes
 * them over or they are released.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../main/media/media-engine.ts';
import { FakeScheduler, fakeNative } from '../media/helpers/fake-native.ts';

function engine(): MediaEngine {
  return new MediaEngine({ onEvent: () => {}, native: fakeNative(), scheduler: new FakeScheduler() });
}

/** Whether `port` can be bound on 127.0.0.1 now (UDP). */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('reserve-ports / release-ports', () => {
  it('holds an even RTP port and RTCP + 1 until released', async () => {
    const e = engine();
    const r = await e.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: { min: 41000, max: 41999 } });
    expect(r.localPort % 2).toBe(0);
    expect(r.localRtcpPort).toBe(r.localPort + 1);
    expect(r.localPort).toBeGreaterThanOrEqual(41000);
    expect(r.localRtcpPort).toBeLessThanOrEqual(41999);
    expect(await free(r.localPort)).toBe(false);
    expect(await free(r.localRtcpPort)).toBe(false);
    await e.handle({ type: 'release-ports', localPort: r.localPort });
    expect(await free(r.localPort)).toBe(true);
    expect(await free(r.localRtcpPort)).toBe(true);
    await expect(e.handle({ type: 'release-ports', localPort: r.localPort })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a stream created on a reserved port takes the reservation over; shutdown frees what is left', async () => {
    const e = engine();
    const r = await e.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: { min: 42000, max: 42999 } });
    const other = await e.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: { min: 42000, max: 42999 }, rtcpMux: true });
    expect(other.localRtcpPort).toBe(other.localPort);
    const s = await e.handle({
      type: 'create-stream',
      streamId: 's',
      spec: {
        localAddress: '127.0.0.1',
        localPort: r.localPort,
        remote: { address: '127.0.0.1', rtpPort: 9 },
        rtcpMux: false,
        codec: { name: 'pcmu', payloadType: 0 },
        source: { kind: 'silence' },
        sink: { kind: 'silence' },
      },
    });
    expect(s.localPort).toBe(r.localPort);
    expect(s.localRtcpPort).toBe(r.localRtcpPort);
    // Taken over: nothing left to release under that port.
    await expect(e.handle({ type: 'release-ports', localPort: r.localPort })).rejects.toMatchObject({ code: 'not-found' });
    await e.shutdown();
    expect(await free(r.localPort)).toBe(true);
    expect(await free(other.localPort)).toBe(true);
  });

  it('refuses a bad request naming the argument', async () => {
    const e = engine();
    await expect(e.handle({ type: 'reserve-ports', localAddress: '' })).rejects.toThrow(/^localAddress:/);
    await expect(e.handle({ type: 'reserve-ports', localAddress: '127.0.0.1', portRange: { min: 5000, max: 5000 } })).rejects.toThrow(/^portRange:/);
  });
});
