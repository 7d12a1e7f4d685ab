/**
 * The loopback WebSocket bridge: `window.appel` for a plain browser (development page, end-to-end
 * tests), exactly what the Electron preload offers. It attaches to an HTTP server bound to
 * 127.0.0.1 and accepts WebSocket upgrades on one path, only with the session cookie (page-access.ts:
 * the printed link's one-time token is traded for it on the page's first load) and, from a
 * browser, only from the server's own origin.
 *
 * Frames are JSON text: requests `{ id, channel, req }` → answers `{ id, result }` where result is
 * an `ApiResult` (every request checked first with contract/schemas.ts); events `{ event, payload }`.
 *
 * The call audio link (renderer/src/api.ts connectAudio) rides the same socket: the page sends
 * `{ audio: 'connect', sampleRate }`, then binary frames of mono PCM16 (little-endian, what its
 * worklet captured), and gets binary frames of what the call plays; `{ audio: 'bye' }` or the
 * socket closing ends it. One page at a time has the link (the latest to connect).
 *
 * The link's video messages (contract/video.ts) ride it too, framed by contract/video-wire.ts: a
 * header as JSON text, then the frame's bytes as the next binary frame. The page's camera frames
 * reach the engine as `{ video: 'camera', width, height, data }` objects, exactly what a
 * MessagePort would deliver; the engine's decoded frames go out the same way, and only while the
 * socket keeps up (a frame the page cannot take yet is dropped, never queued).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { WebSocketServer, WebSocket } from 'ws';
import { dispatch, type Handlers } from './dispatch.ts';
import { EVENT_NAMES } from '../contract/events.ts';
import type { DeviceLinkPort } from '../phone/media-host.ts';
import type { PageAccess } from './page-access.ts';
import { i420Bytes, readVideoLinkMessage, VIDEO_MAX_HEIGHT, VIDEO_MAX_WIDTH, type VideoLinkMessage } from '../contract/video.ts';
import { FROM_ENGINE, FROM_PAGE, isVideoHeader, videoWireFrames, VideoWireReader } from '../contract/video-wire.ts';

export { EVENT_NAMES } from '../contract/events.ts';

/** Where events come from: the Phone (an EventEmitter) or anything shaped like it. */
export interface EventSource {
  on(event: string, listener: (payload: unknown) => void): unknown;
  off(event: string, listener: (payload: unknown) => void): unknown;
}

export interface WsBridgeOptions {
  server: Server;
  /** Who may connect: the page's session cookie (a token in the URL opens nothing here). */
  access: Pick<PageAccess, 'admits'>;
  handlers: Handlers;
  /** Engine event sources (the phone, the store…); each forwards the events it has. */
  events: EventSource[];
  /** More event names to forward (channels that live outside ApiEvents' current list). */
  extraEvents?: string[];
  /** The upgrade path (default `/bridge`). */
  path?: string;
  /** Leave other upgrade paths alone (Vite's HMR socket shares the server). */
  shareUpgrades?: boolean;
  /** Takes a page's audio link (the engine's `phone.connectAudio`); without it, audio frames are ignored. */
  connectAudio?: (port: DeviceLinkPort, sampleRate: number) => unknown;
}

/** Playback frames are dropped while this much is queued for a page that stopped reading (about 1 s of audio). */
const AUDIO_BACKLOG_BYTES = 96_000;

/**
 * A decoded frame goes to the page only while less than this is queued: at most one frame waits
 * beyond a little audio, however slowly the page reads.
 */
const VIDEO_SEND_BELOW_BYTES = 64_000;

/** The largest frame a socket takes: the biggest video frame (1920×1088 I420) and its header; requests are far smaller. */
export const MAX_FRAME_BYTES = Math.max(1 << 20, i420Bytes(VIDEO_MAX_WIDTH, VIDEO_MAX_HEIGHT) + 4096);

/**
 * One page's device link as the engine sees it: PCM16 blocks from the socket's binary frames
 * (copied, so they are aligned) and the page's camera frames as video messages; playback frames
 * and decoded video frames sent back.
 */
class SocketAudioPort extends EventEmitter implements DeviceLinkPort {
  readonly #ws: WebSocket;
  #open = true;
  /** Bytes of the last video frame sent: audio may queue that much more behind it. */
  #videoInFlight = 0;

  constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
  }

  /** A binary frame from the page: its capture. */
  capture(data: Buffer): void {
    if (!this.#open || data.length < 2 || data.length % 2 !== 0) return;
    const block = new Int16Array(data.length / 2);
    new Uint8Array(block.buffer).set(data);
    this.emit('message', block);
  }

  /** A video message from the page, already checked (contract/video-wire.ts). */
  video(msg: VideoLinkMessage): void {
    if (this.#open) this.emit('message', msg);
  }

  postMessage(frame: unknown): void {
    if (!this.#open || this.#ws.readyState !== this.#ws.OPEN) return;
    if (frame instanceof Int16Array) {
      const queued = this.#ws.bufferedAmount;
      // Below that, the last video frame has left: audio's own bound applies again.
      if (queued < VIDEO_SEND_BELOW_BYTES) this.#videoInFlight = 0;
      if (queued > AUDIO_BACKLOG_BYTES + this.#videoInFlight) return;
      this.#ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
      return;
    }
    this.postVideo(frame, () => undefined);
  }

  /** A video message for the page; `done` once its bytes are written (or dropped): the socket reads them until then. */
  postVideo(frame: unknown, done: () => void): void {
    const msg = this.#open && this.#ws.readyState === this.#ws.OPEN ? readVideoOut(frame) : undefined;
    if (!msg) return done();
    const { header, data } = videoWireFrames(msg);
    if (!data) this.#ws.send(header);
    if (!data || this.#ws.bufferedAmount >= VIDEO_SEND_BELOW_BYTES) return done();
    // The header and its bytes leave together: nothing comes between them on the socket.
    this.#ws.send(header);
    this.#ws.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { binary: true }, () => done());
    this.#videoInFlight = data.byteLength;
  }

  /** The page said bye, or its socket closed. */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.emit('close');
    this.removeAllListeners();
  }

  close(): void {
    this.#open = false;
    this.removeAllListeners();
  }

  get open(): boolean {
    return this.#open;
  }
}

/** What the engine may send the page: a decoded frame or an end (the engine's own objects, checked all the same). */
function readVideoOut(value: unknown): VideoLinkMessage | undefined {
  const msg = readVideoLinkMessage(value);
  return msg && FROM_ENGINE.has(msg.video) ? msg : undefined;
}

/** The bytes of a binary frame as one plain Uint8Array that owns its buffer (a MessagePort's consumer may transfer it). */
function ownBytes(data: Buffer): Uint8Array {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return new Uint8Array(data.buffer);
  return new Uint8Array(data);
}

function refuse(socket: Duplex, status: 401 | 403, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class WsBridge {
  private readonly opts: WsBridgeOptions;
  /** Made once `ws` has loaded (see the constructor); until then an upgrade waits for it. */
  private wss: WebSocketServer | undefined;
  private readonly loaded: Promise<void>;
  private closed = false;
  private readonly path: string;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(opts: WsBridgeOptions) {
    this.opts = opts;
    this.path = opts.path ?? '/bridge';
    // `ws` loads Node's http, https, tls and zlib modules (about 40 ms): loaded after the server is
    // up, not before, so the engine's start does not wait for the browser bridge's library (the
    // app does not use it). A page connects a hundred milliseconds later at the earliest.
    this.loaded = import('ws').then(
      ({ WebSocketServer }) => {
        if (this.closed) return;
        this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
        this.wss.on('connection', (ws) => this.serve(ws));
      },
      // A broken install: no page can connect, and says so (the app's "cannot reach its engine").
      (err: Error) => console.error(`ws-bridge: the WebSocket library did not load: ${err.message}`),
    );
    this.onUpgrade = (req, socket, head) => this.upgrade(req, socket, head);
    opts.server.on('upgrade', this.onUpgrade);
    for (const name of [...EVENT_NAMES, ...(opts.extraEvents ?? [])]) {
      const listener = (payload: unknown) => this.broadcast(name, payload);
      for (const source of opts.events) {
        source.on(name, listener);
        this.unsubscribe.push(() => source.off(name, listener));
      }
    }
  }

  /** How many pages are connected. */
  get clients(): number {
    return this.wss?.clients.size ?? 0;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== this.path) {
      if (!this.opts.shareUpgrades) refuse(socket, 403, 'Forbidden');
      return;
    }
    if (!this.opts.access.admits(req.headers.cookie)) return refuse(socket, 401, 'Unauthorized');
    // A browser always sends Origin: only our own page may connect (other local pages may not,
    // even if they learnt the port). Processes without Origin hold the cookie: that is enough.
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (origin !== undefined && (host === undefined || !isLoopbackHost(host) || origin !== `http://${host}`)) return refuse(socket, 403, 'Forbidden');
    const accept = (wss: WebSocketServer) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    if (this.wss) accept(this.wss);
    else void this.loaded.then(() => (this.wss ? accept(this.wss) : socket.destroy()));
  }

  private serve(ws: WebSocket): void {
    let audio: SocketAudioPort | undefined;
    const video = new VideoWireReader(FROM_PAGE);
    ws.on('close', () => audio?.end());
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        if (video.pending) {
          // A video header's bytes: the whole message is checked; a bad one changes nothing.
          const msg = video.bytes(ownBytes(bytes));
          if (msg) audio?.video(msg);
          return;
        }
        // `capture` copies the bytes once (aligned); no copy before it.
        audio?.capture(bytes);
        return;
      }
      let msg: { id?: unknown; channel?: unknown; req?: unknown; audio?: unknown; sampleRate?: unknown };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      if (isVideoHeader(msg)) {
        const complete = video.header(msg);
        if (complete) audio?.video(complete);
        return;
      }
      if (msg.audio === 'connect' && this.opts.connectAudio) {
        audio?.end();
        video.reset();
        const port = new SocketAudioPort(ws);
        try {
          this.opts.connectAudio(port, Number(msg.sampleRate));
          audio = port;
        } catch {
          port.close();
        }
        return;
      }
      if (msg.audio === 'bye') {
        audio?.end();
        audio = undefined;
        return;
      }
      if (typeof msg.id !== 'number') return;
      const id = msg.id;
      void dispatch(this.opts.handlers, msg.channel, msg.req).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, result }));
      });
    });
    ws.on('error', () => ws.terminate());
  }

  private broadcast(event: string, payload: unknown): void {
    const frame = JSON.stringify({ event, payload });
    for (const ws of this.wss?.clients ?? []) if (ws.readyState === ws.OPEN) ws.send(frame);
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.closed = true;
    this.opts.server.off('upgrade', this.onUpgrade);
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
  }
}

/** `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` (a DNS-rebinding page has another name). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
}
