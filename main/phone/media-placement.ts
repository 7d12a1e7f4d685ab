/**
 * Where each call's media runs: a headless phone's first calls in an engine in this thread, the
 * calls beyond NEAR_CALLS in an engine in a worker thread of its own. A call keeps its engine for
 * its whole life; each engine starts with its first call and stops once idle (media-host.ts).
 *
 * Why two: a Node worker costs about 20 MB resident and its own event loop, for nothing a
 * softphone's few calls need (measured, one PCMU call, callee side: 83 MB with the worker, 67 MB
 * without). The engine paces its frames on its own clock and the first calls' media work is
 * small (about 40 µs a stream a frame: 16 streams take about 3 % of the thread), so it shares
 * this thread with SIP. A phone carrying many
 * calls at once (a load test, a gateway) must not put its media behind a burst of SIP work: the
 * calls beyond the first few go to the worker.
 *
 * The app's calls use the local microphone, speaker and camera: they all run in the worker, which
 * alone has the device link. The app's own thread serves the window and its IPC, and a video
 * call's codecs take milliseconds a frame (VP8 720p: about 4 ms to encode). Two calls mixed in a
 * conference must share an engine (conference.ts says so when they do not).
 */
import { MediaHost, type DeviceLinkPort, type MediaHostOptions } from './media-host.ts';

/** Calls at once whose media runs in this thread; the next ones go to the media worker. */
export const NEAR_CALLS = 16;

export interface MediaPlacementOptions extends Pick<MediaHostOptions, 'workerUrl' | 'idleStopMs' | 'clock'> {
  /** An engine stopped (it crashed): the calls placed on `host` must end. */
  exited?: (host: MediaHost, reason: string) => void;
  /** How many calls at once run their media in this thread (default NEAR_CALLS; 0: none). */
  nearCalls?: number;
}

export class MediaPlacement {
  /** The engine in this thread. */
  readonly near: MediaHost;
  /** The engine in a worker thread. */
  readonly far: MediaHost;
  readonly #nearCalls: number;
  /** Live calls placed on each engine. */
  readonly #calls = new Map<MediaHost, number>();

  constructor(opts: MediaPlacementOptions = {}) {
    const nearCalls = opts.nearCalls ?? NEAR_CALLS;
    if (!Number.isInteger(nearCalls) || nearCalls < 0) throw new RangeError(`nearCalls: an integer ≥ 0, not ${String(nearCalls)}`);
    this.#nearCalls = nearCalls;
    const common = {
      ...(opts.idleStopMs !== undefined ? { idleStopMs: opts.idleStopMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    };
    const near: MediaHost = new MediaHost({
      ...common,
      inThread: true,
      inUse: () => this.callsOn(near) > 0,
      exited: (reason) => opts.exited?.(near, reason),
    });
    const far: MediaHost = new MediaHost({
      ...common,
      ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}),
      streamPrefix: 'far',
      inUse: () => this.callsOn(far) > 0,
      exited: (reason) => opts.exited?.(far, reason),
    });
    this.near = near;
    this.far = far;
  }

  /**
   * The engine for a new call, kept for the call's life: near while fewer than `nearCalls` calls
   * run there; far for a call that uses the local device, and for the calls beyond. `placed`
   * counts it; `ended` lets it go.
   */
  forCall(usesDevice: boolean): MediaHost {
    return !usesDevice && this.callsOn(this.near) < this.#nearCalls ? this.near : this.far;
  }

  /** A call now uses `host` (from `forCall`): starts its engine, to be up when the call needs it. */
  placed(host: MediaHost): void {
    this.#calls.set(host, this.callsOn(host) + 1);
    host.warm();
  }

  /** A call placed on `host` has ended. */
  ended(host: MediaHost): void {
    const n = this.callsOn(host);
    if (n > 0) this.#calls.set(host, n - 1);
  }

  callsOn(host: MediaHost): number {
    return this.#calls.get(host) ?? 0;
  }

  /** Whether an engine runs now (either). */
  get running(): boolean {
    return this.near.running || this.far.running;
  }

  /** The app's audio device link: to the worker's engine, where every call that uses it runs. */
  connectDevice(port: DeviceLinkPort, sampleRate: number): () => void {
    return this.far.connectDevice(port, sampleRate);
  }

  disconnectDevice(): void {
    this.far.disconnectDevice();
  }

  /** Gives the local microphone and speaker to one stream (null: to none). */
  setDeviceOwner(streamId: string | null): void {
    this.far.setDeviceOwner(streamId);
  }

  async close(): Promise<void> {
    this.#calls.clear();
    await Promise.all([this.near.close(), this.far.close()]);
  }
}
