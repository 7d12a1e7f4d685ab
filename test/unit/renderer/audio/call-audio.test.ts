import { describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { CallAudio, problemOf, type CallAudioSettings } from '../../../../renderer/src/audio/call-audio.ts';
import { fakeAudio } from './fake-audio.ts';

const settings = (over: Partial<CallAudioSettings> = {}): CallAudioSettings => ({
  inputDeviceId: 'default',
  outputDeviceId: 'default',
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  ...over,
});

async function started(over: Partial<CallAudioSettings> = {}) {
  const f = fakeAudio();
  const audio = new CallAudio(f.deps);
  await audio.start(settings(over));
  return { f, audio, ctx: f.contexts[0], node: f.nodes[0] };
}

describe('CallAudio', () => {
  it('opens a 48 kHz interactive context, the worklet, the link and the microphone', async () => {
    const { f, audio, ctx, node } = await started({ inputDeviceId: 'mic-b', outputDeviceId: 'spk-2', echoCancellation: false });
    expect(ctx.options).toEqual({ sampleRate: 48000, latencyHint: 'interactive' });
    expect(ctx.modules).toEqual(['/assets/device-worklet.js']);
    expect(f.asked).toEqual([{ deviceId: { exact: 'mic-b' }, echoCancellation: false, noiseSuppression: true, autoGainControl: true, channelCount: 1 }]);
    // mic → worklet → speaker
    expect(ctx.sources[0].stream).toBe(f.streams[0]);
    expect(ctx.sources[0].connections).toEqual([node]);
    expect(node.connections).toEqual([ctx.destination]);
    expect(ctx.sinkIds).toEqual(['spk-2']);
    // One end of the channel to the worklet (transferred), the other to the engine.
    expect(node.port.sent[0].msg).toEqual({ type: 'link', port: { name: 'port1' } });
    expect(node.port.sent[0].transfer).toEqual([{ name: 'port1' }]);
    expect(f.links).toEqual([{ port: { name: 'port2' }, sampleRate: 48000 }]);
    expect(audio.running.value).toBe(true);
    expect(audio.problem.value).toBeUndefined();
  });

  it("the system default output is setSinkId('')", async () => {
    const { ctx } = await started();
    expect(ctx.sinkIds).toEqual(['']);
  });

  it('mute disables the track (the engine hears silence); unmute enables it', async () => {
    const { f, audio } = await started();
    audio.setMuted(true);
    expect(f.live()!.tracks[0].enabled).toBe(false);
    audio.setMuted(false);
    expect(f.live()!.tracks[0].enabled).toBe(true);
  });

  it('a microphone opened while muted starts disabled', async () => {
    const f = fakeAudio();
    const audio = new CallAudio(f.deps);
    audio.setMuted(true);
    await audio.start(settings());
    expect(f.live()!.tracks[0].enabled).toBe(false);
  });

  it("stop says 'bye' through the worklet, stops the microphone and closes the context", async () => {
    const { f, audio, ctx, node } = await started();
    await audio.stop();
    expect(node.port.sent.map((s) => s.msg.type)).toEqual(['link', 'bye']);
    expect(node.port.closed).toBe(true);
    expect(f.streams[0].tracks[0].stopped).toBe(true);
    expect(ctx.closed).toBe(true);
    expect(audio.running.value).toBe(false);
    expect(audio.isStarted).toBe(false);
  });

  it("stop closes the context even when the worklet never answers 'bye'", async () => {
    const f = fakeAudio();
    const audio = new CallAudio({ ...f.deps, byeTimeoutMs: 0 });
    await audio.start(settings());
    f.nodes[0].port.answersBye = false;
    await audio.stop();
    expect(f.contexts[0].closed).toBe(true);
  });

  it('a stop during start leaves nothing open', async () => {
    const f = fakeAudio();
    const audio = new CallAudio(f.deps);
    const starting = audio.start(settings());
    await audio.stop();
    await starting;
    await flushPromises();
    expect(f.contexts[0].closed).toBe(true);
    expect(f.streams.every((s) => s.tracks[0].stopped)).toBe(true);
    expect(f.links).toHaveLength(0);
  });

  it('keeps a refused permission as a problem, not a throw, and still plays what it receives', async () => {
    const f = fakeAudio();
    f.refuseNext = { name: 'NotAllowedError', message: 'Permission denied' };
    const audio = new CallAudio(f.deps);
    await expect(audio.start(settings())).resolves.toBeUndefined();
    expect(audio.problem.value).toEqual({ key: 'permission' });
    expect(audio.running.value).toBe(true);
    expect(f.links).toHaveLength(1);
  });

  it('says when there is no microphone at all', async () => {
    const f = fakeAudio();
    f.noMicrophone = true;
    const audio = new CallAudio(f.deps);
    await audio.start(settings());
    expect(audio.problem.value).toEqual({ key: 'noMicrophone' });
  });

  it('a chosen microphone that is gone falls back to the default one', async () => {
    const { f, audio } = await started({ inputDeviceId: 'mic-gone' });
    expect(f.asked.map((a) => (a.deviceId as { exact?: string } | undefined)?.exact)).toEqual(['mic-gone', undefined]);
    expect(f.live()!.tracks[0].deviceId).toBe('default');
    expect(audio.problem.value).toBeUndefined();
  });

  it('a new input device re-acquires the microphone without dropping the link', async () => {
    const { f, audio, ctx, node } = await started({ inputDeviceId: 'mic-a' });
    audio.setMuted(true);
    await audio.update(settings({ inputDeviceId: 'mic-b' }));
    expect(f.streams[0].tracks[0].stopped).toBe(true);
    expect(ctx.sources[0].disconnected).toBe(true);
    expect(f.live()!.tracks[0].deviceId).toBe('mic-b');
    expect(f.live()!.tracks[0].enabled).toBe(false); // still muted
    expect(ctx.sources[1].connections).toEqual([node]);
    expect(f.links).toHaveLength(1);
    expect(node.port.sent.map((s) => s.msg.type)).toEqual(['link']);
  });

  it('a voice-processing switch re-acquires with the new constraints', async () => {
    const { f, audio } = await started();
    await audio.update(settings({ noiseSuppression: false }));
    expect(f.asked.at(-1)).toMatchObject({ noiseSuppression: false, echoCancellation: true });
    expect(f.streams).toHaveLength(2);
  });

  it('a new output device moves the sound; a gone one leaves the default', async () => {
    const { f, audio, ctx } = await started();
    await audio.update(settings({ outputDeviceId: 'spk-2' }));
    ctx.missingSinks.add('spk-9');
    await audio.update(settings({ outputDeviceId: 'spk-9' }));
    expect(ctx.sinkIds).toEqual(['', 'spk-2', 'spk-9', '']);
    expect(f.streams).toHaveLength(1); // the microphone was left alone
  });

  it('shows the worklet levels as 0..1 refs, back to 0 after stop', async () => {
    const { audio, node } = await started();
    node.port.emit({ type: 'levels', capture: -30, playback: -6 });
    expect(audio.micLevel.value).toBeCloseTo(0.5);
    expect(audio.speakerLevel.value).toBeCloseTo(0.9);
    await audio.stop();
    expect(audio.micLevel.value).toBe(0);
    expect(audio.speakerLevel.value).toBe(0);
  });

  it("tells the engine how long its audio waits before the speaker (buffer + output latency), again only when that moves by 5 ms", async () => {
    const { node } = await started();
    const delays = () => node.port.sent.filter((s) => (s.msg as { type: string }).type === 'video').map((s) => (s.msg as { message: unknown }).message);
    node.port.emit({ type: 'levels', capture: -30, playback: -6, bufferedMs: 42.4 });
    // 42.4 ms buffered + 10 ms base + 20 ms output latency.
    expect(delays()).toEqual([{ video: 'audio-delay', ms: 72 }]);
    node.port.emit({ type: 'levels', capture: -30, playback: -6, bufferedMs: 45 });
    expect(delays()).toHaveLength(1);
    node.port.emit({ type: 'levels', capture: -30, playback: -6, bufferedMs: 30 });
    expect(delays()).toEqual([{ video: 'audio-delay', ms: 72 }, { video: 'audio-delay', ms: 60 }]);
  });

  it('plays the ringback tone in a loop when asked, and stops it', async () => {
    const { audio, ctx } = await started();
    audio.setRingback(true);
    const tone = ctx.tones[0];
    expect(tone.started).toBe(true);
    expect(tone.loop).toBe(true);
    expect((tone.buffer as unknown as { length: number }).length).toBe(5 * 48000);
    audio.setRingback(true);
    expect(ctx.tones).toHaveLength(1);
    audio.setRingback(false);
    expect(tone.stopped).toBe(true);
  });

  it('a ringback asked for before the start plays once the context is there', async () => {
    const f = fakeAudio();
    const audio = new CallAudio(f.deps);
    audio.setRingback(true);
    await audio.start(settings());
    expect(f.contexts[0].tones[0].started).toBe(true);
  });

  it('a worklet that cannot load is a problem in words and leaves nothing open', async () => {
    const f = fakeAudio();
    const deps = {
      ...f.deps,
      createContext: (o: AudioContextOptions) => {
        const c = f.deps.createContext!(o) as unknown as { audioWorklet: { addModule: (u: string) => Promise<void> } };
        c.audioWorklet.addModule = async () => {
          throw new Error('Unable to load a worklet');
        };
        return c as unknown as AudioContext;
      },
    };
    const audio = new CallAudio(deps);
    await audio.start(settings());
    expect(audio.problem.value).toEqual({ key: 'failed', reason: 'Unable to load a worklet' });
    expect(f.contexts[0].closed).toBe(true);
    expect(audio.isStarted).toBe(false);
    expect(f.asked).toHaveLength(0);
  });

  it.each([
    ['NotAllowedError', 'permission'],
    ['SecurityError', 'permission'],
    ['NotFoundError', 'noMicrophone'],
    ['NotReadableError', 'busy'],
    ['TypeError', 'unsupported'],
    ['WeirdError', 'failed'],
  ])('reads %s as %s', (name, key) => {
    expect(problemOf(Object.assign(new Error('x'), { name })).key).toBe(key);
  });
});
