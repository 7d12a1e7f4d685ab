/**
 * The device link's video framing on a WebSocket (contract/video-wire.ts): a header, then its
 * bytes; one header waits at most; what is put together is checked, and a side takes only its kinds.
 */
import { describe, expect, it } from 'vitest';
import { FROM_ENGINE, FROM_PAGE, isVideoHeader, videoWireFrames, VideoWireReader } from '../../../main/contract/video-wire.ts';
import { i420Bytes } from '../../../main/contract/video.ts';

const frame = (w: number, h: number) => new Uint8Array(i420Bytes(w, h)).map((_, i) => i % 251);

describe('video wire framing', () => {
  it('writes a frame as its header without data, then the bytes; an end as the header alone', () => {
    const data = frame(32, 16);
    const out = videoWireFrames({ video: 'frame', callId: 'c1', width: 32, height: 16, data });
    expect(JSON.parse(out.header)).toEqual({ video: 'frame', callId: 'c1', width: 32, height: 16 });
    expect(out.data).toBe(data);
    expect(videoWireFrames({ video: 'ended', callId: 'c1' })).toEqual({ header: '{"video":"ended","callId":"c1"}' });
  });

  it('reads a header and the bytes after it back into the same message', () => {
    const r = new VideoWireReader(FROM_PAGE);
    const data = frame(16, 16);
    const { header } = videoWireFrames({ video: 'camera', width: 16, height: 16, data });
    const parsed: unknown = JSON.parse(header);
    expect(isVideoHeader(parsed)).toBe(true);
    expect(r.header(parsed as { video: string })).toBeUndefined();
    expect(r.pending).toBe(true);
    const msg = r.bytes(data);
    expect(msg).toEqual({ video: 'camera', width: 16, height: 16, data });
    expect(r.pending).toBe(false);
    expect(r.header({ video: 'camera-off' })).toEqual({ video: 'camera-off' });
  });

  it('keeps one header at most: a newer one replaces the one whose bytes never came', () => {
    const r = new VideoWireReader(FROM_ENGINE);
    r.header({ video: 'frame', callId: 'old', width: 32, height: 32 } as { video: string });
    r.header({ video: 'frame', callId: 'new', width: 16, height: 16 } as { video: string });
    expect(r.bytes(frame(16, 16))).toMatchObject({ callId: 'new', width: 16 });
    // Bytes with no header waiting are not video.
    expect(r.bytes(frame(16, 16))).toBeUndefined();
  });

  it('drops, bytes included, a header that disagrees with its bytes, a bad size, or a kind this side does not take', () => {
    const r = new VideoWireReader(FROM_PAGE);
    r.header({ video: 'camera', width: 32, height: 16 } as { video: string });
    expect(r.bytes(frame(16, 16))).toBeUndefined();
    r.header({ video: 'camera', width: 15, height: 16 } as { video: string });
    expect(r.pending).toBe(true); // the bytes that follow are still consumed
    expect(r.bytes(new Uint8Array(i420Bytes(16, 16)))).toBeUndefined();
    r.header({ video: 'frame', callId: 'c', width: 16, height: 16 } as { video: string });
    expect(r.bytes(frame(16, 16))).toBeUndefined(); // engine → page only
    expect(r.header({ video: 'ended', callId: 'c' } as { video: string })).toBeUndefined();
    expect(r.header({ video: 'nonsense' })).toBeUndefined();
    expect(r.pending).toBe(false);
    const e = new VideoWireReader(FROM_ENGINE);
    expect(e.header({ video: 'camera-off' })).toBeUndefined();
    expect(e.header({ video: 'ended', callId: 'x'.repeat(201) } as { video: string })).toBeUndefined();
  });

  it("takes the page's audio delay as a header alone, within 0..1000 ms; the page never hears one", () => {
    const r = new VideoWireReader(FROM_PAGE);
    expect(videoWireFrames({ video: 'audio-delay', ms: 62 })).toEqual({ header: '{"video":"audio-delay","ms":62}' });
    expect(r.header({ video: 'audio-delay', ms: 62 } as { video: string })).toEqual({ video: 'audio-delay', ms: 62 });
    expect(r.pending).toBe(false);
    for (const ms of [-1, 1001, Number.NaN, '40', undefined]) expect(r.header({ video: 'audio-delay', ms } as { video: string })).toBeUndefined();
    expect(new VideoWireReader(FROM_ENGINE).header({ video: 'audio-delay', ms: 10 } as { video: string })).toBeUndefined();
  });

  it('forgets a half-read message on reset', () => {
    const r = new VideoWireReader(FROM_ENGINE);
    r.header({ video: 'frame', callId: 'c', width: 16, height: 16 } as { video: string });
    r.reset();
    expect(r.pending).toBe(false);
  });
});
