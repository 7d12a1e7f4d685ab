/**
 * The call's sound on this page: the microphone goes to the engine and what the engine receives
 * plays on the chosen speaker, through the 'appel-device' worklet and one MessageChannel
 * (api.ts, AUDIO_CONNECT):
 *
 *   microphone ─▶ MediaStreamSource ─▶ appel-device ─▶ destination (setSinkId: the output device)
 *                                          ▲ │ port1 (in the worklet)
 *                                          │ ▼
 *                                    port2 ─▶ connectAudio() ─▶ engine
 *
 * The same link carries the call's video (contract/video.ts): `sendVideo` passes a camera message
 * to the worklet, which holds the link, and the engine's frames come back to `onVideo`, checked.
 * Only while the link is up (`running`); an audio-only call sends nothing more.
 *
 * Failures (no microphone, permission refused, no WebAudio) are kept in `problem` as an i18n key
 * (`call.audio.problem.*`) for the call screen, never thrown: a call without a microphone still
 * plays what it receives. Everything the page makes is injectable, so tests run on fakes.
 */
import { ref } from 'vue';
import { AUDIO_LINK_RATE, connectAudio } from '../api.ts';
import { meterLevel, SILENCE_DBFS } from './levels.ts';
import { ringbackPeriod } from './ringback.ts';
import { DEVICE_PROCESSOR, type FromWorklet, type ToWorklet } from './worklet-messages.ts';
import { MAX_AUDIO_DELAY_MS, readVideoLinkMessage, type VideoLinkMessage } from '../../../main/contract/video.ts';
import deviceWorkletUrl from './device-worklet.ts?worker&url';

export interface CallAudioSettings {
  /** Device ids ('default': the system's). */
  inputDeviceId: string;
  outputDeviceId: string;
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
}

/** What went wrong, for people: `call.audio.problem.<key>` (with `{ reason }` for 'failed' only). */
export type AudioProblemKey = 'permission' | 'noMicrophone' | 'busy' | 'unsupported' | 'failed';
export interface AudioProblem {
  key: AudioProblemKey;
  reason?: string;
}

export interface CallAudioDeps {
  createContext?: (opts: AudioContextOptions) => AudioContext;
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  createNode?: (context: AudioContext) => AudioWorkletNode;
  createChannel?: () => MessageChannel;
  /** Hands the engine its end of the link (default: api.ts connectAudio). */
  connect?: (port: MessagePort, sampleRate: number) => void;
  /** The worklet's script (default: the bundled device-worklet). */
  moduleUrl?: string;
  /** How long stop() waits for the worklet to have said 'bye' before closing the context. */
  byeTimeoutMs?: number;
}

/** One start()..stop(): everything it made, released once. */
interface Session {
  closed: boolean;
  context?: AudioContext;
  node?: AudioWorkletNode;
  stream?: MediaStream;
  source?: AudioNode;
  ringback?: { source: AudioBufferSourceNode; gain: GainNode };
  settings: CallAudioSettings;
  /** The audio delay last told to the engine (ms). */
  audioDelayMs?: number;
}

/** A change of the audio delay smaller than this is not worth a message (ms). */
const AUDIO_DELAY_STEP_MS = 5;

export class CallAudio {
  /** Microphone (what is sent) and speaker (what is received) levels, 0..1, for meters. */
  readonly micLevel = ref(0);
  readonly speakerLevel = ref(0);
  /** The last failure, in i18n terms; cleared by a start or a re-acquire that works. */
  readonly problem = ref<AudioProblem>();
  /** The link to the engine is up. */
  readonly running = ref(false);

  /** Hears the engine's video messages ('frame', 'ended'), checked. */
  onVideo: ((message: VideoLinkMessage) => void) | undefined;

  private readonly deps: Required<CallAudioDeps>;
  private session: Session | undefined;
  private muted = false;
  private ringbackWanted = false;
  /** Serialises microphone changes (a second change waits for the first). */
  private changing: Promise<void> = Promise.resolve();

  constructor(deps: CallAudioDeps = {}) {
    this.deps = {
      createContext: deps.createContext ?? ((o) => new AudioContext(o)),
      getUserMedia: deps.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c)),
      createNode: deps.createNode ?? ((ctx) => new AudioWorkletNode(ctx, DEVICE_PROCESSOR, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] })),
      createChannel: deps.createChannel ?? (() => new MessageChannel()),
      connect: deps.connect ?? connectAudio,
      moduleUrl: deps.moduleUrl ?? deviceWorkletUrl,
      byeTimeoutMs: deps.byeTimeoutMs ?? 250,
    };
  }

  get isStarted(): boolean {
    return this.session !== undefined;
  }

  /** Opens the link, the speaker and the microphone. A second start while started does nothing. */
  async start(settings: CallAudioSettings): Promise<void> {
    if (this.session) return;
    const s: Session = { closed: false, settings: { ...settings } };
    this.session = s;
    this.problem.value = undefined;
    try {
      const context = this.deps.createContext({ sampleRate: AUDIO_LINK_RATE, latencyHint: 'interactive' });
      s.context = context;
      await context.audioWorklet.addModule(this.deps.moduleUrl);
      if (s.closed) return;
      const node = this.deps.createNode(context);
      s.node = node;
      node.port.onmessage = (e: MessageEvent<FromWorklet>) => this.heard(s, e.data);
      node.connect(context.destination);
      await this.sink(s, s.settings.outputDeviceId);
      if (s.closed) return;
      const channel = this.deps.createChannel();
      this.tell(node, { type: 'link', port: channel.port1 }, [channel.port1]);
      this.deps.connect(channel.port2, context.sampleRate);
      this.running.value = true;
      if (this.ringbackWanted) this.ringbackOn(s);
      // Autoplay rules may leave a new context suspended; a call is the user's own doing.
      void context.resume?.().catch(() => undefined);
    } catch (err) {
      if (s.closed) return;
      this.problem.value = { key: 'failed', reason: message(err) };
      await this.release(s);
      if (this.session === s) this.session = undefined;
      return;
    }
    await this.acquire(s);
  }

  /** Ends the link ('bye' to the engine), turns the microphone off and closes the context. */
  async stop(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    await this.release(s);
  }

  /**
   * A camera message to the engine on the link, its bytes transferred (the caller gives them up).
   * False, and nothing sent, while the link is down.
   */
  sendVideo(message: VideoLinkMessage): boolean {
    const node = this.session?.node;
    if (!node || !this.running.value) return false;
    this.tell(node, { type: 'video', message }, 'data' in message ? [message.data.buffer as ArrayBuffer] : []);
    return true;
  }

  /** Muted: the track is disabled, so the engine gets silence and the meter shows it. */
  setMuted(muted: boolean): void {
    this.muted = muted;
    for (const t of this.session?.stream?.getAudioTracks() ?? []) t.enabled = !muted;
  }

  /** The ringback tone on (an outgoing call rings without early media) or off. */
  setRingback(on: boolean): void {
    this.ringbackWanted = on;
    const s = this.session;
    if (!s || !s.node) return;
    if (on) this.ringbackOn(s);
    else this.ringbackOff(s);
  }

  /**
   * Settings changed during the call: a new input device or voice processing re-acquires the
   * microphone (the link stays up); a new output device moves the sound (setSinkId).
   */
  async update(settings: CallAudioSettings): Promise<void> {
    const s = this.session;
    if (!s) return;
    const before = s.settings;
    s.settings = { ...settings };
    const mic =
      before.inputDeviceId !== settings.inputDeviceId ||
      before.echoCancellation !== settings.echoCancellation ||
      before.noiseSuppression !== settings.noiseSuppression ||
      before.autoGainControl !== settings.autoGainControl;
    if (before.outputDeviceId !== settings.outputDeviceId && s.node) await this.sink(s, settings.outputDeviceId);
    if (mic && s.node) {
      const next = this.changing.then(() => (s.closed ? undefined : this.reacquire(s)));
      this.changing = next.catch(() => undefined);
      await next;
    }
  }

  private async reacquire(s: Session): Promise<void> {
    this.dropMic(s);
    await this.acquire(s);
  }

  private async acquire(s: Session): Promise<void> {
    if (s.closed) return;
    const { settings } = s;
    const audio = (deviceId?: string): MediaTrackConstraints => ({
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      echoCancellation: settings.echoCancellation,
      noiseSuppression: settings.noiseSuppression,
      autoGainControl: settings.autoGainControl,
      channelCount: 1,
    });
    const wanted = settings.inputDeviceId && settings.inputDeviceId !== 'default' ? settings.inputDeviceId : undefined;
    let stream: MediaStream;
    try {
      try {
        stream = await this.deps.getUserMedia({ audio: audio(wanted), video: false });
      } catch (err) {
        // The chosen microphone is gone: the system's default rather than no sound at all.
        if (!wanted || !['OverconstrainedError', 'NotFoundError'].includes(name(err))) throw err;
        stream = await this.deps.getUserMedia({ audio: audio(), video: false });
      }
    } catch (err) {
      if (!s.closed) this.problem.value = problemOf(err);
      return;
    }
    if (s.closed || this.session !== s || !s.context || !s.node) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    for (const t of stream.getAudioTracks()) t.enabled = !this.muted;
    s.stream = stream;
    s.source = s.context.createMediaStreamSource(stream);
    s.source.connect(s.node);
    this.problem.value = undefined;
  }

  private dropMic(s: Session): void {
    try {
      s.source?.disconnect();
    } catch {
      // Already disconnected.
    }
    s.stream?.getTracks().forEach((t) => t.stop());
    s.source = undefined;
    s.stream = undefined;
  }

  /** The context's output device; one that is gone leaves the system's default. */
  private async sink(s: Session, deviceId: string): Promise<void> {
    const ctx = s.context as (AudioContext & { setSinkId?: (id: string) => Promise<void> }) | undefined;
    if (!ctx || typeof ctx.setSinkId !== 'function') return;
    const id = deviceId === 'default' ? '' : deviceId;
    try {
      await ctx.setSinkId(id);
    } catch {
      if (id) await ctx.setSinkId('').catch(() => undefined);
    }
  }

  private heard(s: Session, msg: FromWorklet): void {
    if (s.closed) return;
    if (msg?.type === 'video') {
      const video = readVideoLinkMessage(msg.message);
      if (video && (video.video === 'frame' || video.video === 'ended')) this.onVideo?.(video);
      return;
    }
    if (msg?.type !== 'levels') return;
    this.micLevel.value = meterLevel(msg.capture);
    this.speakerLevel.value = meterLevel(msg.playback);
    this.reportAudioDelay(s, msg.bufferedMs);
  }

  /**
   * Lip sync at the speaker (contract/video.ts 'audio-delay'): call audio waits in the worklet's
   * buffer, then the output's own latency, before it is heard; the engine holds each picture as
   * much longer. Said again only when it moved by AUDIO_DELAY_STEP_MS or more.
   */
  private reportAudioDelay(s: Session, bufferedMs: number): void {
    if (!s.context || !Number.isFinite(bufferedMs)) return;
    const output = ((s.context.baseLatency ?? 0) + (s.context.outputLatency ?? 0)) * 1000;
    const ms = Math.min(MAX_AUDIO_DELAY_MS, Math.max(0, Math.round(bufferedMs + (Number.isFinite(output) ? output : 0))));
    if (s.audioDelayMs !== undefined && Math.abs(ms - s.audioDelayMs) < AUDIO_DELAY_STEP_MS) return;
    if (this.sendVideo({ video: 'audio-delay', ms })) s.audioDelayMs = ms;
  }

  private tell(node: AudioWorkletNode, msg: ToWorklet, transfer: Transferable[] = []): void {
    node.port.postMessage(msg, transfer);
  }

  private ringbackOn(s: Session): void {
    if (s.ringback || !s.context || !s.node) return;
    const ctx = s.context;
    const samples = ringbackPeriod({ sampleRate: ctx.sampleRate });
    const buffer = ctx.createBuffer(1, samples.length, ctx.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.loop = true;
    const gain = ctx.createGain();
    source.connect(gain);
    gain.connect(ctx.destination);
    source.start();
    s.ringback = { source, gain };
  }

  private ringbackOff(s: Session): void {
    const r = s.ringback;
    if (!r) return;
    s.ringback = undefined;
    try {
      r.source.stop();
      r.source.disconnect();
      r.gain.disconnect();
    } catch {
      // Never started or already gone.
    }
  }

  private async release(s: Session): Promise<void> {
    if (s.closed) return;
    s.closed = true;
    this.dropMic(s);
    this.ringbackOff(s);
    this.running.value = false;
    this.micLevel.value = meterLevel(SILENCE_DBFS);
    this.speakerLevel.value = meterLevel(SILENCE_DBFS);
    const node = s.node;
    if (node) {
      await this.bye(node);
      node.port.onmessage = null;
      node.port.close();
      try {
        node.disconnect();
      } catch {
        // Already disconnected.
      }
    }
    await s.context?.close().catch(() => undefined);
  }

  /** The worklet holds the link's port: it says 'bye' on it; wait for that (bounded). */
  private bye(node: AudioWorkletNode): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.deps.byeTimeoutMs);
      node.port.onmessage = (e: MessageEvent<FromWorklet>) => {
        if (e.data?.type !== 'closed') return;
        clearTimeout(timer);
        resolve();
      };
      this.tell(node, { type: 'bye' });
    });
  }
}

function name(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

function message(err: unknown): string {
  return (err as Error | undefined)?.message || String(err);
}

/** getUserMedia's DOMException names (Media Capture and Streams §9.2) in a person's terms. */
export function problemOf(err: unknown): AudioProblem {
  switch (name(err)) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return { key: 'permission' };
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return { key: 'noMicrophone' };
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return { key: 'busy' };
    case 'NotSupportedError':
    case 'TypeError':
      return { key: 'unsupported' };
    default:
      return { key: 'failed', reason: message(err) };
  }
}
