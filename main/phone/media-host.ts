/**
 * The phone's handle on the media engine: one MediaEngineClient (a worker thread), started on
 * the first call and closed by `Phone.stop()`, with its events routed to the call that owns each
 * stream. What the engine can do (`capabilities`) is asked once.
 */
import { MediaEngineClient } from '../media/media-engine-client.ts';
import type { DtmfEvent, MediaStreamStats } from '../media/media-engine-client.ts';
import type { CodecName, SrtpSuite } from '../../native/index.ts';

/** What a call hears about its stream. Listeners never throw (MediaHost guards them anyway). */
export interface StreamListener {
  stats?(stats: MediaStreamStats): void;
  dtmf?(dtmf: DtmfEvent): void;
  sourceEnded?(): void;
  latched?(to: { address: string; port: number; rtcp: boolean }): void;
}

export interface MediaHostOptions {
  /** Another engine entry point (tests); default the worker host next to the engine. */
  workerUrl?: URL;
}

export class MediaHost {
  readonly #opts: MediaHostOptions;
  #client: MediaEngineClient | undefined;
  #capabilities: Promise<{ codecs: CodecName[]; srtpSuites: SrtpSuite[] }> | undefined;
  readonly #streams = new Map<string, StreamListener>();
  readonly #exitListeners: Array<(reason: string) => void> = [];
  #nextStream = 1;
  #closed = false;

  constructor(opts: MediaHostOptions = {}) {
    this.#opts = opts;
  }

  /** The engine, started on first use. */
  client(): MediaEngineClient {
    if (this.#closed) throw new Error('the media engine is closed');
    if (!this.#client) {
      const client = new MediaEngineClient(this.#opts.workerUrl ? { workerUrl: this.#opts.workerUrl } : {});
      client.on('stats', (e) => this.#guard(() => this.#streams.get(e.streamId)?.stats?.(e.stats)));
      client.on('dtmf', (e) => this.#guard(() => this.#streams.get(e.streamId)?.dtmf?.(e.dtmf)));
      client.on('latched', (e) => this.#guard(() => this.#streams.get(e.streamId)?.latched?.({ address: e.address, port: e.port, rtcp: e.rtcp })));
      client.on('source-ended', (e) => this.#guard(() => this.#streams.get(e.streamId)?.sourceEnded?.()));
      client.on('exit', ({ code }) => {
        if (this.#client !== client) return;
        this.#client = undefined;
        this.#capabilities = undefined;
        this.#streams.clear();
        for (const l of this.#exitListeners) this.#guard(() => l(`the media engine stopped (exit code ${code})`));
      });
      this.#client = client;
    }
    return this.#client;
  }

  get running(): boolean {
    return this.#client !== undefined;
  }

  capabilities(): Promise<{ codecs: CodecName[]; srtpSuites: SrtpSuite[] }> {
    this.#capabilities ??= this.client().capabilities();
    return this.#capabilities;
  }

  newStreamId(): string {
    return `call-${this.#nextStream++}`;
  }

  listen(streamId: string, listener: StreamListener): void {
    this.#streams.set(streamId, listener);
  }

  forget(streamId: string): void {
    this.#streams.delete(streamId);
  }

  /** The worker died: calls must end. */
  onExit(listener: (reason: string) => void): void {
    this.#exitListeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    this.#streams.clear();
    await client?.close();
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch {
      // A call's listener must not break the others.
    }
  }
}
