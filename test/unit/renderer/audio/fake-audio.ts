/**
 * Stand-ins for the page's WebAudio, microphone and engine link, shaped like the parts CallAudio
 * uses. They record what was asked of them, so tests assert what happened to the microphone, the
 * speaker and the link.
 */
import type { CallAudioDeps } from '../../../../renderer/src/audio/call-audio.ts';
import type { ToWorklet } from '../../../../renderer/src/audio/worklet-messages.ts';

export class FakeTrack {
  enabled = true;
  stopped = false;
  readonly kind = 'audio';
  readonly deviceId: string;
  constructor(deviceId: string) {
    this.deviceId = deviceId;
  }
  stop(): void {
    this.stopped = true;
  }
}

export class FakeStream {
  readonly tracks: FakeTrack[];
  constructor(deviceId: string) {
    this.tracks = [new FakeTrack(deviceId)];
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks;
  }
  getTracks(): FakeTrack[] {
    return this.tracks;
  }
}

class FakeAudioNode {
  readonly connections: unknown[] = [];
  disconnected = false;
  connect(to: unknown): void {
    this.connections.push(to);
  }
  disconnect(): void {
    this.disconnected = true;
  }
}

/** The worklet node's port: records what CallAudio says; answers 'bye' as the worklet does. */
export class FakeNodePort {
  readonly sent: Array<{ msg: ToWorklet; transfer: unknown[] }> = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  closed = false;
  /** Whether the worklet answers 'bye' with 'closed' (it does, unless a test says otherwise). */
  answersBye = true;
  postMessage(msg: ToWorklet, transfer: unknown[] = []): void {
    this.sent.push({ msg, transfer });
    if (msg.type === 'bye' && this.answersBye) queueMicrotask(() => this.onmessage?.({ data: { type: 'closed' } }));
  }
  close(): void {
    this.closed = true;
  }
  /** The worklet speaks (levels). */
  emit(data: unknown): void {
    this.onmessage?.({ data });
  }
}

export class FakeWorkletNode extends FakeAudioNode {
  readonly port = new FakeNodePort();
}

export class FakeSource extends FakeAudioNode {
  readonly stream: FakeStream;
  constructor(stream: FakeStream) {
    super();
    this.stream = stream;
  }
}

export class FakeBufferSource extends FakeAudioNode {
  buffer: { samples?: Float32Array } | null = null;
  loop = false;
  started = false;
  stopped = false;
  start(): void {
    this.started = true;
  }
  stop(): void {
    this.stopped = true;
  }
}

export class FakeContext {
  readonly destination = { name: 'destination' };
  readonly sampleRate: number;
  /** What a real context reports (s): the lip-sync delay the page tells the engine adds them. */
  baseLatency = 0.01;
  outputLatency = 0.02;
  readonly modules: string[] = [];
  readonly sinkIds: string[] = [];
  readonly sources: FakeSource[] = [];
  readonly tones: FakeBufferSource[] = [];
  closed = false;
  resumed = false;
  /** Sink ids that setSinkId refuses (a device that is gone). */
  missingSinks = new Set<string>();
  readonly audioWorklet = {
    addModule: async (url: string) => {
      this.modules.push(url);
    },
  };
  readonly options: AudioContextOptions;
  constructor(options: AudioContextOptions) {
    this.options = options;
    this.sampleRate = options.sampleRate ?? 44100;
  }
  async setSinkId(id: string): Promise<void> {
    this.sinkIds.push(id);
    if (this.missingSinks.has(id)) throw Object.assign(new Error('gone'), { name: 'NotFoundError' });
  }
  createMediaStreamSource(stream: FakeStream): FakeSource {
    const s = new FakeSource(stream);
    this.sources.push(s);
    return s;
  }
  createBuffer(_channels: number, length: number, _rate: number) {
    const buffer = { length, samples: undefined as Float32Array | undefined, copyToChannel: (s: Float32Array) => void (buffer.samples = s) };
    return buffer;
  }
  createBufferSource(): FakeBufferSource {
    const b = new FakeBufferSource();
    this.tones.push(b);
    return b;
  }
  createGain(): FakeAudioNode {
    return new FakeAudioNode();
  }
  async resume(): Promise<void> {
    this.resumed = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface FakeAudio {
  deps: CallAudioDeps;
  contexts: FakeContext[];
  nodes: FakeWorkletNode[];
  streams: FakeStream[];
  /** Every getUserMedia constraint, in order. */
  asked: MediaTrackConstraints[];
  /** Links handed to the engine. */
  links: Array<{ port: unknown; sampleRate: number }>;
  /** Microphones present ('default' is always there unless `noMicrophone`). */
  microphones: Set<string>;
  /** What getUserMedia throws next (once), e.g. a NotAllowedError. */
  refuseNext?: { name: string; message: string };
  noMicrophone: boolean;
  /** The current stream (last opened, not stopped). */
  live(): FakeStream | undefined;
}

export function fakeAudio(): FakeAudio {
  const f: FakeAudio = {
    contexts: [],
    nodes: [],
    streams: [],
    asked: [],
    links: [],
    microphones: new Set(['mic-a', 'mic-b']),
    noMicrophone: false,
    live: () => f.streams.filter((s) => !s.tracks[0].stopped).at(-1),
    deps: {
      createContext: (o) => {
        const c = new FakeContext(o);
        f.contexts.push(c);
        return c as unknown as AudioContext;
      },
      getUserMedia: async (constraints) => {
        const audio = constraints.audio as MediaTrackConstraints;
        f.asked.push(audio);
        if (f.refuseNext) {
          const e = f.refuseNext;
          f.refuseNext = undefined;
          throw Object.assign(new Error(e.message), { name: e.name });
        }
        if (f.noMicrophone) throw Object.assign(new Error('Requested device not found'), { name: 'NotFoundError' });
        const exact = (audio.deviceId as { exact?: string } | undefined)?.exact;
        if (exact && !f.microphones.has(exact)) throw Object.assign(new Error('no such device'), { name: 'OverconstrainedError' });
        const s = new FakeStream(exact ?? 'default');
        f.streams.push(s);
        return s as unknown as MediaStream;
      },
      createNode: () => {
        const n = new FakeWorkletNode();
        f.nodes.push(n);
        return n as unknown as AudioWorkletNode;
      },
      createChannel: () => ({ port1: { name: 'port1' }, port2: { name: 'port2' } }) as unknown as MessageChannel,
      connect: (port, sampleRate) => void f.links.push({ port, sampleRate }),
      moduleUrl: '/assets/device-worklet.js',
      byeTimeoutMs: 1000,
    },
  };
  return f;
}
