/**
 * `window.appel` over the loopback WebSocket bridge (main/bridge/), for a plain browser: the
 * development page of `npm run dev:web` and the end-to-end tests. It offers exactly what the
 * Electron preload offers: `invoke(channel, req)` → ApiResult, and `on(event, cb)` → unsubscribe.
 *
 * Wire format (JSON text frames): the page sends `{ id, channel, req }`; the bridge answers
 * `{ id, result }` and pushes `{ event, payload }`. The call audio link (api.ts connectAudio)
 * is `{ audio: 'connect', sampleRate }` then binary frames of PCM16 both ways, until
 * `{ audio: 'bye' }` (main/bridge/ws-bridge.ts). The link's video messages (contract/video.ts)
 * ride it too, framed by contract/video-wire.ts: a JSON header, then the frame's bytes as the next
 * binary frame. Camera frames are dropped while the socket still holds an earlier one.
 */
import { FROM_ENGINE, FROM_PAGE, isVideoHeader, videoWireFrames, VideoWireReader } from '../../main/contract/video-wire.ts';
import { readVideoLinkMessage } from '../../main/contract/video.ts';
import { AUDIO_CONNECT, type ApiResult, type AppelApi, type AudioConnectMessage, type Channel, type EventName, type Events, type Req, type Res } from './api.ts';

declare global {
  interface Window {
    /** The engine's socket as public/bridge-boot.js opened it, until installBridgeClient adopts it. */
    appelBootSocket?: WebSocket;
  }
}

export interface BridgeClientOptions {
  /** `ws://127.0.0.1:PORT/bridge` (the browser sends the page's session cookie with the upgrade). */
  url: string;
  /** The WebSocket constructor (tests pass their own). */
  WebSocketImpl?: typeof WebSocket;
  /** ms before a request without an answer fails (default 30 s). */
  timeoutMs?: number;
  /** First reconnection delay, ms (doubles up to 5 s). */
  retryMs?: number;
  /**
   * A socket to `url` made before the client (public/bridge-boot.js, while the bundle loaded):
   * the first connection, when it is still connecting or open. Later connections are the client's.
   */
  socket?: WebSocket;
}

/** A camera frame is dropped while more than this waits in the socket (an earlier frame not yet sent). */
export const CAMERA_BACKLOG_BYTES = 64_000;

interface Pending {
  resolve: (r: ApiResult<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface BridgeClient extends AppelApi {
  /** Carries the call audio link over the socket (the preload's counterpart in Electron: an IPC MessagePort). */
  connectAudio(port: MessagePort, sampleRate: number): void;
  close(): void;
}

export function createBridgeClient(opts: BridgeClientOptions): BridgeClient {
  const WS = opts.WebSocketImpl ?? WebSocket;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const pending = new Map<number, Pending>();
  let queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | undefined;
  let closed = false;
  let retry = opts.retryMs ?? 250;
  /** The audio link now carried, re-announced after a reconnection. */
  let audio: { port: MessagePort; sampleRate: number } | undefined;
  /** The engine's video messages being read (a header waiting for its bytes). */
  const video = new VideoWireReader(FROM_ENGINE);
  /** An engine's video message, checked, to the page's end of the link (its bytes transferred). */
  const toPage = (msg: ReturnType<VideoWireReader['bytes']>) => {
    if (!msg || !audio) return;
    audio.port.postMessage(msg, 'data' in msg ? [msg.data.buffer] : []);
  };

  let early = opts.socket && (opts.socket.readyState === WS.CONNECTING || opts.socket.readyState === WS.OPEN) ? opts.socket : undefined;
  const connect = () => {
    const ws = early ?? new WS(opts.url);
    early = undefined;
    ws.binaryType = 'arraybuffer';
    socket = ws;
    const opened = () => {
      retry = opts.retryMs ?? 250;
      video.reset();
      if (audio) ws.send(JSON.stringify({ audio: 'connect', sampleRate: audio.sampleRate }));
      for (const frame of queue) ws.send(frame);
      queue = [];
    };
    // An early socket may be open already: its 'open' event has come and gone.
    if (ws.readyState === WS.OPEN) opened();
    else ws.addEventListener('open', opened);
    ws.addEventListener('message', (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) {
        if (video.pending) return toPage(video.bytes(new Uint8Array(e.data)));
        // What the call plays: to the worklet, buffer transferred.
        if (audio && e.data.byteLength % 2 === 0) audio.port.postMessage(new Int16Array(e.data), [e.data]);
        return;
      }
      let msg: { id?: number; result?: ApiResult<unknown>; event?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(e.data));
      } catch {
        return;
      }
      if (isVideoHeader(msg)) return toPage(video.header(msg));
      if (typeof msg.id === 'number' && msg.result) {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(msg.result);
      } else if (typeof msg.event === 'string') {
        for (const cb of listeners.get(msg.event) ?? []) {
          try {
            cb(msg.payload);
          } catch (err) {
            console.error(`appel: a listener of ${msg.event} failed`, err);
          }
        }
      }
    });
    ws.addEventListener('close', () => {
      if (socket === ws) socket = undefined;
      // Requests in flight cannot be answered by a new connection: they fail in words.
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.resolve({ ok: false, error: { code: 'disconnected', message: 'the connection to the engine was lost' } });
        pending.delete(id);
      }
      if (!closed) {
        setTimeout(() => !closed && connect(), retry);
        retry = Math.min(retry * 2, 5000);
      }
    });
  };
  connect();

  return {
    invoke<K extends Channel>(channel: K, req: Req<K>): Promise<ApiResult<Res<K>>> {
      const id = nextId++;
      const frame = JSON.stringify({ id, channel, req: req === undefined ? null : req });
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'timeout', message: `${channel}: the engine did not answer` } });
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (r: ApiResult<unknown>) => void, timer });
        if (socket && socket.readyState === WS.OPEN) socket.send(frame);
        else queue.push(frame);
      });
    },
    on<K extends EventName>(event: K, cb: (payload: Events[K]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const fn = cb as (payload: unknown) => void;
      set.add(fn);
      return () => set.delete(fn);
    },
    connectAudio(port: MessagePort, sampleRate: number): void {
      if (audio) audio.port.close();
      const link = { port, sampleRate };
      audio = link;
      const send = (frame: string | ArrayBufferLike) => {
        if (socket && socket.readyState === WS.OPEN) socket.send(frame);
      };
      send(JSON.stringify({ audio: 'connect', sampleRate }));
      /** The page's camera: a frame goes only when the socket has sent the previous one. */
      const sendVideo = (value: unknown) => {
        const msg = readVideoLinkMessage(value);
        if (!msg || !FROM_PAGE.has(msg.video) || !socket || socket.readyState !== WS.OPEN) return;
        const { header, data } = videoWireFrames(msg);
        if (!data) return socket.send(header);
        if (socket.bufferedAmount > CAMERA_BACKLOG_BYTES) return;
        // The header and its bytes leave together: nothing comes between them on the socket.
        socket.send(header);
        socket.send(data);
      };
      port.onmessage = (e: MessageEvent) => {
        if (audio !== link) return;
        if (e.data === 'bye') {
          audio = undefined;
          port.close();
          send(JSON.stringify({ audio: 'bye' }));
        } else if (e.data instanceof Int16Array) {
          const d = e.data;
          send(d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d.buffer : d.slice().buffer);
        } else {
          sendVideo(e.data);
        }
      };
    },
    close() {
      closed = true;
      audio?.port.close();
      audio = undefined;
      socket?.close();
    },
  };
}

/**
 * In a browser without the preload: install `window.appel` over the bridge of the server that
 * served the page. The server let the page load only with its session cookie (the printed link's
 * one-time token was traded for it, main/bridge/page-access.ts); the browser sends that cookie
 * with the WebSocket upgrade, so the page never handles a secret.
 */
export function installBridgeClient(): void {
  if (window.appel) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/bridge`;
  // The socket public/bridge-boot.js opened while the bundle loaded, when it goes where we would.
  const early = window.appelBootSocket;
  delete window.appelBootSocket;
  if (early && early.url !== url) early.close();
  const client = createBridgeClient({ url, ...(early?.url === url ? { socket: early } : {}) });
  window.appel = client;
  // As the preload does in Electron: the page's audio link, posted to its own window (api.ts).
  window.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as Partial<AudioConnectMessage> | null;
    if (event.source !== window || data?.type !== AUDIO_CONNECT || event.ports.length !== 1) return;
    client.connectAudio(event.ports[0], Number(data.sampleRate));
  });
}
