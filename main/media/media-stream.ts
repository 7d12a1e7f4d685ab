/**
 * One RTP session (RFC 3550) carrying one audio stream: a UDP socket pair (or one socket with
 * RTP/RTCP multiplexing, RFC 5761), a codec, optional SRTP (RFC 3711) both ways, the jitter
 * buffer, RFC 4733 DTMF both ways, RTCP reports and BYE, and symmetric RTP with latching.
 *
 *   source port → [rate adapter] → encode → RTP → SRTP → socket          (on the media clock)
 *   socket → SRTP → RTP → jitter buffer → decode/PLC/CN → [rate adapter] → sink port
 *
 * Pacing: one MediaClock tick per 20 ms frame sends frame k with timestamp base + k·frame and
 * plays one frame; late ticks catch up in order (media-clock.ts).
 *
 * Latching (symmetric RTP, as COMEDIA-style NAT traversal needs): the first packet that parses
 * as RTP with a negotiated payload type fixes where we send, if it is one we can trust: from the
 * address the SDP gave; or, from anywhere (a peer behind NAT), with the SSRC the SDP announced
 * (a=ssrc, RFC 5576) or having passed SRTP authentication (only the peer holds the key). Plain
 * RTP from another address with no announced SSRC is a blind sprayer's: counted and dropped —
 * unless the SDP's address is a private one (RFC 1918, RFC 6598, link-local, RFC 4193), which we
 * could not reach anyway: then the first source is all a NAT leaves to go by.
 * Once latched, packets from any other address are dropped; the stream moves only when the
 * latched source has been silent for `relatchAfterMs` (default 2 s) and the new source keeps its
 * SSRC (a NAT binding that changed, not somebody else). RTCP latches on its own when a compound
 * packet from the current remote SSRC arrives.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { EventEmitter } from 'node:events';
import { isIP, isIPv6 } from 'node:net';
import type { Codec, CodecName, CodecOptions, SrtpSuite } from '../../native/index.ts';
import { CodecInfo, COMFORT_NOISE_PT } from './codec-info.ts';
import { ComfortNoise } from './comfort-noise.ts';
import { DtmfReceiver, type DtmfEvent } from './dtmf-receiver.ts';
import { DtmfSender } from './dtmf-sender.ts';
import { EModel } from './e-model.ts';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';
import { MediaClock, type Scheduler } from './media-clock.ts';
import { loadMediaNative, type MediaNative, type SrtpLike } from './media-native.ts';
import { NtpTime } from './ntp-time.ts';
import type { AudioPort } from './ports/audio-port.ts';
import { RateAdapter } from './rate-adapter.ts';
import { RtcpPacket, SDES_CNAME, type ReportBlock, type RtcpPacket as Rtcp } from './rtcp-packet.ts';
import { RtpPacket } from './rtp-packet.ts';
import { RtpReceiverStats } from './rtp-receiver-stats.ts';
import { SampleFifo } from './sample-fifo.ts';
import { Stun } from './stun.ts';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaRemote {
  address: string;
  rtpPort: number;
  /** Default: rtpPort + 1 (RFC 3550 §11), or rtpPort with rtcp-mux. */
  rtcpPort?: number;
  /** The peer's SSRC when the SDP announced it (a=ssrc): only that source may latch. */
  ssrc?: number;
}

export interface MediaStreamOptions {
  localAddress: string;
  /** 0 or absent: a free even port from `portRange`. */
  localPort?: number;
  portRange?: { min: number; max: number };
  remote: MediaRemote;
  rtcpMux: boolean;
  /**
   * `receivePayloadType`: the number the peer sends the codec with, when it differs from the one
   * we send with (an answer may renumber a dynamic payload type, RFC 3264 §6.1 says SHOULD).
   */
  codec: { name: CodecName; payloadType: number; receivePayloadType?: number; options?: CodecOptions };
  /** RFC 4733 payload type, when negotiated (at the codec's clock rate). */
  telephoneEventPt?: number;
  srtp?: { suite: SrtpSuite; localKey: Uint8Array; remoteKey: Uint8Array };
  source: AudioPort;
  sink: AudioPort;
  /** Packetization time in ms: 20 (default) or a multiple of 20 for frame-based codecs (not Opus). */
  ptime?: number;
  direction?: MediaDirection;
  /** RTCP SDES CNAME (§6.5.1). Default: a random one. */
  cname?: string;
  /**
   * Our SSRC (§8), when the SDP announced it already (a=ssrc, RFC 5576: the peer then lets only
   * it latch, wherever it comes from). Default: a random one.
   */
  ssrc?: number;
  jitterBuffer?: Omit<JitterBufferOptions, 'clockRate' | 'frameMs'>;
  /** Silence of the latched source after which the same SSRC may come from elsewhere (ms). Default 2000. */
  relatchAfterMs?: number;
  /** Mean RTCP interval (§6.2 minimum 5 s). Default 5000. */
  rtcpIntervalMs?: number;
  /** Interval of `stats` events (ms). Default 1000. */
  statsIntervalMs?: number;
  /** Injected native code (default: the addon). */
  native?: MediaNative;
  /** Injected time and timers (default: performance.now and setTimeout). */
  scheduler?: Scheduler;
  /** Wall clock for RTCP NTP timestamps (default Date.now). */
  wallClock?: () => number;
  /** Random numbers in [0, 1) for SSRC, sequence, timestamp and RTCP jitter (default Math.random). */
  random?: () => number;
}

export interface MediaStreamStats {
  codec: CodecName;
  direction: MediaDirection;
  localSsrc: number;
  remoteSsrc?: number;
  packetsSent: number;
  /** UDP payload bytes sent (RTP + SRTP overhead, RTCP excluded). */
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Cumulative packets lost (RFC 3550 A.3). */
  packetsLost: number;
  /** Loss over the last ~5 stats intervals (5 s), late packets included (percent). */
  lossPercent: number;
  /** Loss since the start (percent). */
  totalLossPercent: number;
  /** Interarrival jitter (A.8) in ms. */
  jitterMs: number;
  /** Round-trip time from RTCP (§6.4.1), once known. */
  rttMs?: number;
  /** Mean time packets wait in the jitter buffer (ms). */
  jitterBufferMs: number;
  /** E-model estimate (G.107), 1..4.5. */
  mos: number;
  concealedFrames: number;
  latePackets: number;
  /** What the peer reports about our stream (last RTCP report block). */
  remote?: { lossPercent: number; cumulativeLost: number; jitterMs: number };
  /** Where we send RTP now. */
  rtpTarget: { address: string; port: number };
  /** Datagrams dropped: SRTP failures, not RTP, unknown payload type, foreign source. */
  dropped: { srtp: number; malformed: number; payloadType: number; foreignSource: number };
}

export interface MediaStreamEvents {
  stats: [MediaStreamStats];
  dtmf: [DtmfEvent];
  /** Media (or RTCP) is now sent to `address`:`port`, learned from what arrived. */
  latched: [{ address: string; port: number; rtcp: boolean }];
  'ssrc-changed': [{ previous?: number; ssrc: number }];
  /** RTCP BYE from the peer (§6.6). */
  bye: [{ ssrc: number; reason?: string }];
  /** Something went wrong but the stream carries on (socket error, listener exception…). */
  warning: [{ code: string; message: string }];
}

const FRAME_MS = 20;

interface Target {
  address: string;
  port: number;
}

/**
 * The sockets' address lookup: an IP literal (what SDP and latching give) is used as it is, at
 * once; a name still goes to dns.lookup. dgram's default hands even literals to dns.lookup,
 * which answers on the next tick — one deferral and a validation per packet sent.
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
};

function sameTarget(a: Target | undefined, b: Target): boolean {
  return a !== undefined && a.address === b.address && a.port === b.port;
}

/** IPv4-mapped IPv6 sources (::ffff:1.2.3.4) compare as their IPv4 address. */
/** An IP address as compared here: lower case, IPv6 compressed, an IPv4-mapped one as IPv4. */
function canonicalAddress(address: string): string {
  let a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIPv6(a)) a = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  return plainAddress(a);
}

/** RFC 1918, RFC 6598 (carrier-grade NAT), link-local, RFC 4193 unique-local: not reachable from outside. */
function isPrivateAddress(address: string): boolean {
  const a = canonicalAddress(address);
  if (isIP(a) === 4) {
    const [p, q] = a.split('.').map(Number);
    return p === 10 || (p === 172 && q >= 16 && q < 32) || (p === 192 && q === 168) || (p === 100 && q >= 64 && q < 128) || (p === 169 && q === 254);
  }
  return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class MediaStream extends EventEmitter<MediaStreamEvents> {
  readonly #opts: MediaStreamOptions;
  readonly #random: () => number;
  readonly #wallClock: () => number;
  readonly #clock: MediaClock;
  readonly #relatchAfterMs: number;
  #native: MediaNative | undefined;
  #codec: Codec | undefined;
  #jb: JitterBuffer | undefined;
  #dtmfSender: DtmfSender | undefined;
  #dtmfReceiver: DtmfReceiver | undefined;
  #rxStats: RtpReceiverStats | undefined;
  #srtpOut: SrtpLike | undefined;
  #srtpIn: SrtpLike | undefined;
  #rtpSocket: Socket | undefined;
  #rtcpSocket: Socket | undefined;
  #source: AudioPort;
  #sink: AudioPort;
  #toCodec: RateAdapter | undefined;
  #toSink: RateAdapter | undefined;
  readonly #outFifo = new SampleFifo();
  readonly #noise = new ComfortNoise();
  #recorder: { putStereo(left: Int16Array, right: Int16Array): void } | undefined;
  #direction: MediaDirection;
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  // Sending.
  readonly ssrc: number;
  #seq: number;
  readonly #tsBase: number;
  #frameTs = 160;
  #framesPerPacket = 1;
  #pendingPayloads: Uint8Array[] = [];
  #pendingTs = 0;
  #marker = true;
  #packetsSent = 0;
  #octetsSent = 0;
  #bytesSent = 0;
  #sentSinceReport = false;
  #sentInLastInterval = false;

  // Where to.
  #remote: MediaRemote;
  #rtpTarget: Target;
  #rtcpTarget: Target;
  #latched: Target | undefined;
  #latchedRtcp: Target | undefined;
  #lastFromLatchedMs = -Infinity;

  // Receiving.
  #remoteSsrc: number | undefined;
  #packetsReceived = 0;
  #bytesReceived = 0;
  readonly #dropped = { srtp: 0, malformed: 0, payloadType: 0, foreignSource: 0 };
  #rttMs: number | undefined;
  #remoteReport: MediaStreamStats['remote'];
  readonly #lossWindow: { expected: number; received: number; late: number }[] = [];

  // Schedules.
  #nextRtcpMs = 0;
  #nextStatsMs = 0;
  readonly #cname: string;

  constructor(options: MediaStreamOptions) {
    super();
    this.#opts = options;
    this.#random = options.random ?? Math.random;
    this.#wallClock = options.wallClock ?? Date.now;
    this.#clock = new MediaClock({ frameMs: FRAME_MS, ...(options.scheduler ? { scheduler: options.scheduler } : {}) });
    this.#relatchAfterMs = options.relatchAfterMs ?? 2000;
    this.#source = options.source;
    this.#sink = options.sink;
    this.#direction = options.direction ?? 'sendrecv';
    this.#remote = { ...options.remote };
    this.#rtpTarget = { address: options.remote.address, port: options.remote.rtpPort };
    this.#rtcpTarget = this.#defaultRtcpTarget();
    // §5.1, §8: random SSRC, initial sequence number and timestamp.
    this.ssrc = options.ssrc !== undefined ? options.ssrc >>> 0 : Math.floor(this.#random() * 0x100000000) >>> 0;
    this.#seq = Math.floor(this.#random() * 0x10000);
    this.#tsBase = Math.floor(this.#random() * 0x100000000) >>> 0;
    this.#cname = options.cname ?? `appel-${Math.floor(this.#random() * 0x100000000).toString(16)}`;
  }

  #defaultRtcpTarget(): Target {
    const r = this.#remote;
    return { address: r.address, port: r.rtcpPort ?? (this.#opts.rtcpMux ? r.rtpPort : r.rtpPort + 1) };
  }

  /** The local RTP port (after `start`). */
  get localPort(): number {
    return this.#rtpSocket?.address().port ?? 0;
  }

  /** The local RTCP port (the RTP port with rtcp-mux). */
  get localRtcpPort(): number {
    return this.#rtcpSocket?.address().port ?? this.localPort;
  }

  /** PCM rate of the codec (what `record` writes). */
  get codecSampleRate(): number {
    return this.#codec?.sampleRate ?? 8000;
  }

  get direction(): MediaDirection {
    return this.#direction;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** Binds the sockets, creates codec and SRTP contexts, and starts sending and playing. */
  async start(): Promise<{ localPort: number; localRtcpPort: number }> {
    if (this.#state !== 'new') throw new Error('MediaStream.start: already started');
    this.#state = 'starting';
    try {
      const native = this.#opts.native ?? (await loadMediaNative());
      this.#native = native;
      const codec = native.createCodec(this.#opts.codec.name, this.#opts.codec.options);
      this.#codec = codec;
      this.#frameTs = Math.round(codec.clockRate / 50);
      const ptime = this.#opts.ptime ?? 20;
      this.#framesPerPacket = codec.name === 'opus' ? 1 : Math.max(1, Math.round(ptime / FRAME_MS));
      this.#jb = new JitterBuffer({ clockRate: codec.clockRate, frameMs: FRAME_MS, ...this.#opts.jitterBuffer });
      this.#dtmfReceiver = new DtmfReceiver({ clockRate: codec.clockRate });
      if (this.#opts.telephoneEventPt !== undefined) this.#dtmfSender = new DtmfSender({ clockRate: codec.clockRate, frameMs: FRAME_MS });
      if (this.#opts.srtp) {
        const { suite, localKey, remoteKey } = this.#opts.srtp;
        this.#srtpOut = native.createSrtp({ suite, key: localKey, direction: 'outbound' });
        this.#srtpIn = native.createSrtp({ suite, key: remoteKey, direction: 'inbound' });
      }
      this.#makeAdapters();
      await this.#bind();
    } catch (err) {
      this.#state = 'stopped';
      this.#release();
      throw err;
    }
    this.#state = 'running';
    const now = this.#clock.scheduler.now();
    const interval = this.#opts.rtcpIntervalMs ?? 5000;
    // §6.2: the first report goes out after half the minimum interval.
    this.#nextRtcpMs = now + (interval / 2) * (0.5 + this.#random());
    this.#nextStatsMs = now + (this.#opts.statsIntervalMs ?? 1000);
    this.#clock.start(
      (k, due) => this.#tick(k, due),
      (now) => this.#wake(now),
    );
    return { localPort: this.localPort, localRtcpPort: this.localRtcpPort };
  }

  #makeAdapters(): void {
    const codec = this.#codec!;
    const createResampler = this.#native!.createResampler;
    this.#toCodec?.close();
    this.#toSink?.close();
    this.#toCodec = new RateAdapter({ from: this.#source.sampleRate, to: codec.sampleRate, createResampler });
    this.#toSink = new RateAdapter({ from: codec.sampleRate, to: this.#sink.sampleRate, createResampler });
  }

  async #bind(): Promise<void> {
    const type = isIPv6(this.#opts.localAddress) ? 'udp6' : 'udp4';
    const bindOne = (port: number): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = createSocket({ type, reuseAddr: false, lookup: literalLookup });
        s.once('error', (err) => {
          s.close();
          reject(err);
        });
        s.bind(port, this.#opts.localAddress, () => {
          s.removeAllListeners('error');
          resolve(s);
        });
      });
    const wanted = this.#opts.localPort ?? 0;
    const attempt = async (port: number): Promise<void> => {
      const rtp = await bindOne(port);
      if (this.#opts.rtcpMux) {
        this.#rtpSocket = rtp;
        return;
      }
      try {
        this.#rtcpSocket = await bindOne(rtp.address().port + 1);
        this.#rtpSocket = rtp;
      } catch (err) {
        rtp.close();
        throw err;
      }
    };
    if (wanted !== 0) {
      await attempt(wanted);
    } else {
      // §11: an even RTP port, RTCP on the next one.
      const { min, max } = this.#opts.portRange ?? { min: 16384, max: 32766 };
      const evens = Math.floor((max - min) / 2) + 1;
      let lastErr: unknown;
      for (let i = 0; i < 64 && !this.#rtpSocket; i++) {
        const port = min + (min % 2) + 2 * Math.floor(this.#random() * evens);
        if (port > max) continue;
        try {
          await attempt(port);
        } catch (err) {
          lastErr = err;
        }
      }
      if (!this.#rtpSocket) throw new Error(`no free RTP port in ${min}-${max}: ${String(lastErr)}`);
    }
    this.#rtpSocket!.on('message', (msg, rinfo) => this.#guard(() => this.#onDatagram(msg, rinfo, false)));
    this.#rtpSocket!.on('error', (err) => this.#warn('socket', err.message));
    this.#rtcpSocket?.on('message', (msg, rinfo) => this.#guard(() => this.#onDatagram(msg, rinfo, true)));
    this.#rtcpSocket?.on('error', (err) => this.#warn('socket', err.message));
  }

  /** Sends RTCP BYE (§6.6), stops the clock and closes sockets, codec and SRTP contexts. */
  async stop(reason?: string): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    this.#clock.stop();
    if (wasRunning) {
      this.#flushPending();
      // Wait for the BYE to leave before the socket closes.
      await new Promise<void>((resolve) => {
        let sending = false;
        this.#guard(() => {
          sending = this.#sendRtcp(reason ?? '', resolve);
        });
        if (!sending) resolve();
      });
    }
    const close = (s: Socket | undefined): Promise<void> => new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
    await Promise.all([close(this.#rtpSocket), close(this.#rtcpSocket)]);
    this.#rtpSocket = undefined;
    this.#rtcpSocket = undefined;
    this.#release();
  }

  #release(): void {
    this.#codec?.close();
    this.#srtpIn?.close();
    this.#srtpOut?.close();
    this.#toCodec?.close();
    this.#toSink?.close();
  }

  /** RFC 3264 §5.1 / §8.4: what flows. RTCP goes on in every direction. */
  setDirection(direction: MediaDirection): void {
    if (direction === this.#direction) return;
    const wasSending = this.#sends();
    this.#direction = direction;
    if (!this.#sends() && wasSending) this.#pendingPayloads = [];
    if (this.#sends() && !wasSending) this.#marker = true;
    if (!this.#receives()) {
      this.#jb?.reset();
      this.#outFifo.clear();
    }
  }

  #sends(): boolean {
    return this.#direction === 'sendrecv' || this.#direction === 'sendonly';
  }

  #receives(): boolean {
    return this.#direction === 'sendrecv' || this.#direction === 'recvonly';
  }

  /** Queues RFC 4733 digits. Throws when telephone-event was not negotiated or a digit is bad. */
  sendDtmf(digits: string): void {
    if (!this.#dtmfSender) throw new Error('sendDtmf: telephone-event was not negotiated for this stream');
    this.#dtmfSender.enqueue(digits);
    this.#clock.wakeAt(this.#clock.scheduler.now());
  }

  /** A new remote description (re-INVITE, UPDATE): send there, and latch afresh. */
  updateRemote(remote: MediaRemote): void {
    this.#remote = { ...remote };
    this.#rtpTarget = { address: remote.address, port: remote.rtpPort };
    this.#rtcpTarget = this.#defaultRtcpTarget();
    this.#latched = undefined;
    this.#latchedRtcp = undefined;
    this.#lastFromLatchedMs = -Infinity;
  }

  /** Swaps the source and/or sink (e.g. into a conference mixer, or to a WAV file). */
  setPorts(ports: { source?: AudioPort; sink?: AudioPort }): void {
    if (ports.source) this.#source = ports.source;
    if (ports.sink) this.#sink = ports.sink;
    if (this.#codec) this.#makeAdapters();
  }

  get source(): AudioPort {
    return this.#source;
  }

  get sink(): AudioPort {
    return this.#sink;
  }

  /**
   * Call recording: each frame, the local side (what we send) and the remote side (what we
   * play), both at `codecSampleRate`. Pass undefined to stop.
   */
  setRecorder(recorder: { putStereo(left: Int16Array, right: Int16Array): void } | undefined): void {
    this.#recorder = recorder;
  }

  // ---- the media clock ------------------------------------------------------------------------

  #tsOfFrame(k: number): number {
    return (this.#tsBase + k * this.#frameTs) >>> 0;
  }

  #tick(k: number, dueMs: number): void {
    this.#guard(() => {
      const codec = this.#codec!;
      const ts = this.#tsOfFrame(k);
      this.#pollDtmf(dueMs, ts);
      // Send side: always pull the source (keeps files and device FIFOs in real time).
      const local = this.#toCodec!.process(this.#source.getFrame());
      if (this.#sends() && !this.#dtmfSender?.active) {
        if (this.#pendingPayloads.length === 0) this.#pendingTs = ts;
        this.#pendingPayloads.push(codec.encode(local));
        if (this.#pendingPayloads.length >= this.#framesPerPacket) this.#flushPending();
      }
      // Receive side.
      const remote = this.#playout(dueMs);
      this.#sink.putFrame(this.#toSink!.process(remote));
      this.#recorder?.putStereo(local, remote);
      for (const e of this.#dtmfReceiver!.poll(dueMs)) this.#emitSafe('dtmf', e);
      if (dueMs >= this.#nextRtcpMs) {
        this.#sendRtcp(undefined);
        const interval = this.#opts.rtcpIntervalMs ?? 5000;
        this.#nextRtcpMs = dueMs + interval * (0.5 + this.#random()); // §6.2: [0.5, 1.5] × interval
      }
      if (dueMs >= this.#nextStatsMs) {
        this.#nextStatsMs += this.#opts.statsIntervalMs ?? 1000;
        this.#snapshotLoss();
        this.#emitSafe('stats', this.stats());
      }
    });
  }

  #wake(now: number): void {
    if (!this.#dtmfSender) return;
    const k = Math.max(0, Math.floor((now - this.#clock.startMs) / FRAME_MS));
    this.#guard(() => this.#pollDtmf(now, this.#tsOfFrame(k)));
    const next = this.#dtmfSender.nextDueMs();
    if (next !== undefined && next > now) this.#clock.wakeAt(next);
  }

  #pollDtmf(nowMs: number, ts: number): void {
    if (!this.#dtmfSender || this.#dtmfSender.pending === 0) return;
    const packets = this.#dtmfSender.poll(nowMs, () => ts);
    if (packets.length > 0) {
      this.#flushPending();
      if (!this.#sends()) return;
      for (const p of packets) this.#sendRtp(this.#opts.telephoneEventPt!, p.timestamp, p.marker, p.payload);
      this.#marker = true; // audio after an event starts a new talkspurt
    }
  }

  #flushPending(): void {
    if (this.#pendingPayloads.length === 0) return;
    const parts = this.#pendingPayloads;
    this.#pendingPayloads = [];
    let payload: Uint8Array;
    if (parts.length === 1) payload = parts[0];
    else {
      payload = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        payload.set(p, at);
        at += p.length;
      }
    }
    this.#sendRtp(this.#opts.codec.payloadType, this.#pendingTs, this.#marker, payload);
    this.#marker = false;
  }

  #sendRtp(payloadType: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    const socket = this.#rtpSocket;
    if (!socket) return;
    let bytes = RtpPacket.encode({ payloadType, marker, sequenceNumber: this.#seq, timestamp, ssrc: this.ssrc, csrcs: [], payload });
    this.#seq = (this.#seq + 1) & 0xffff;
    if (this.#srtpOut) bytes = this.#srtpOut.protectRtp(bytes);
    this.#packetsSent++;
    this.#octetsSent += payload.length;
    this.#bytesSent += bytes.length;
    this.#sentSinceReport = true;
    socket.send(bytes, this.#rtpTarget.port, this.#rtpTarget.address, (err) => {
      if (err) this.#warn('send', err.message);
    });
  }

  /** One frame for the sink, at the codec's rate. */
  #playout(dueMs: number): Int16Array {
    const codec = this.#codec!;
    const n = codec.frameSamples;
    if (!this.#receives()) return new Int16Array(n);
    const jb = this.#jb!;
    let guard = 0;
    while (this.#outFifo.length < n && guard++ < 8) {
      // The popped audio starts playing once what is queued has played.
      const f = jb.pop(dueMs + (this.#outFifo.length * 1000) / codec.sampleRate);
      let pcm: Int16Array;
      switch (f.kind) {
        case 'frame':
          try {
            pcm = codec.decode(f.payload);
          } catch {
            this.#dropped.malformed++;
            pcm = codec.decode(null);
          }
          break;
        case 'plc':
          pcm = f.fec && codec.decodeFec ? this.#decodeFec(codec, f.fec) : codec.decode(null);
          break;
        case 'cn':
          pcm = this.#noise.frame(f.level, n);
          break;
        case 'silence':
          pcm = new Int16Array(n);
          break;
      }
      this.#outFifo.write(pcm);
    }
    return this.#outFifo.read(n);
  }

  #decodeFec(codec: Codec, next: Uint8Array): Int16Array {
    try {
      return codec.decodeFec!(next);
    } catch {
      return codec.decode(null);
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  #onDatagram(msg: Uint8Array, rinfo: RemoteInfo, onRtcpSocket: boolean): void {
    if (this.#state !== 'running') return;
    // RFC 7983 §7: STUN shares the socket (a late answer to reserve-ports' Binding request):
    // not RTP, not RTCP, not counted as dropped. What only starts like STUN is junk.
    if (Stun.isStun(msg)) {
      if (!Stun.hasHeader(msg)) this.#dropped.malformed++;
      return;
    }
    if (onRtcpSocket || (this.#opts.rtcpMux && RtcpPacket.isRtcp(msg))) {
      this.#onRtcp(msg, rinfo);
      return;
    }
    const now = this.#clock.scheduler.now();
    let bytes = msg;
    if (this.#srtpIn) {
      try {
        bytes = this.#srtpIn.unprotectRtp(msg);
      } catch {
        this.#dropped.srtp++;
        return;
      }
    }
    let packet: RtpPacket;
    try {
      packet = RtpPacket.decode(bytes);
    } catch {
      this.#dropped.malformed++;
      return;
    }
    const pt = packet.payloadType;
    const isAudio = pt === this.#opts.codec.payloadType || pt === this.#opts.codec.receivePayloadType;
    const isEvent = this.#opts.telephoneEventPt !== undefined && pt === this.#opts.telephoneEventPt;
    const isCn = pt === COMFORT_NOISE_PT && !isAudio;
    if (!isAudio && !isEvent && !isCn) {
      this.#dropped.payloadType++;
      return;
    }
    const source: Target = { address: plainAddress(rinfo.address), port: rinfo.port };
    if (!this.#acceptSource(source, packet.ssrc, now, this.#srtpIn !== undefined)) {
      this.#dropped.foreignSource++;
      return;
    }
    if (packet.ssrc !== this.#remoteSsrc) {
      const previous = this.#remoteSsrc;
      this.#remoteSsrc = packet.ssrc;
      this.#rxStats = new RtpReceiverStats({ ssrc: packet.ssrc, clockRate: this.#codec!.clockRate });
      this.#dtmfReceiver = new DtmfReceiver({ clockRate: this.#codec!.clockRate });
      this.#lossWindow.length = 0;
      this.#emitSafe('ssrc-changed', previous === undefined ? { ssrc: packet.ssrc } : { previous, ssrc: packet.ssrc });
    }
    this.#packetsReceived++;
    this.#bytesReceived += msg.length;
    const verdict = this.#rxStats!.update({ sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, payloadBytes: packet.payload.length }, now, { jitter: isAudio });
    if (verdict === 'bad-sequence' || !this.#receives()) return;
    if (isEvent) {
      for (const e of this.#dtmfReceiver!.push(packet, now)) this.#emitSafe('dtmf', e);
      return;
    }
    const duration = isAudio ? (CodecInfo.payloadDuration(this.#codec!.name, packet.payload) ?? this.#frameTs) : 0;
    // The payload is a view into this datagram's own buffer (dgram allocates one per message).
    this.#jb!.push(
      { sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, ssrc: packet.ssrc, payload: packet.payload, duration, comfortNoise: isCn },
      now,
    );
  }

  /** The latching rules (see the file comment). */
  #acceptSource(source: Target, ssrc: number, now: number, authenticated: boolean): boolean {
    if (this.#latched === undefined) {
      const fromSdpAddress = canonicalAddress(this.#remote.address) === canonicalAddress(source.address);
      const announced = this.#remote.ssrc;
      const trusted =
        fromSdpAddress || authenticated || (announced !== undefined ? ssrc === announced : isPrivateAddress(this.#remote.address));
      if (!trusted) return false;
      this.#latch(source, now);
      return true;
    }
    if (sameTarget(this.#latched, source)) {
      this.#lastFromLatchedMs = now;
      return true;
    }
    if (ssrc === this.#remoteSsrc && now - this.#lastFromLatchedMs >= this.#relatchAfterMs) {
      this.#latch(source, now);
      return true;
    }
    return false;
  }

  #latch(source: Target, now: number): void {
    this.#latched = source;
    this.#lastFromLatchedMs = now;
    if (!sameTarget(this.#rtpTarget, source)) {
      this.#rtpTarget = source;
      if (this.#opts.rtcpMux) this.#rtcpTarget = source;
      else if (!this.#latchedRtcp) this.#rtcpTarget = { address: source.address, port: source.port + 1 };
      this.#emitSafe('latched', { ...source, rtcp: false });
    }
  }

  #onRtcp(msg: Uint8Array, rinfo: RemoteInfo): void {
    let bytes = msg;
    if (this.#srtpIn) {
      try {
        bytes = this.#srtpIn.unprotectRtcp(msg);
      } catch {
        this.#dropped.srtp++;
        return;
      }
    }
    let packets: Rtcp[];
    try {
      packets = RtcpPacket.decodeCompound(bytes);
    } catch {
      this.#dropped.malformed++;
      return;
    }
    const now = this.#clock.scheduler.now();
    const sender = packets[0].type === 'sr' || packets[0].type === 'rr' ? packets[0].ssrc : undefined;
    if (sender !== undefined && sender === this.#remoteSsrc && !this.#opts.rtcpMux) {
      const source = { address: plainAddress(rinfo.address), port: rinfo.port };
      if (!sameTarget(this.#latchedRtcp, source)) {
        this.#latchedRtcp = source;
        if (!sameTarget(this.#rtcpTarget, source)) {
          this.#rtcpTarget = source;
          this.#emitSafe('latched', { ...source, rtcp: true });
        }
      }
    }
    for (const p of packets) {
      if (p.type === 'sr' || p.type === 'rr') {
        if (p.type === 'sr' && p.ssrc === this.#remoteSsrc) this.#rxStats?.onSenderReport(p.ntp, p.rtpTimestamp, now);
        for (const block of p.reports) if (block.ssrc === this.ssrc) this.#onReportBlock(block);
      } else if (p.type === 'bye') {
        if (this.#remoteSsrc !== undefined && p.ssrcs.includes(this.#remoteSsrc)) {
          this.#emitSafe('bye', p.reason === undefined ? { ssrc: this.#remoteSsrc } : { ssrc: this.#remoteSsrc, reason: p.reason });
        }
      }
    }
  }

  #onReportBlock(block: ReportBlock): void {
    const rtt = NtpTime.roundTripMs(block, NtpTime.fromUnixMs(this.#wallClock()));
    if (rtt !== undefined) this.#rttMs = rtt;
    this.#remoteReport = {
      lossPercent: (block.fractionLost / 256) * 100,
      cumulativeLost: block.cumulativeLost,
      jitterMs: (block.jitter * 1000) / this.#codec!.clockRate,
    };
  }

  // ---- RTCP sending ---------------------------------------------------------------------------

  /** A compound packet (§6.1): SR or RR, SDES CNAME, and BYE when `byeReason` is given. */
  #sendRtcp(byeReason: string | undefined, sent?: () => void): boolean {
    const socket = this.#rtcpSocket ?? this.#rtpSocket;
    if (!socket || !this.#codec) return false;
    const now = this.#clock.scheduler.now();
    const reports = this.#rxStats && this.#rxStats.expected > 0 ? [this.#rxStats.reportBlock(now)] : [];
    // §6.4: an SR when we sent data since the report before the last one.
    const weSent = this.#sentSinceReport || this.#sentInLastInterval;
    this.#sentInLastInterval = this.#sentSinceReport;
    this.#sentSinceReport = false;
    const first: Rtcp = weSent
      ? {
          type: 'sr',
          ssrc: this.ssrc,
          ntp: NtpTime.fromUnixMs(this.#wallClock()),
          // The RTP timestamp of this instant on our media clock (§6.4.1).
          rtpTimestamp: (this.#tsBase + Math.round(((now - this.#clock.startMs) * this.#codec.clockRate) / 1000)) >>> 0,
          packetCount: this.#packetsSent >>> 0,
          octetCount: this.#octetsSent >>> 0,
          reports,
        }
      : { type: 'rr', ssrc: this.ssrc, reports };
    const packets: Rtcp[] = [first, { type: 'sdes', chunks: [{ ssrc: this.ssrc, items: new Map([[SDES_CNAME, this.#cname]]) }] }];
    if (byeReason !== undefined) packets.push(byeReason === '' ? { type: 'bye', ssrcs: [this.ssrc] } : { type: 'bye', ssrcs: [this.ssrc], reason: byeReason });
    let bytes = RtcpPacket.encodeCompound(packets);
    if (this.#srtpOut) bytes = this.#srtpOut.protectRtcp(bytes);
    socket.send(bytes, this.#rtcpTarget.port, this.#rtcpTarget.address, (err) => {
      if (err) this.#warn('send', err.message);
      sent?.();
    });
    return true;
  }

  // ---- statistics -----------------------------------------------------------------------------

  /** Keeps the counters of the last 5 stats intervals, for the recent loss figure. */
  #snapshotLoss(): void {
    this.#lossWindow.push({ expected: this.#rxStats?.expected ?? 0, received: this.#rxStats?.received ?? 0, late: this.#jb?.stats.late ?? 0 });
    if (this.#lossWindow.length > 6) this.#lossWindow.shift();
  }

  /** A snapshot of the stream's figures (also emitted as `stats` every second). */
  stats(): MediaStreamStats {
    const rx = this.#rxStats;
    const jb = this.#jb;
    const expected = rx?.expected ?? 0;
    const received = rx?.received ?? 0;
    const late = jb?.stats.late ?? 0;
    const oldest = this.#lossWindow[0] ?? { expected: 0, received: 0, late: 0 };
    const dExpected = expected - oldest.expected;
    const dLost = dExpected - (received - oldest.received) + (late - oldest.late);
    const lossPercent = dExpected > 0 ? Math.max(0, Math.min(100, (dLost / dExpected) * 100)) : 0;
    const totalLossPercent = expected > 0 ? Math.max(0, ((expected - received + late) / expected) * 100) : 0;
    const jitterBufferMs = jb?.delayMs ?? 0;
    // One-way delay ≈ network (RTT/2) + jitter buffer + packetization.
    const delayMs = (this.#rttMs ?? 0) / 2 + jitterBufferMs + FRAME_MS * this.#framesPerPacket;
    const codec = this.#opts.codec.name;
    const stats: MediaStreamStats = {
      codec,
      direction: this.#direction,
      localSsrc: this.ssrc,
      packetsSent: this.#packetsSent,
      bytesSent: this.#bytesSent,
      packetsReceived: this.#packetsReceived,
      bytesReceived: this.#bytesReceived,
      packetsLost: Math.max(0, rx?.cumulativeLost ?? 0),
      lossPercent,
      totalLossPercent,
      jitterMs: rx?.jitterMs ?? 0,
      jitterBufferMs,
      mos: EModel.mos({ codec, lossPercent, delayMs }),
      concealedFrames: jb?.stats.concealed ?? 0,
      latePackets: late,
      rtpTarget: { ...this.#rtpTarget },
      dropped: { ...this.#dropped },
    };
    if (this.#remoteSsrc !== undefined) stats.remoteSsrc = this.#remoteSsrc;
    if (this.#rttMs !== undefined) stats.rttMs = this.#rttMs;
    if (this.#remoteReport) stats.remote = { ...this.#remoteReport };
    return stats;
  }

  // ---- safety ---------------------------------------------------------------------------------

  /** Socket and timer callbacks never throw (STYLE.md): failures become `warning` events. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#warn('internal', err instanceof Error ? err.message : String(err));
    }
  }

  #warn(code: string, message: string): void {
    try {
      this.emit('warning', { code, message });
    } catch {
      // A throwing listener must not break the media path.
    }
  }

  #emitSafe<K extends keyof MediaStreamEvents>(event: K, ...args: MediaStreamEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: MediaStreamEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#warn('listener', err instanceof Error ? err.message : String(err));
    }
  }
}
