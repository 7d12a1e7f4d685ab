import { frameSamples, type AudioPort } from './audio-port.ts';
import { DeviceBridge, type BridgeMessagePort } from './device-bridge.ts';

/** The rate of the app's device link (its AudioContext runs at this rate; Chromium resamples to the hardware). */
export const LOCAL_AUDIO_RATE = 48000;

/**
 * The local user's microphone and speaker, one per engine: the app attaches its device link
 * (a MessagePort to its capture/playback worklet) once, and every call's stream gets a source
 * and a sink on it. Only one stream owns the device at a time (the call in the foreground, or
 * the conference): the others read silence and play nowhere, so a held call never hears the
 * microphone and two calls never share it. Without a link, every stream reads silence.
 */
export class LocalAudio {
  readonly sampleRate: number;
  readonly #frame: number;
  #bridge: DeviceBridge | undefined;
  #owner: string | undefined;

  constructor(options: { sampleRate?: number } = {}) {
    this.sampleRate = options.sampleRate ?? LOCAL_AUDIO_RATE;
    this.#frame = frameSamples(this.sampleRate);
  }

  /** Takes the app's device link; a previous one is closed. */
  attach(port: BridgeMessagePort, sampleRate: number): void {
    if (sampleRate !== this.sampleRate) throw new RangeError(`sampleRate: the device link runs at ${this.sampleRate} Hz, not ${sampleRate}`);
    this.#bridge?.close();
    this.#bridge = new DeviceBridge({ port, sampleRate });
  }

  detach(): void {
    this.#bridge?.close();
    this.#bridge = undefined;
  }

  /** Gives the device to `streamId` (undefined: to nobody). */
  setOwner(streamId: string | undefined): void {
    this.#owner = streamId;
  }

  /** The microphone (getFrame) and the speaker (putFrame) as `streamId` sees them: its source and its sink. */
  port(streamId: string): AudioPort {
    return {
      sampleRate: this.sampleRate,
      getFrame: () => (this.#owner === streamId && this.#bridge ? this.#bridge.getFrame() : new Int16Array(this.#frame)),
      putFrame: (frame) => {
        if (this.#owner === streamId) this.#bridge?.putFrame(frame);
      },
      // Ownership is the client's to change (`device-owner`); a stream's end leaves nothing to free.
      close: () => {},
    };
  }

  close(): void {
    this.detach();
    this.#owner = undefined;
  }
}
