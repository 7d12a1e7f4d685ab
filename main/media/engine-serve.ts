/**
 * Serves the media engine on one message port: the requests of a MediaEngineClient in, its
 * replies and events out (media-protocol.ts). The same in a worker thread (worker-host.ts, whose
 * port is the worker's parentPort) and in the phone's own thread (media-engine-client.ts, on a
 * MessageChannel): the engine cannot tell where it runs.
 */
import type { MessagePort } from 'node:worker_threads';
import { MediaEngine, MediaEngineError } from './media-engine.ts';
import { EventBatcher } from './event-batcher.ts';
import type { ClientMessage, HostMessage, MediaEvent, MediaReply } from './media-protocol.ts';

export function serveMediaEngine(port: MessagePort): void {
  const post = (message: HostMessage): void => {
    try {
      port.postMessage(message);
    } catch (err) {
      // A value that cannot be cloned: report it rather than lose the reply.
      if ('id' in message) port.postMessage({ id: message.id, ok: false, error: { code: 'failed', message: (err as Error).message } });
    }
  };

  const events = new EventBatcher({
    send: (batch: MediaEvent[]) => {
      try {
        port.postMessage({ events: batch });
      } catch {
        // One event that cannot be cloned must not take the others with it.
        for (const event of batch) post({ events: [event] });
      }
    },
  });
  const engine = new MediaEngine({ onEvent: (event: MediaEvent) => events.event(event) });

  /** A reply, after the events emitted before it. */
  const reply = (message: MediaReply): void => {
    events.flush();
    post(message);
  };

  port.on('message', (message: ClientMessage) => {
    const { id, request } = message;
    engine.handle(request).then(
      (value) => {
        reply({ id, ok: true, value });
        if (request.type === 'shutdown') port.close();
      },
      (err: unknown) => {
        const code = err instanceof MediaEngineError ? err.code : err instanceof TypeError ? 'bad-request' : 'failed';
        reply({ id, ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } });
      },
    );
  });
}
