/**
 * The 'appel-device' AudioWorkletProcessor: the renderer's end of the call audio link
 * (api.ts, AUDIO_CONNECT). It runs on the audio thread; CallAudio loads it by URL
 * (`device-worklet.ts?worker&url`, bundled to a same-origin file: the page's CSP allows
 * `script-src 'self'` only).
 *
 * - Capture: its one input, mixed to mono, goes out as Int16Array blocks of 20 ms on the link
 *   port (buffers transferred).
 * - Playback: Int16Array frames from the link port wait in a PcmFifo (40 ms before it starts,
 *   150 ms at most) and play on its one mono output; silence on underrun.
 * - Meters: about every 100 ms, `{ type: 'levels', capture, playback }` (RMS dBFS) on its own
 *   port (the node's `port`).
 *
 * On its own port it hears `{ type: 'link', port }` (the link, transferred) and
 * `{ type: 'bye' }` (say 'bye' on the link, close it, answer `{ type: 'closed' }`).
 *
 * - Video: the link also carries the call's video messages (contract/video.ts). This worklet holds
 *   the link, so it passes them through, bytes transferred (never copied): the page's camera
 *   messages from its own port onto the link, the engine's frames from the link onto its own port.
 *
 * Nothing here may reach the DOM: this file and its imports are bundled for the
 * AudioWorkletGlobalScope.
 */
import { CaptureFramer } from './capture-framer.ts';
import { PcmFifo } from './pcm-fifo.ts';
import { rmsDbfs } from './levels.ts';
import { DEVICE_PROCESSOR, type ToWorklet, type FromWorklet } from './worklet-messages.ts';
import type { VideoLinkMessage } from '../../../main/contract/video.ts';

// The AudioWorkletGlobalScope's names (TypeScript's DOM library does not describe that scope).
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  abstract process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}

const BLOCK_MS = 20;
const START_MS = 40;
const MAX_MS = 150;
const LEVELS_MS = 100;

class DeviceProcessor extends AudioWorkletProcessor {
  private link: MessagePort | undefined;
  private readonly framer: CaptureFramer;
  private readonly fifo: PcmFifo;
  private readonly levelEvery: number;
  private captureEnergy = 0;
  private playbackEnergy = 0;
  private counted = 0;
  /** Playback samples waiting, summed over each render quantum of the levels window. */
  private bufferedSum = 0;
  private quanta = 0;

  constructor() {
    super();
    const perMs = sampleRate / 1000;
    this.framer = new CaptureFramer({ blockSamples: BLOCK_MS * perMs, emit: (block) => this.link?.postMessage(block, [block.buffer]) });
    this.fifo = new PcmFifo({ startSamples: START_MS * perMs, maxSamples: MAX_MS * perMs });
    this.levelEvery = LEVELS_MS * perMs;
    this.port.onmessage = (e: MessageEvent<ToWorklet>) => this.command(e.data);
  }

  private command(msg: ToWorklet): void {
    if (msg?.type === 'link') {
      this.unlink();
      this.link = msg.port;
      this.link.onmessage = (e: MessageEvent<unknown>) => {
        if (e.data instanceof Int16Array) this.fifo.push(e.data);
        else if (typeof e.data === 'object' && e.data !== null && 'video' in e.data) this.relay(e.data as VideoLinkMessage);
      };
    } else if (msg?.type === 'video') {
      this.link?.postMessage(msg.message, bytesOf(msg.message));
    } else if (msg?.type === 'bye') {
      this.link?.postMessage('bye');
      this.unlink();
      this.post({ type: 'closed' });
    }
  }

  /** The engine's video message to the page (CallAudio checks it). */
  private relay(message: VideoLinkMessage): void {
    this.port.postMessage({ type: 'video', message } satisfies FromWorklet, bytesOf(message));
  }

  private unlink(): void {
    if (!this.link) return;
    this.link.onmessage = null;
    this.link.close();
    this.link = undefined;
    this.fifo.clear();
    this.framer.reset();
  }

  private post(msg: FromWorklet): void {
    this.port.postMessage(msg);
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    const frames = out?.length ?? 128;
    this.captureEnergy += this.framer.write(inputs[0] ?? [], frames);
    if (out) {
      this.fifo.pull(out);
      for (let i = 0; i < out.length; i++) this.playbackEnergy += out[i] * out[i];
      // Any further output channel (the node asks for one) carries the same mono signal.
      for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
      this.bufferedSum += this.fifo.isPlaying ? this.fifo.buffered : 0;
      this.quanta++;
    }
    this.counted += frames;
    if (this.counted >= this.levelEvery) {
      const bufferedMs = this.quanta > 0 ? (this.bufferedSum / this.quanta / sampleRate) * 1000 : 0;
      this.post({ type: 'levels', capture: rmsDbfs(this.captureEnergy, this.counted), playback: rmsDbfs(this.playbackEnergy, this.counted), bufferedMs });
      this.bufferedSum = 0;
      this.quanta = 0;
      this.captureEnergy = 0;
      this.playbackEnergy = 0;
      this.counted = 0;
    }
    return true;
  }
}

/** A video message's bytes, to transfer with it. */
function bytesOf(message: VideoLinkMessage): Transferable[] {
  const data = (message as { data?: unknown }).data;
  return data instanceof Uint8Array && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
}

registerProcessor(DEVICE_PROCESSOR, DeviceProcessor);
