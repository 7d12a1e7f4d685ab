import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaEngine, MediaEngineError } from '../../../main/media/media-engine.ts';
import type { MediaEvent, StreamSpec } from '../../../main/media/media-protocol.ts';
import { FakeScheduler, fakeNative } from './helpers/fake-native.ts';
import { goertzelPower, readWav } from '../../helpers/audio-analysis.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

function setup() {
  const sched = new FakeScheduler();
  const events: MediaEvent[] = [];
  const make = () => new MediaEngine({ onEvent: (e) => events.push(e), native: fakeNative(), scheduler: sched, srtpSuites: async () => ['AES_CM_128_HMAC_SHA1_80'] });
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 20) {
      sched.advance(20);
      await settle();
    }
  };
  return { here: make(), there: make(), events, run };
}

const spec = (over: Partial<StreamSpec>): StreamSpec => ({
  localAddress: '127.0.0.1',
  portRange: { min: 40000, max: 49998 },
  remote: { address: '127.0.0.1', rtpPort: 9 },
  rtcpMux: true,
  codec: { name: 'pcmu', payloadType: 0 },
  telephoneEventPt: 101,
  source: { kind: 'silence' },
  sink: { kind: 'silence' },
  ...over,
});

/** Relative power of `f` in the last second of a WAV (1 = a full-scale sine). */
function powerAt(path: string, f: number): number {
  const wav = readWav(path);
  const x = wav.channels[0];
  return goertzelPower(x.subarray(x.length - 8000), 8000, f);
}

describe('MediaEngine', () => {
  it('after shutdown makes nothing: a stream asked for before it is stopped, later ones refused', async () => {
    const { here } = setup();
    // The stream's request comes first and is still starting when the engine shuts down.
    const made = here.handle({ type: 'create-stream', streamId: 'early', spec: spec({}) });
    await here.handle({ type: 'shutdown' });
    await expect(made).rejects.toThrow(/shut down/);
    await expect(here.handle({ type: 'get-stats', streamId: 'early' })).rejects.toThrow(/no stream/);
    await expect(here.handle({ type: 'create-stream', streamId: 'late', spec: spec({}) })).rejects.toThrow(/shut down/);
    await expect(here.handle({ type: 'reserve-ports', localAddress: '127.0.0.1' })).rejects.toThrow(/shut down/);
  });

  it('answers requests: create, stats, DTMF, record, stop; errors name the argument', async () => {
    const { here, there, events, run } = setup();
    const a = await here.handle({ type: 'create-stream', streamId: 'a', spec: spec({ source: { kind: 'tone', frequencies: [800], levelDb: -10 } }) });
    const b = await there.handle({ type: 'create-stream', streamId: 'b', spec: spec({ remote: { address: '127.0.0.1', rtpPort: a.localPort } }) });
    await here.handle({ type: 'update-remote', streamId: 'a', remote: { address: '127.0.0.1', rtpPort: b.localPort } });
    const recording = join(dir, 'rec.wav');
    await there.handle({ type: 'record', streamId: 'b', path: recording });
    // Answered once the digits have left: time has to pass first.
    let dtmfAnswered = false;
    const dtmf = here.handle({ type: 'send-dtmf', streamId: 'a', digits: '42' }).then(() => (dtmfAnswered = true));
    await run(100);
    expect(dtmfAnswered).toBe(false);
    await run(1100);
    await dtmf;
    await there.handle({ type: 'record', streamId: 'b', path: null });
    const stats = await there.handle({ type: 'get-stats', streamId: 'b' });
    expect(stats.packetsReceived).toBeGreaterThan(40);
    expect(events.filter((e) => e.type === 'dtmf').map((e) => (e.type === 'dtmf' ? e.dtmf.digit : '')).join('')).toBe('42');
    expect(events.some((e) => e.type === 'stats' && e.streamId === 'b')).toBe(true);
    const wav = readWav(recording);
    expect(wav.channels.length).toBe(2);
    expect(goertzelPower(wav.channels[1].subarray(-4000), 8000, 800)).toBeGreaterThan(0.01);

    await expect(here.handle({ type: 'get-stats', streamId: 'nope' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(here.handle({ type: 'create-stream', streamId: 'a', spec: spec({}) })).rejects.toThrow(/already exists/);
    await expect(here.handle({ type: 'send-dtmf', streamId: 'a', digits: 'z' })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(here.handle({ type: 'create-stream', streamId: 'x', spec: spec({ source: { kind: 'wav', path: join(dir, 'missing.wav') } }) })).rejects.toThrow(/source.path/);
    await expect(here.handle({ type: 'create-stream', streamId: 'y', spec: spec({ source: { kind: 'device' } }) })).rejects.toThrow(/device/);
    await expect(here.handle({ type: 'capabilities' })).resolves.toEqual({ codecs: ['pcmu'], srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] });
    await expect(here.handle({ type: 'bogus' } as never)).rejects.toBeInstanceOf(MediaEngineError);
    await here.shutdown();
    await there.shutdown();
  });

  it('mixes a local conference: each member hears the others and the local user, not itself', async () => {
    const { here, there, run } = setup();
    // Three remote parties (on `there`), each playing its own tone and recording what it hears.
    const tones = [500, 1000, 1500];
    const LOCAL = 2000;
    const recordings = tones.map((_, i) => join(dir, `party-${i}.wav`));
    const localHears = join(dir, 'local.wav');
    for (let i = 0; i < 3; i++) {
      const mine = await here.handle({ type: 'create-stream', streamId: `call${i}`, spec: spec({}) });
      const theirs = await there.handle({
        type: 'create-stream',
        streamId: `party${i}`,
        spec: spec({ remote: { address: '127.0.0.1', rtpPort: mine.localPort }, source: { kind: 'tone', frequencies: [tones[i]], levelDb: -20 }, sink: { kind: 'wav', path: recordings[i] } }),
      });
      await here.handle({ type: 'update-remote', streamId: `call${i}`, remote: { address: '127.0.0.1', rtpPort: theirs.localPort } });
    }
    const r = await here.handle({
      type: 'conference',
      conferenceId: 'c',
      streamIds: ['call0', 'call1', 'call2'],
      local: { source: { kind: 'tone', frequencies: [LOCAL], levelDb: -20 }, sink: { kind: 'wav', path: localHears, sampleRate: 8000 } },
    });
    expect(r.members).toEqual(['call0', 'call1', 'call2']);
    await run(2000);
    await here.handle({ type: 'end-conference', conferenceId: 'c' });
    for (let i = 0; i < 3; i++) await there.handle({ type: 'stop-stream', streamId: `party${i}` });
    const present = 0.3 * 10 ** (-20 / 10); // a −20 dBFS tone has power 0.01; allow codec and mix losses
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 3; k++) {
        const p = powerAt(recordings[i], tones[k]);
        if (k === i) expect(p, `party ${i} must not hear itself`).toBeLessThan(present / 20);
        else expect(p, `party ${i} hears party ${k}`).toBeGreaterThan(present);
      }
      expect(powerAt(recordings[i], LOCAL), `party ${i} hears the local user`).toBeGreaterThan(present);
    }
    await here.shutdown(); // closes the local sink
    for (const f of tones) expect(powerAt(localHears, f)).toBeGreaterThan(present);
    expect(powerAt(localHears, LOCAL)).toBeLessThan(present / 20);
    await there.shutdown();
  });
});
