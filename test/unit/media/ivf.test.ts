/** IVF files as libvpx and ffmpeg write them: our writer's output is read back by ffprobe. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { i420Size, VideoEncoder } from '../../../native/video.ts';
import { ivfFileHeader, ivfFrame, readIvf } from '../../../main/media/video/ivf.ts';

describe('IVF', () => {
  it('a VP8 stream written here is what ffprobe reads: codec, size and frame count', () => {
    const enc = new VideoEncoder('vp8', { width: 160, height: 120, fps: 30, bitrateKbps: 200 });
    const parts: Uint8Array[] = [ivfFileHeader({ fourcc: 'VP80', width: 160, height: 120, timebase: { numerator: 1, denominator: 90000 }, frameCount: 30 })];
    for (let n = 0; n < 30; n++) {
      const frame = new Uint8Array(i420Size(160, 120)).fill(16 + n * 4);
      for (const out of enc.encode(frame)) parts.push(ivfFrame(out.data, n * 3000));
    }
    enc.close();
    const file = join(mkdtempSync(join(tmpdir(), 'appel-ivf-')), 'out.ivf');
    const bytes = Buffer.concat(parts);
    writeFileSync(file, bytes);
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' }),
    ) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> };
    expect(probe.streams[0]).toMatchObject({ codec_name: 'vp8', width: 160, height: 120, nb_read_frames: '30' });
    const back = readIvf(new Uint8Array(bytes));
    expect(back.header).toMatchObject({ fourcc: 'VP80', width: 160, height: 120, frameCount: 30 });
    expect(back.frames.map((f) => f.timestamp)).toEqual(Array.from({ length: 30 }, (_, n) => n * 3000));
  });

  it('refuses what is not IVF, and a frame that overruns the file', () => {
    expect(() => readIvf(new Uint8Array(40))).toThrow(/not an IVF file/);
    const head = ivfFileHeader({ fourcc: 'VP80', width: 2, height: 2, timebase: { numerator: 1, denominator: 30 }, frameCount: 1 });
    const frame = ivfFrame(new Uint8Array(10), 0).subarray(0, 15);
    expect(() => readIvf(new Uint8Array([...head, ...frame]))).toThrow(/overruns/);
  });
});
