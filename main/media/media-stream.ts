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
 * Sending ahead (`lookaheadFrames` n > 1): when the source and sink are a file, a generated signal
 * or a recorder (AudioPort.ahead) and the addon's pacer is there, the stream wakes once every n
 * frames. Each wake-up plays the frames due since the last one, feeding the jitter buffer each
 * datagram before the first frame due after its arrival (as the per-frame ticks would have), then
 * encodes the frames due before the next wake-up and hands each packet to the pacer
 * (native/src/udp-pacer.cc), which sends it at its own frame time: the wire sees packets 20 ms
 * apart as before, and the thread wakes n times less often. A hold and the stop take back what
 * the pacer has not sent; a digit starts after it (at most n frames later). While digits play, or
 * with a live port, a wake-up a frame again. Only with a packet a frame (ptime 20).
 *
 * MediaStream composes small parts, one job each, and owns their life (start, stop, direction):
 *   rtp-sockets.ts    the socket pair (§11) or the one rtcp-mux socket
 *   rtp-latch.ts      where RTP and RTCP go: the SDP's address, then latching (symmetric RTP)
 *   rtp-sender.ts     the send path: packetization (ptime), DTMF events, RTP, SRTP protect
 *   rtp-receiver.ts   the receive path: SRTP unprotect, RTP, jitter buffer, decode, reception stats
 *   rtcp-reporter.ts  RTCP: our reports and BYE, what the peer's reports say
 */
import type { RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { Codec } from '../../native/index.ts';
import { EModel } from './e-model.ts';
import { MediaClock } from './media-clock.ts';
import { loadMediaNative, type MediaNative, type SrtpLike } from './media-native.ts';
import type { AudioPort } from './ports/audio-port.ts';
import { RateAdapter } from './rate-adapter.ts';
import { RtcpPacket } from './rtcp-packet.ts';
import { RtcpReporter } from './rtcp-reporter.ts';
import { RtpLatch, type MediaRemote } from './rtp-latch.ts';
import { NO_RECEPTION, RtpReceiver, type DropCounts } from './rtp-receiver.ts';
import { RtpSender } from './rtp-sender.ts';
import { RtpSockets } from './rtp-sockets.ts';
import { Stun } from './stun.ts';

export type { MediaDirection, MediaStreamEvents, MediaStreamOptions, MediaStreamStats } from './media-stream-types.ts';
export type { MediaRemote } from './rtp-latch.ts';
import type { MediaDirection, MediaStreamEvents, MediaStreamOptions, MediaStreamStats } from './media-stream-types.ts';

const FRAME_MS = 20;
/** Frames between two reads of a separate RTCP socket (polled sockets; 100 ms), or every wake-up sending ahead. */
const RTCP_DRAIN_FRAMES = 5;
/** At most this many frames a wake-up (500 ms), and a fifth more sent ahead: what a hold or a hang-up takes back, what a digit waits for. */
const MAX_LOOKAHEAD = 25;
/**
 * Until the peer's RTP has come, at most this many (100 ms): symmetric RTP may then move where we
 * send, and that is only learnt at a wake-up; what goes to the old address meanwhile is wasted.
 */
const UNLATCHED_LOOKAHEAD = 5;

/** An RTP datagram drained ahead of the frame it may play in (sending ahead). */
interface Arrived {
  msg: Uint8Array;
  rinfo: RemoteInfo;
  arrived: number;
}

export class MediaStream extends EventEmitter<MediaStreamEvents> {
  readonly #opts: MediaStreamOptions;
  readonly #random: () => number;
  readonly #wallClock: () => number;
  readonly #clock: MediaClock;
  readonly #latch: RtpLatch;
  readonly #dropped: DropCounts = { srtp: 0, malformed: 0, payloadType: 0, foreignSource: 0 };
  #native: MediaNative | undefined;
  #codec: Codec | undefined;
  #srtpOut: SrtpLike | undefined;
  #srtpIn: SrtpLike | undefined;
  #sockets: RtpSockets | undefined;
  #sender: RtpSender | undefined;
  #receiver: RtpReceiver | undefined;
  #rtcp: RtcpReporter | undefined;
  #source: AudioPort;
  #sink: AudioPort;
  #toCodec: RateAdapter | undefined;
  #toSink: RateAdapter | undefined;
  #recorder: { putStereo(left: Int16Array, right: Int16Array): void } | undefined;
  #direction: MediaDirection;
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  readonly ssrc: number;
  readonly #firstSeq: number;
  readonly #tsBase: number;
  readonly #cname: string;
  #nextStatsMs = 0;
  /** While polled sockets are drained: when the drain began (datagrams' ages count back from it). */
  #drainAt: number | undefined;
  /** The next frame to encode: ahead of the clock's while sending ahead. */
  #nextSend = 0;
  /** What we sent of frames not yet played (the recorder's left side), oldest first. */
  readonly #localFrames: Array<{ k: number; pcm: Int16Array }> = [];
  #everyFrame = false;
  /** Sending ahead: RTP drained this wake-up, fed to the jitter buffer frame by frame. */
  readonly #arrivals: Arrived[] = [];
  /** Whoever waits for the digits queued so far to have been sent (sendDtmf). */
  readonly #dtmfSent: Array<() => void> = [];

  constructor(options: MediaStreamOptions) {
    super();
    this.#opts = options;
    this.#random = options.random ?? Math.random;
    this.#wallClock = options.wallClock ?? Date.now;
    // On real time, every stream of the worker wakes on the same 20 ms grid (media-clock.ts).
    this.#clock = new MediaClock({ frameMs: FRAME_MS, ...(options.scheduler ? { scheduler: options.scheduler } : { align: true }) });
    this.#source = options.source;
    this.#sink = options.sink;
    this.#direction = options.direction ?? 'sendrecv';
    this.#latch = new RtpLatch({
      remote: options.remote,
      rtcpMux: options.rtcpMux,
      relatchAfterMs: options.relatchAfterMs ?? 2000,
      onLatched: (latched) => {
        // What the pacer holds goes where RTP goes now.
        if (!latched.rtcp) this.#sockets?.retargetPaced(this.#latch.rtpTarget);
        this.#emitSafe('latched', latched);
      },
    });
    // §5.1, §8: random SSRC, initial sequence number and timestamp.
    this.ssrc = options.ssrc !== undefined ? options.ssrc >>> 0 : Math.floor(this.#random() * 0x100000000) >>> 0;
    this.#firstSeq = Math.floor(this.#random() * 0x10000);
    this.#tsBase = Math.floor(this.#random() * 0x100000000) >>> 0;
    this.#cname = options.cname ?? `appel-${Math.floor(this.#random() * 0x100000000).toString(16)}`;
  }

  /** The local RTP port (after `start`). */
  get localPort(): number {
    return this.#sockets?.localPort ?? 0;
  }

  /** The local RTCP port (the RTP port with rtcp-mux). */
  get localRtcpPort(): number {
    return this.#sockets?.localRtcpPort ?? 0;
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
    const opts = this.#opts;
    try {
      const native = opts.native ?? (await loadMediaNative());
      this.#native = native;
      const codec = native.createCodec(opts.codec.name, opts.codec.options);
      this.#codec = codec;
      const frameTs = Math.round(codec.clockRate / 50);
      if (opts.srtp) {
        const { suite, localKey, remoteKey } = opts.srtp;
        this.#srtpOut = native.createSrtp({ suite, key: localKey, direction: 'outbound' });
        this.#srtpIn = native.createSrtp({ suite, key: remoteKey, direction: 'inbound' });
      }
      this.#receiver = new RtpReceiver({
        codec,
        payloadType: opts.codec.payloadType,
        receivePayloadType: opts.codec.receivePayloadType,
        telephoneEventPt: opts.telephoneEventPt,
        frameTs,
        frameMs: FRAME_MS,
        jitterBuffer: opts.jitterBuffer,
        srtp: this.#srtpIn,
        latch: this.#latch,
        dropped: this.#dropped,
        onSsrcChanged: (change) => this.#emitSafe('ssrc-changed', change),
        onDtmf: (event) => this.#emitSafe('dtmf', event),
      });
      this.#makeAdapters();
      const sockets = await RtpSockets.bind({
        localAddress: opts.localAddress,
        localPort: opts.localPort,
        portRange: opts.portRange,
        rtcpMux: opts.rtcpMux,
        random: this.#random,
        onMessage: (msg, rinfo, onRtcpSocket, ageMs) => {
          // #guard's work, without a closure made per datagram.
          try {
            this.#onDatagram(msg, rinfo, onRtcpSocket, ageMs);
          } catch (err) {
            this.#warn('internal', err instanceof Error ? err.message : String(err));
          }
        },
        onError: (err) => this.#warn('socket', err.message),
        ...(native.createUdpSocket ? { createUdp: native.createUdpSocket } : {}),
      });
      this.#sockets = sockets;
      this.#sender = new RtpSender({
        ssrc: this.ssrc,
        sequenceNumber: this.#firstSeq,
        timestampBase: this.#tsBase,
        codec,
        payloadType: opts.codec.payloadType,
        frameTs,
        frameMs: FRAME_MS,
        framesPerPacket: codec.name === 'opus' ? 1 : Math.max(1, Math.round((opts.ptime ?? 20) / FRAME_MS)),
        telephoneEventPt: opts.telephoneEventPt,
        srtp: this.#srtpOut,
        sockets,
        latch: this.#latch,
        onError: (message) => this.#warn('send', message),
      });
    } catch (err) {
      this.#state = 'stopped';
      void this.#sockets?.close();
      this.#sockets = undefined;
      this.#release();
      throw err;
    }
    this.#state = 'running';
    this.#rtcp = new RtcpReporter({
      ssrc: this.ssrc,
      cname: this.#cname,
      clockRate: this.#codec.clockRate,
      intervalMs: opts.rtcpIntervalMs ?? 5000,
      clock: this.#clock,
      wallClock: this.#wallClock,
      random: this.#random,
      sender: this.#sender,
      receiver: this.#receiver,
      latch: this.#latch,
      sockets: this.#sockets,
      srtpOut: this.#srtpOut,
      srtpIn: this.#srtpIn,
      dropped: this.#dropped,
      onBye: (bye) => this.#emitSafe('bye', bye),
      onError: (message) => this.#warn('send', message),
    });
    this.#nextStatsMs = this.#clock.scheduler.now() + (opts.statsIntervalMs ?? 1000);
    this.#clock.stride = this.#lookahead();
    const sockets = this.#sockets;
    let wakes = 0;
    this.#clock.start(
      (k, due) => this.#tick(k, due),
      (now) => this.#wake(now),
      // Polled sockets: what arrived since the last wake-up, before the frames play it out. A
      // separate RTCP socket (a report every few seconds) is read once per RTCP_DRAIN_FRAMES
      // frames of wake-ups (a DTMF event's extra wake-ups count too): a read of an empty socket is
      // a system call for nothing, and the kernel's arrival stamp keeps the round-trip time exact
      // however late the report is read. Each datagram's age counts back from the one instant the
      // drain began.
      sockets.polled
        ? () => {
            this.#drainAt = this.#clock.scheduler.now();
            const stride = this.#clock.stride;
            try {
              // A wake-up for several frames reads as much more (a flood is no worse for it).
              sockets.drain(wakes++ % Math.max(1, Math.floor(RTCP_DRAIN_FRAMES / stride)) === 0, stride);
            } finally {
              this.#drainAt = undefined;
            }
          }
        : undefined,
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

  /** Sends RTCP BYE (§6.6), stops the clock and closes sockets, codec and SRTP contexts. */
  async stop(reason?: string): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    this.#clock.stop();
    if (wasRunning) {
      this.#sender!.cancelAhead();
      this.#sender!.flush();
      // Wait for the BYE to leave before the socket closes.
      await new Promise<void>((resolve) => {
        let sending = false;
        this.#guard(() => {
          sending = this.#rtcp!.send(reason ?? '', resolve);
        });
        if (!sending) resolve();
      });
    }
    await this.#sockets?.close();
    this.#sockets = undefined;
    this.#release();
    // What was still to send ended with the stream.
    for (const resolve of this.#dtmfSent.splice(0)) resolve();
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
    if (!this.#sends() && wasSending) {
      // What the pacer holds does not leave (its frames were taken from the source: not again).
      this.#sender?.cancelAhead();
      this.#sender?.pause();
    }
    if (this.#sends() && !wasSending) this.#sender?.resume();
    if (!this.#receives()) this.#receiver?.pause();
    // Nothing is sent ahead while we send nothing: a resume sends from the next frame on.
    this.#clock.stride = this.#lookahead();
  }

  #sends(): boolean {
    return this.#direction === 'sendrecv' || this.#direction === 'sendonly';
  }

  #receives(): boolean {
    return this.#direction === 'sendrecv' || this.#direction === 'recvonly';
  }

  /**
   * Queues RFC 4733 digits. Throws when telephone-event was not negotiated or a digit is bad.
   * Resolves once every digit queued so far has been sent (its last packet left, RFC 4733 §2.5.1.4),
   * or the stream stopped: as digits sent by SIP INFO resolve once answered.
   */
  sendDtmf(digits: string): Promise<void> {
    if (this.#state === 'stopped') throw new Error('sendDtmf: the stream has stopped');
    if (!this.#sender?.hasDtmf) throw new Error('sendDtmf: telephone-event was not negotiated for this stream');
    this.#sender.enqueueDtmf(digits);
    // A frame a wake-up while digits play; the first starts after the audio already queued (at
    // most MAX_LOOKAHEAD frames: taking that back would reuse sequence numbers SRTP has protected).
    this.#clock.stride = 1;
    this.#clock.wakeAt(this.#clock.scheduler.now());
    return new Promise((resolve) => this.#dtmfSent.push(resolve));
  }

  /** The digits queued have all been sent (or dropped while we send nothing): their senders are told. */
  #settleDtmf(): void {
    if (this.#dtmfSent.length === 0 || this.#sender?.dtmfBusy) return;
    for (const resolve of this.#dtmfSent.splice(0)) resolve();
  }

  /** A new remote description (re-INVITE, UPDATE): send there, and latch afresh. */
  updateRemote(remote: MediaRemote): void {
    this.#latch.updateRemote(remote);
    this.#sockets?.retargetPaced(this.#latch.rtpTarget);
  }

  /** Swaps the source and/or sink (e.g. into a conference mixer, or to a WAV file). */
  setPorts(ports: { source?: AudioPort; sink?: AudioPort }): void {
    if (ports.source) this.#source = ports.source;
    if (ports.sink) this.#sink = ports.sink;
    if (this.#codec) this.#makeAdapters();
    this.#clock.stride = this.#lookahead();
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

  /**
   * From now on, a wake-up every frame: another part reads where playout is between wake-ups
   * (a video stream lining its pictures up with this audio, RFC 3550 §6.4.1).
   */
  wakeEveryFrame(): void {
    if (this.#everyFrame) return;
    this.#everyFrame = true;
    this.#clock.stride = 1;
    if (this.#state === 'running') this.#clock.wakeAt(this.#clock.scheduler.now());
  }

  /** Frames a wake-up runs now: the option's when the pacer and both ports allow it, we send, and no digit plays. */
  #lookahead(): number {
    const n = Math.min(MAX_LOOKAHEAD, Math.max(1, Math.floor(this.#opts.lookaheadFrames ?? 1)));
    if (n === 1 || this.#everyFrame || !this.#sends() || this.#sender?.framesPerPacket !== 1 || !this.#sockets?.canPace || !this.#source.ahead || !this.#sink.ahead || this.#sender?.dtmfBusy) return 1;
    return this.#latch.latched ? n : Math.min(n, UNLATCHED_LOOKAHEAD);
  }

  #tick(k: number, dueMs: number): void {
    this.#guard(() => {
      // Frames the clock skipped after a stall are neither sent nor played.
      if (k > this.#nextSend) this.#nextSend = k;
      if (k === this.#nextSend) this.#sendFrame(k, dueMs, 0);
      this.#playFrame(k, dueMs);
    });
  }

  #sendFrame(k: number, dueMs: number, delayMs: number): void {
    this.#nextSend = k + 1;
    const sender = this.#sender!;
    const ts = sender.timestampOfFrame(k);
    sender.pollDtmf(dueMs, ts, this.#sends());
    this.#settleDtmf();
    // Always pull the source (keeps files and device FIFOs in real time).
    const local = this.#toCodec!.process(this.#source.getFrame());
    if (this.#sends()) sender.pushAudio(ts, local, delayMs);
    // A copy: ports and adapters may hand out the same buffer every frame.
    if (this.#recorder) this.#localFrames.push({ k, pcm: local.slice() });
  }

  #playFrame(k: number, dueMs: number): void {
    const receiver = this.#receiver!;
    // Sending ahead: the datagrams that had arrived by this frame's time, as a tick then would have.
    const arrivals = this.#arrivals;
    while (arrivals.length > 0 && arrivals[0].arrived <= dueMs) this.#feed(arrivals.shift()!);
    const remote = this.#receives() ? receiver.playout(dueMs) : receiver.silence();
    this.#sink.putFrame(this.#toSink!.process(remote));
    const recorder = this.#recorder;
    const locals = this.#localFrames;
    if (recorder) {
      while (locals.length > 0 && locals[0].k < k) locals.shift();
      // The frame we sent at k (none when the recorder started after it was encoded: silence).
      const local = locals[0]?.k === k ? locals.shift()!.pcm : undefined;
      recorder.putStereo(local ?? new Int16Array(remote.length), remote);
    } else if (locals.length > 0) locals.length = 0;
    receiver.pollDtmf(dueMs);
    this.#rtcp!.onTick(dueMs);
    if (dueMs >= this.#nextStatsMs) {
      this.#nextStatsMs += this.#opts.statsIntervalMs ?? 1000;
      receiver.snapshotLoss();
      const failed = this.#sockets?.pacedFailure();
      if (failed) this.#warn('send', failed);
      this.#emitSafe('stats', this.stats());
    }
  }

  /** A datagram drained earlier, into the jitter buffer now (one that throws loses none of the rest). */
  #feed(a: Arrived): void {
    this.#guard(() => this.#receiver!.receive(a.msg, a.rinfo, a.arrived, this.#receives()));
  }

  #wake(now: number): void {
    const sender = this.#sender;
    if (!sender) return;
    // What arrived after the last frame played waits for no frame: into the jitter buffer now.
    for (const a of this.#arrivals.splice(0)) this.#feed(a);
    const kNow = Math.max(0, Math.floor((now - this.#clock.startMs) / FRAME_MS));
    if (sender.hasDtmf && this.#nextSend <= kNow + 1) {
      this.#guard(() => sender.pollDtmf(now, sender.timestampOfFrame(kNow), this.#sends()));
      this.#settleDtmf();
      const next = sender.nextDtmfDueMs();
      if (next !== undefined && next > now) this.#clock.wakeAt(next);
    }
    const stride = this.#lookahead();
    this.#clock.stride = stride;
    if (stride === 1) return;
    // Send ahead: the frames due before the next wake-up and a fifth of a stride past it, each
    // handed to the pacer for its time. The margin covers a late wake-up (every stream of a thread
    // wakes at the same instant, and the last one served may be late): the frames due meanwhile
    // are already queued, not sent in a burst when it comes.
    const slack = Math.floor(stride / 5);
    const until = this.#clock.nextWakeMs + slack * FRAME_MS;
    const start = this.#clock.startMs;
    this.#guard(() => {
      for (let k = this.#nextSend; start + k * FRAME_MS < until && k < kNow + 1 + MAX_LOOKAHEAD + slack; k++) {
        const due = start + k * FRAME_MS;
        this.#sendFrame(k, due, Math.max(0, due - now));
      }
    });
  }

  // ---- receiving ------------------------------------------------------------------------------

  #onDatagram(msg: Uint8Array, rinfo: RemoteInfo, onRtcpSocket: boolean, ageMs: number): void {
    if (this.#state !== 'running') return;
    // RFC 7983 §7: STUN shares the socket (a late answer to reserve-ports' Binding request):
    // not RTP, not RTCP, not counted as dropped. What only starts like STUN is junk.
    if (Stun.isStun(msg)) {
      if (!Stun.hasHeader(msg)) this.#dropped.malformed++;
      return;
    }
    // Its arrival time: a polled datagram waited in the kernel until this wake-up.
    const arrived = (this.#drainAt ?? this.#clock.scheduler.now()) - ageMs;
    if (onRtcpSocket || (this.#opts.rtcpMux && RtcpPacket.isRtcp(msg))) {
      this.#rtcp!.receive(msg, rinfo, arrived);
      return;
    }
    // A wake-up that plays several frames feeds each datagram before the first frame due after it.
    if (this.#clock.stride > 1 && this.#drainAt !== undefined) {
      this.#arrivals.push({ msg, rinfo, arrived });
      return;
    }
    this.#receiver!.receive(msg, rinfo, arrived, this.#receives());
  }

  // ---- statistics -----------------------------------------------------------------------------

  /** A snapshot of the stream's figures (also emitted as `stats` every second). */
  /** The sender's wall-clock time (ms) of the audio playing now (rtp-receiver.ts), for lip sync. */
  playoutSenderTime(): number | undefined {
    return this.#receiver?.playoutSenderTime();
  }

  stats(): MediaStreamStats {
    const rx = this.#receiver?.figures() ?? NO_RECEPTION;
    const rttMs = this.#rtcp?.rttMs;
    const remoteReport = this.#rtcp?.remoteReport;
    // One-way delay ≈ network (RTT/2) + jitter buffer + packetization.
    const delayMs = (rttMs ?? 0) / 2 + rx.jitterBufferMs + FRAME_MS * (this.#sender?.framesPerPacket ?? 1);
    const codec = this.#opts.codec.name;
    const sent = this.#sender?.sent();
    const stats: MediaStreamStats = {
      codec,
      direction: this.#direction,
      localSsrc: this.ssrc,
      packetsSent: sent?.packets ?? 0,
      bytesSent: sent?.bytes ?? 0,
      packetsReceived: rx.packetsReceived,
      bytesReceived: rx.bytesReceived,
      packetsLost: rx.packetsLost,
      lossPercent: rx.lossPercent,
      totalLossPercent: rx.totalLossPercent,
      jitterMs: rx.jitterMs,
      jitterBufferMs: rx.jitterBufferMs,
      mos: EModel.mos({ codec, lossPercent: rx.lossPercent, delayMs }),
      concealedFrames: rx.concealedFrames,
      latePackets: rx.latePackets,
      rtpTarget: { ...this.#latch.rtpTarget },
      dropped: { ...this.#dropped },
    };
    if (rx.remoteSsrc !== undefined) stats.remoteSsrc = rx.remoteSsrc;
    if (rttMs !== undefined) stats.rttMs = rttMs;
    if (remoteReport) stats.remote = { ...remoteReport };
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
