/**
 * The trace hook (STYLE.md): every message sent or received, with its transport and addresses,
 * goes to an optional sink, with Authorization/Proxy-Authorization masked. Without a sink nothing
 * is decoded for tracing (traces cost nothing unless someone looks).
 */
import { maskSecrets } from './mask-secrets.ts';
import type { TransportLogger } from './sip-transport-options.ts';
import type { TraceEvent, TransportProtocol } from './types.ts';

const textDecoder = new TextDecoder();

export class WireTrace {
  #sink: ((event: TraceEvent) => void) | undefined;
  readonly #logger: TransportLogger;

  constructor(sink: ((event: TraceEvent) => void) | undefined, logger: TransportLogger) {
    this.#sink = sink;
    this.#logger = logger;
  }

  /** Set or remove (undefined) the sink while running. */
  set sink(sink: ((event: TraceEvent) => void) | undefined) {
    this.#sink = sink;
  }

  emit(direction: 'sent' | 'received', protocol: TransportProtocol, local: { address: string; port: number }, remote: { address: string; port: number }, bytes: Uint8Array): void {
    const sink = this.#sink;
    if (!sink) return;
    try {
      sink({
        time: Date.now(),
        direction,
        protocol,
        local: { address: local.address, port: local.port },
        remote: { address: remote.address, port: remote.port },
        text: maskSecrets(textDecoder.decode(bytes)),
      });
    } catch (err) {
      this.#logger.warn(`trace sink threw: ${(err as Error).message}`);
    }
  }
}
