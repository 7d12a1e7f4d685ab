/**
 * Video calls between Appel (its command line) and a real baresip 1.0 (Debian's, modules vp8,
 * fakevideo, snapshot), direct on loopback in this file's own network namespace. Each side's
 * picture is checked where the other side saw it: baresip's snapshot of what it received shows
 * Appel's colour bars; Appel's recording of baresip's video decodes (ffprobe) to baresip's frames.
 * Waits end on events (answered, video, N frames), each bounded.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NetNs } from './lab/netns.ts';
import { Baresip } from './lab/baresip.ts';
import { AppelProcess } from './lab/appel-cli.ts';
import { TEST_PATTERN_BARS } from '../../main/media/video/video-sources.ts';

let ns: NetNs;
let bob: Baresip;
/** baresip with SDES-SRTP required (RFC 4568), video too. */
let carol: Baresip;

beforeAll(async () => {
  ns = await NetNs.create();
  bob = new Baresip(ns, { user: 'bob', registrar: null, sipPort: 5062, ctrlPort: 6062, autoAnswer: true, video: true });
  carol = new Baresip(ns, { user: 'carol', registrar: null, sipPort: 5064, ctrlPort: 6064, autoAnswer: true, video: true, srtp: 'srtp-mand' });
  await Promise.all([bob.start(), carol.start()]);
});

afterAll(async () => {
  await Promise.all([bob?.stop(), carol?.stop()]);
  await ns?.close();
});

/** Frames ffprobe decodes from a recording, and its size. */
function probe(path: string): { frames: number; width: number; height: number; codec: string } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path], { encoding: 'utf8' });
  const s = (JSON.parse(out) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> }).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, codec: s.codec_name };
}

/** The RGB of a picture's pixels (a PNG or one frame of a video), through ffmpeg. */
function rgb(path: string, width: number, height: number): Uint8Array {
  return new Uint8Array(execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', '1', '-s', `${width}x${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 }));
}

/** Our bars as RGB (BT.601 studio range → full range), to compare with what the other side shows. */
function barRgb(bar: number): [number, number, number] {
  const [y, u, v] = TEST_PATTERN_BARS[bar];
  const c = 1.164 * (y - 16);
  const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
  return [clamp(c + 1.596 * (v - 128)), clamp(c - 0.392 * (u - 128) - 0.813 * (v - 128)), clamp(c + 2.017 * (u - 128))];
}

/** The snapshot shows Appel's eight bars, in order, each within `tolerance` per channel. */
function expectBars(png: string, tolerance = 40): void {
  const W = 320;
  const H = 180;
  const px = rgb(png, W, H);
  for (let bar = 0; bar < 8; bar++) {
    const x = Math.floor(((bar + 0.5) * W) / 8);
    const at = (Math.floor(H / 4) * W + x) * 3;
    const want = barRgb(bar);
    const got = [px[at], px[at + 1], px[at + 2]];
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c]), `bar ${bar}: got rgb(${got.join(',')}), sent rgb(${want.join(',')})`).toBeLessThan(tolerance);
  }
}

/** baresip's fakevideo: red, green and blue vertical thirds. */
function expectBaresipPattern(recording: string): void {
  const W = 96;
  const H = 48;
  const px = rgb(recording, W, H);
  const want: Array<[number, number, number]> = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  want.forEach((colour, third) => {
    const at = ((H / 2) * W + Math.floor(((third + 0.5) * W) / 3)) * 3;
    const got = [px[at], px[at + 1], px[at + 2]];
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - colour[c]), `third ${third}: rgb(${got.join(',')})`).toBeLessThan(40);
  });
}

async function snapshot(name: string): Promise<string> {
  const path = join(ns.dir, name);
  await bob.command('snapshot_recv', path);
  const end = Date.now() + 5_000;
  while (!(existsSync(path) && statSync(path).size > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return path;
}

describe('Appel ↔ baresip video (VP8)', () => {
  it('Appel calls with video: both pictures arrive, baresip shows Appel\'s bars, Appel records baresip\'s frames', async () => {
    const rec = join(ns.dir, 'from-bob.ivf');
    const alice = new AppelProcess(ns, ['call', bob.directUri, '--listen', 'udp:127.0.0.1:5070', '--video-source', 'testsrc', '--record-video', rec, '--duration', '5']);
    try {
      const video = await alice.event('video', 0, 15_000);
      expect(video).toMatchObject({ active: true, codec: 'vp8', sending: true, receiving: true });
      const stats = await alice.waitEvent((e) => e.event === 'stats' && Number((e.video as { received?: { fps: number } } | undefined)?.received?.fps ?? 0) > 10, 10_000);
      expect(stats.video).toMatchObject({ codec: 'vp8', sent: { width: 848, height: 480 }, received: { width: 640, height: 480 } });
      const png = await snapshot('bob-saw.png');
      expectBars(png);
      await alice.event('ended', 0, 15_000);
    } finally {
      await alice.stop();
    }
    const p = probe(rec);
    expect(p).toMatchObject({ codec: 'vp8', width: 640, height: 480 });
    // 25 fps for about 5 s, from the first key frame.
    expect(p.frames).toBeGreaterThan(90);
    expectBaresipPattern(rec);
  });

  it('baresip calls Appel (listen --video, auto-answer): the same, the other way round', async () => {
    const rec = join(ns.dir, 'dave-{n}.ivf');
    const dave = new AppelProcess(ns, ['listen', '--listen', 'udp:127.0.0.1:5080', '--auto-answer', '--video-source', 'testsrc', '--record-video', rec]);
    try {
      await dave.event('listening');
      const since = bob.eventCount;
      await bob.dial('sip:dave@127.0.0.1:5080');
      const offered = await dave.event('video-offered', 0, 10_000);
      const video = await dave.wait((e) => e.event === 'video' && e.active === true, 'video', 10_000);
      expect(video).toMatchObject({ codec: 'vp8', sending: true, receiving: true, callId: offered.callId });
      await dave.wait((e) => e.event === 'stats' && Number((e.video as { received?: { fps: number } } | undefined)?.received?.fps ?? 0) > 10, 'video frames from baresip', 10_000);
      expectBars(await snapshot('bob-saw-dave.png'));
      await bob.hangup();
      await dave.event('ended', 0, 10_000);
      await bob.waitFor('CALL_CLOSED', 5_000, since);
    } finally {
      await dave.stop();
    }
    const file = rec.replace('{n}', '1');
    expect(probe(file).frames).toBeGreaterThan(25);
    expectBaresipPattern(file);
  });

  it('video added to an audio call and removed again by re-INVITE (RFC 3264 §8): the call and its audio go on', async () => {
    const alice = new AppelProcess(ns, ['call', bob.directUri, '--listen', 'udp:127.0.0.1:5072', '--video-source', 'testsrc', '--duration', '30'], {}, { stdin: true });
    try {
      // --video-source without --video in the dial would still be a video call: start audio-only by removing it first.
      const first = await alice.wait((e) => e.event === 'video' && e.active === true, 'video at the start', 15_000);
      expect(first).toMatchObject({ codec: 'vp8' });
      let mark = alice.mark;
      alice.send('video off');
      await alice.wait((e) => e.event === 'video' && e.active === false, 'video removed', 10_000, mark);
      const audio = await alice.wait((e) => e.event === 'stats' && e.video === undefined && Number(e.packetsReceived) > 0, 'audio stats without video', 10_000, alice.mark);
      expect(audio).toMatchObject({ codec: expect.any(String) });
      mark = alice.mark;
      alice.send('video on');
      await alice.wait((e) => e.event === 'video' && e.active === true, 'video added again', 10_000, mark);
      await alice.wait((e) => e.event === 'stats' && Number((e.video as { received?: { fps: number } } | undefined)?.received?.fps ?? 0) > 10, 'frames again', 10_000, mark);
      const again = await snapshot('bob-saw-again.png');
      if (!existsSync(again)) console.log(bob.log.slice(-3000), JSON.stringify(alice.events.filter((e) => e.event === 'stats').slice(-2)));
      expectBars(again);
      mark = alice.mark;
      alice.send('hangup');
      const ended = await alice.event('ended', mark, 10_000);
      expect(ended).toMatchObject({ by: 'local' });
      expect(alice.events.some((e) => e.event === 'ended' && e.by === 'remote')).toBe(false);
    } finally {
      await alice.stop();
    }
  });

  it('SDES-SRTP covers the video too (baresip requires it)', async () => {
    const alice = new AppelProcess(ns, ['call', carol.directUri, '--listen', 'udp:127.0.0.1:5074', '--srtp', 'mandatory', '--video-source', 'testsrc', '--duration', '4']);
    try {
      const answered = await alice.event('answered', 0, 15_000);
      expect(answered).toMatchObject({ srtp: true });
      await alice.wait((e) => e.event === 'video' && e.active === true, 'video', 10_000);
      await alice.wait((e) => e.event === 'stats' && Number((e.video as { received?: { fps: number } } | undefined)?.received?.fps ?? 0) > 10, 'decrypted video frames', 10_000);
      const path = join(ns.dir, 'carol-saw.png');
      await carol.command('snapshot_recv', path);
      const end = Date.now() + 5_000;
      while (!(existsSync(path) && statSync(path).size > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expectBars(path);
      await alice.event('ended', 0, 15_000);
    } finally {
      await alice.stop();
    }
  });

  it('a video call answered with audio only: the video is declined (port 0), the call goes on', async () => {
    const dave = new AppelProcess(ns, ['listen', '--listen', 'udp:127.0.0.1:5082', '--auto-answer']);
    try {
      await dave.event('listening');
      const since = bob.eventCount;
      await bob.dial('sip:dave@127.0.0.1:5082');
      await dave.event('video-offered', 0, 10_000);
      const answered = await dave.event('answered', 0, 10_000);
      expect(answered).toMatchObject({ codec: expect.any(String) });
      await dave.wait((e) => e.event === 'stats' && Number(e.packetsReceived) > 20, 'audio', 10_000);
      expect(dave.events.some((e) => e.event === 'video' && e.active === true)).toBe(false);
      expect(dave.events.filter((e) => e.event === 'stats').every((e) => e.video === undefined)).toBe(true);
      await bob.hangup();
      await dave.event('ended', 0, 10_000);
      await bob.waitFor('CALL_CLOSED', 5_000, since);
    } finally {
      await dave.stop();
    }
  });
});
