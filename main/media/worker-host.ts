/**
 * Entry point of the media engine in a Node worker thread (headless phone, tests). Node strips
 * the types of this file and its imports at load. The Electron app will host the same engine in
 * a utilityProcess with the same messages (media-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { MediaEngine, MediaEngineError } from './media-engine.ts';
import { EventBatcher } from './event-batcher.ts';
import type { ClientMessage, HostMessage, MediaEvent, MediaReply } from './media-protocol.ts';

if (!parentPort) throw new Error('worker-host.ts must run in a worker thread');
const port = parentPort;

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
