import { describe, expect, it } from 'vitest';
import { PcmFifo } from '../../../../renderer/src/audio/pcm-fifo.ts';
import { CaptureFramer, toInt16 } from '../../../../renderer/src/audio/capture-framer.ts';
import { meterLevel, rmsDbfs, SILENCE_DBFS } from '../../../../renderer/src/audio/levels.ts';
import { ringbackPeriod } from '../../../../renderer/src/audio/ringback.ts';
import { pickDevice } from '../../../../renderer/src/audio/pick-device.ts';
import { DeviceLabels, type LabelStorage } from '../../../../renderer/src/audio/device-labels.ts';

const frame = (n: number, value: number) => new Int16Array(n).fill(value);
const quantum = () => new Float32Array(128);

describe('PcmFifo (playback)', () => {
  // 48 kHz: 40 ms to start, 150 ms at most (as the worklet sets it).
  const fifo = () => new PcmFifo({ startSamples: 1920, maxSamples: 7200 });

  it('plays silence until 40 ms are buffered, then the samples in order', () => {
    const f = fifo();
    f.push(frame(960, 16384));
    const out = quantum();
    f.pull(out);
    expect([...out].every((s) => s === 0)).toBe(true);
    expect(f.isPlaying).toBe(false);
    f.push(frame(960, -16384));
    f.pull(out);
    expect(f.isPlaying).toBe(true);
    expect(out[0]).toBe(0.5);
    expect(f.buffered).toBe(1920 - 128);
    // Past the first frame, the second one's samples.
    for (let i = 0; i < 7; i++) f.pull(out);
    expect(out[127]).toBe(-0.5);
  });

  it('pads an underrun with silence and prebuffers again', () => {
    const f = fifo();
    f.push(frame(1920, 8192));
    const out = quantum();
    for (let i = 0; i < 15; i++) f.pull(out); // 1920 = 15 × 128 exactly
    expect(f.buffered).toBe(0);
    f.pull(out);
    expect([...out].every((s) => s === 0)).toBe(true);
    expect(f.underruns).toBe(1);
    expect(f.isPlaying).toBe(false);
    f.push(frame(100, 8192));
    f.pull(out);
    expect(out[0]).toBe(0); // 100 samples are not 40 ms: still waiting
    f.push(frame(1900, 8192));
    f.pull(out);
    expect(out[0]).toBe(0.25);
  });

  it('a partial quantum plays what is left, then silence', () => {
    const f = new PcmFifo({ startSamples: 10, maxSamples: 100 });
    f.push(frame(50, 32767));
    const out = quantum();
    f.pull(out);
    expect(out[49]).toBeCloseTo(1, 3);
    expect(out[50]).toBe(0);
    expect(f.underruns).toBe(1);
  });

  it('bounds the backlog at 150 ms by dropping the oldest samples', () => {
    const f = fifo();
    for (let i = 0; i < 10; i++) f.push(frame(960, i * 100)); // 200 ms
    expect(f.buffered).toBe(7200);
    expect(f.dropped).toBe(9600 - 7200);
    const out = quantum();
    f.pull(out);
    // 2400 samples dropped: frames 0 and 1 and half of frame 2 are gone.
    expect(out[0]).toBe(200 / 32768);
    // The newest sample is still the last one out.
    for (let i = 0; i < 7200 / 128 - 1; i++) f.pull(out);
    f.pull(new Float32Array(7200 - Math.floor(7200 / 128) * 128));
    expect(f.buffered).toBe(0);
  });

  it('keeps only the newest part of a frame longer than the whole buffer', () => {
    const f = new PcmFifo({ startSamples: 4, maxSamples: 8 });
    f.push(Int16Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => v * 1024)));
    const out = new Float32Array(8);
    f.pull(out);
    expect([...out].map((s) => Math.round(s * 32)).join()).toBe('3,4,5,6,7,8,9,10');
  });
});

describe('CaptureFramer (capture)', () => {
  it('makes 960-sample PCM16 blocks from 128-sample quanta, each a fresh buffer', () => {
    const blocks: Int16Array[] = [];
    const framer = new CaptureFramer({ blockSamples: 960, emit: (b) => blocks.push(b) });
    const ch = new Float32Array(128).fill(0.5);
    for (let i = 0; i < 15; i++) framer.write([ch], 128); // 1920 samples
    expect(blocks.map((b) => b.length)).toEqual([960, 960]);
    expect(blocks[0][0]).toBe(16384);
    expect(blocks[0].buffer).not.toBe(blocks[1].buffer);
  });

  it('mixes the channels to mono and clips', () => {
    const blocks: Int16Array[] = [];
    const framer = new CaptureFramer({ blockSamples: 4, emit: (b) => blocks.push(b) });
    const energy = framer.write([Float32Array.from([1, 1, -1, 0.5]), Float32Array.from([1, 0, -1, -0.5])], 4);
    expect([...blocks[0]]).toEqual([32767, 16384, -32768, 0]);
    expect(energy).toBeCloseTo(1 + 0.25 + 1 + 0, 6);
  });

  it('counts no input (microphone being re-acquired) as silence, so the link keeps its pace', () => {
    const blocks: Int16Array[] = [];
    const framer = new CaptureFramer({ blockSamples: 256, emit: (b) => blocks.push(b) });
    framer.write([], 128);
    framer.write([], 128);
    expect(blocks).toHaveLength(1);
    expect(blocks[0].every((s) => s === 0)).toBe(true);
  });

  it('rounds samples to PCM16', () => {
    expect(toInt16(0)).toBe(0);
    expect(toInt16(-1)).toBe(-32768);
    expect(toInt16(2)).toBe(32767);
    expect(toInt16(1 / 32768)).toBe(1);
  });
});

describe('levels', () => {
  it('are RMS dBFS with a floor for silence', () => {
    expect(rmsDbfs(480, 480)).toBeCloseTo(0, 6); // full-scale square wave
    expect(rmsDbfs(0.01 * 480, 480)).toBeCloseTo(-20, 6);
    expect(rmsDbfs(0, 480)).toBe(SILENCE_DBFS);
    expect(rmsDbfs(1, 0)).toBe(SILENCE_DBFS);
  });

  it('show -60 dBFS and below as an empty meter, 0 dBFS as a full one', () => {
    expect(meterLevel(SILENCE_DBFS)).toBe(0);
    expect(meterLevel(-60)).toBe(0);
    expect(meterLevel(-30)).toBeCloseTo(0.5);
    expect(meterLevel(0)).toBe(1);
  });
});

describe('ringback tone', () => {
  const samples = ringbackPeriod({ sampleRate: 48000 });

  it('is one 5 s period: 1 s of tone, 4 s of silence', () => {
    expect(samples.length).toBe(5 * 48000);
    expect(samples.subarray(48000).every((s) => s === 0)).toBe(true);
    const peak = samples.subarray(0, 48000).reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(0.19);
    expect(peak).toBeLessThanOrEqual(0.2 + 1e-6); // float32
  });

  it('is 425 Hz (zero crossings over the tone second)', () => {
    let crossings = 0;
    for (let i = 1; i < 48000; i++) if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(848);
    expect(crossings).toBeLessThanOrEqual(851);
  });

  it('fades in and out (no click)', () => {
    expect(Math.abs(samples[0])).toBe(0);
    expect(Math.abs(samples[47999])).toBeLessThan(0.001);
  });
});

describe('pickDevice', () => {
  const devices = [
    { id: 'default', label: 'Default - USB Headset' },
    { id: 'a1', label: 'Built-in Microphone' },
    { id: 'u2', label: 'USB Headset' },
  ];

  it.each([
    ['the system default', { saved: 'default', devices }, { id: 'default', match: 'default' }],
    ['an empty id as the default', { saved: '', devices }, { id: 'default', match: 'default' }],
    ['the saved id when present', { saved: 'u2', savedLabel: 'USB Headset', devices }, { id: 'u2', match: 'id' }],
    ['the same label under a new id', { saved: 'u1', savedLabel: 'USB Headset', devices }, { id: 'u2', match: 'label' }],
    ['not the "Default - …" alias by its label', { saved: 'x', savedLabel: 'Default - USB Headset', devices }, { id: 'default', match: 'fallback' }],
    ['the default when the device is unplugged', { saved: 'u9', savedLabel: 'Bluetooth Earbuds', devices }, { id: 'default', match: 'fallback' }],
    ['the default when the label was never known', { saved: 'u9', devices }, { id: 'default', match: 'fallback' }],
    ['the saved id as it is before the page may see devices', { saved: 'u1', devices: [{ id: '', label: '' }] }, { id: 'u1', match: 'unknown' }],
    ['the saved id as it is with no list at all', { saved: 'u1', devices: [] }, { id: 'u1', match: 'unknown' }],
  ])('picks %s', (_what, opts, expected) => {
    expect(pickDevice(opts)).toEqual(expected);
  });

  it('goes back to the chosen device when it is plugged in again', () => {
    const chosen = { saved: 'u2', savedLabel: 'USB Headset' };
    const unplugged = devices.filter((d) => d.id !== 'u2');
    expect(pickDevice({ ...chosen, devices: unplugged }).id).toBe('default');
    expect(pickDevice({ ...chosen, devices }).id).toBe('u2');
  });
});

describe('DeviceLabels', () => {
  const storage = (): LabelStorage & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  };

  it('remembers the label each id was seen with, across instances', () => {
    const s = storage();
    new DeviceLabels(s).remember([
      { id: 'u2', label: 'USB Headset' },
      { id: '', label: '' },
      { id: 'default', label: 'Default - USB Headset' },
    ]);
    const again = new DeviceLabels(s);
    expect(again.labelOf('u2')).toBe('USB Headset');
    expect(again.labelOf('default')).toBeUndefined();
    expect(again.labelOf('zz')).toBeUndefined();
  });

  it('survives broken storage content', () => {
    const s = storage();
    s.setItem('appel.audio.device-labels', '{not json');
    const labels = new DeviceLabels(s);
    expect(labels.labelOf('u2')).toBeUndefined();
    labels.remember([{ id: 'u2', label: 'USB Headset' }]);
    expect(labels.labelOf('u2')).toBe('USB Headset');
  });

  it('keeps a bounded number of devices, forgetting the oldest', () => {
    const labels = new DeviceLabels(storage());
    for (let i = 0; i < 70; i++) labels.remember([{ id: `d${i}`, label: `Device ${i}` }]);
    expect(labels.labelOf('d0')).toBeUndefined();
    expect(labels.labelOf('d69')).toBe('Device 69');
    expect(labels.labelOf('d6')).toBe('Device 6');
  });
});
