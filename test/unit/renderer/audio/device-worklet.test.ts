/**
 * The 'appel-device' processor as the audio thread runs it: the test stands in for the
 * AudioWorkletGlobalScope (sampleRate, registerProcessor, AudioWorkletProcessor) and drives
 * process() one 128-sample quantum at a time.
 */
import { beforeAll, describe, expect, it } from 'vitest';

class Port {
  readonly posted: Array<{ data: unknown; transfer: unknown[] }> = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  closed = false;
  postMessage(data: unknown, transfer: unknown[] = []): void {
    this.posted.push({ data, transfer });
  }
  close(): void {
    this.closed = true;
  }
  deliver(data: unknown): void {
    this.onmessage?.({ data });
  }
}

interface Processor {
  port: Port;
  process(inputs: Float32Array[][], outputs: Float32Array[][], params: Record<string, Float32Array>): boolean;
}

const registered = new Map<string, new () => Processor>();

beforeAll(async () => {
  const g = globalThis as Record<string, unknown>;
  g.sampleRate = 48000;
  g.AudioWorkletProcessor = class {
    readonly port = new Port();
  };
  g.registerProcessor = (name: string, ctor: new () => Processor) => registered.set(name, ctor);
  await import('../../../../renderer/src/audio/device-worklet.ts');
});

function setup() {
  const Ctor = registered.get('appel-device')!;
  const proc = new Ctor();
  const link = new Port();
  proc.port.deliver({ type: 'link', port: link });
  const run = (input: Float32Array[], quanta = 1) => {
    const out = new Float32Array(128);
    for (let i = 0; i < quanta; i++) expect(proc.process([input], [[out]], {})).toBe(true);
    return out;
  };
  return { proc, link, run };
}

describe('the appel-device worklet', () => {
  it('registers under its name', () => {
    expect(registered.has('appel-device')).toBe(true);
  });

  it('sends the microphone as 20 ms PCM16 blocks on the link, buffers transferred', () => {
    const { link, run } = setup();
    run([new Float32Array(128).fill(0.25), new Float32Array(128).fill(0.75)], 15);
    expect(link.posted).toHaveLength(2);
    const block = link.posted[0].data as Int16Array;
    expect(block).toBeInstanceOf(Int16Array);
    expect(block.length).toBe(960);
    expect(block[0]).toBe(16384); // the mean of the two channels
    expect(link.posted[0].transfer).toEqual([block.buffer]);
  });

  it('plays the engine frames after 40 ms, silence before', () => {
    const { link, run } = setup();
    link.deliver(new Int16Array(960).fill(8192));
    expect(run([])[0]).toBe(0);
    link.deliver(new Int16Array(960).fill(8192));
    link.deliver('not audio');
    expect(run([])[0]).toBe(0.25);
  });

  it('posts capture and playback levels in dBFS about every 100 ms', () => {
    const { proc, link, run } = setup();
    for (let i = 0; i < 10; i++) link.deliver(new Int16Array(960).fill(3277)); // 0.1 → -20 dBFS
    run([new Float32Array(128).fill(0.5)], 38); // 4864 samples ≥ 4800
    const levels = proc.port.posted.map((p) => p.data as { type: string; capture: number; playback: number }).filter((m) => m.type === 'levels');
    expect(levels).toHaveLength(1);
    expect(levels[0].capture).toBeCloseTo(-6.02, 1);
    expect(levels[0].playback).toBeCloseTo(-20, 1); // 200 ms were there already: it plays at once
  });

  it("on 'bye': says 'bye' on the link, closes it, answers 'closed', sends nothing more", () => {
    const { proc, link, run } = setup();
    proc.port.deliver({ type: 'bye' });
    expect(link.posted.map((p) => p.data)).toEqual(['bye']);
    expect(link.closed).toBe(true);
    expect(proc.port.posted.map((p) => p.data)).toContainEqual({ type: 'closed' });
    run([new Float32Array(128).fill(0.5)], 20);
    expect(link.posted).toHaveLength(1);
  });

  it('a new link replaces the old one (closed) and starts from an empty buffer', () => {
    const { proc, link, run } = setup();
    for (let i = 0; i < 3; i++) link.deliver(new Int16Array(960).fill(8192));
    const next = new Port();
    proc.port.deliver({ type: 'link', port: next });
    expect(link.closed).toBe(true);
    expect(run([])[0]).toBe(0);
    run([new Float32Array(128).fill(0.1)], 8);
    expect(next.posted).toHaveLength(1);
  });

  it("passes the call's video through, bytes transferred: camera messages onto the link, the engine's frames to the page", () => {
    const { proc, link } = setup();
    const cam = new Uint8Array(384);
    proc.port.deliver({ type: 'video', message: { video: 'camera', width: 16, height: 16, data: cam } });
    expect(link.posted.at(-1)).toEqual({ data: { video: 'camera', width: 16, height: 16, data: cam }, transfer: [cam.buffer] });
    proc.port.deliver({ type: 'video', message: { video: 'camera-off' } });
    expect(link.posted.at(-1)).toEqual({ data: { video: 'camera-off' }, transfer: [] });
    const frame = new Uint8Array(384);
    link.deliver({ video: 'frame', callId: 'c1', width: 16, height: 16, data: frame });
    expect(proc.port.posted.at(-1)).toEqual({ data: { type: 'video', message: { video: 'frame', callId: 'c1', width: 16, height: 16, data: frame } }, transfer: [frame.buffer] });
    link.deliver({ neither: 'audio nor video' });
    expect(proc.port.posted.filter((p) => (p.data as { type: string }).type === 'video')).toHaveLength(1);
  });
});

