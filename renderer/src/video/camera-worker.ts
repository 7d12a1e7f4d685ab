/**
 * The camera worker: reads a camera track's frames (a MediaStreamTrackProcessor's readable,
 * transferred here by CameraCapture) and turns them into the link's I420 off the page's thread
 * (frame-pump.ts). One frame is out at a time: the page answers each with 'next' once it has
 * passed it on, so nothing queues if the page is busy (the processor keeps one frame, newest).
 *
 *   page → worker   { type: 'start', readable, width, height, fps }   (readable transferred)
 *                   { type: 'next' }   the last frame was taken
 *                   { type: 'stop' }
 *   worker → page   { type: 'frame', data }   (data's buffer transferred)
 *                   { type: 'done' }   the pump ended (stopped, or the track ended)
 */
import { pumpFrames, type CameraFrame, type PumpTarget } from './frame-pump.ts';

export type ToCameraWorker = ({ type: 'start'; readable: ReadableStream<CameraFrame> } & PumpTarget) | { type: 'next' } | { type: 'stop' };
export type FromCameraWorker = { type: 'frame'; data: Uint8Array } | { type: 'done' };

/** The dedicated worker's scope, as far as we use it (the renderer compiles with the DOM's types). */
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ToCameraWorker>) => void) | null;
  postMessage(message: FromCameraWorker, transfer?: Transferable[]): void;
};

let generation = 0;
let taken: (() => void) | undefined;

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg?.type === 'next' || msg?.type === 'stop') {
    if (msg.type === 'stop') generation++;
    const go = taken;
    taken = undefined;
    go?.();
    return;
  }
  if (msg?.type !== 'start') return;
  const mine = ++generation;
  const reader = msg.readable.getReader();
  void pumpFrames(reader, msg, () => mine === generation, (data) =>
    new Promise<void>((resolve) => {
      taken = resolve;
      scope.postMessage({ type: 'frame', data }, [data.buffer as ArrayBuffer]);
    }),
  ).then(() => scope.postMessage({ type: 'done' }));
};
