/**
 * The calls going on, by id, and what follows each one's life (it is their CallOwner): the
 * device owner when a call comes to the foreground or starts a stream, the conferences when a
 * member leaves or its stream is replaced. It makes each call's CallEnv (the network as it is
 * when the call is made).
 */
import type { InviteSession } from '../sip/index.ts';
import type { Call, CallEnv, CallMedia, CallOwner } from './call.ts';
import { CallError } from './call-error.ts';
import type { Conferences } from './conference.ts';
import type { DeviceOwner } from './device-owner.ts';
import type { MediaPlacement } from './media-placement.ts';
import type { MediaNetwork } from './media-network.ts';
import type { Publish } from './phone-events.ts';

export interface CallRegistryOptions {
  media: MediaPlacement;
  network: Pick<MediaNetwork, 'forCall'>;
  localAudio: boolean;
  publish: Publish;
  device: DeviceOwner;
  conferences: Conferences;
}

export class CallRegistry implements CallOwner {
  readonly #o: CallRegistryOptions;
  readonly #calls = new Map<string, Call>();

  constructor(opts: CallRegistryOptions) {
    this.#o = opts;
  }

  /** What a new call is made with (a later change of the network settings is for the next one). */
  env(): CallEnv {
    const { media, network, localAudio, publish } = this.#o;
    return { media: media.forCall(localAudio), network: network.forCall(), localAudio, publish, owner: this };
  }

  /** A call being set up (either way): the media engine starts now, to be up when the call needs it. */
  add(call: Call): void {
    this.#calls.set(call.id, call);
    this.#o.media.placed(call.mediaHost);
  }

  /** The call with this id (CallError 'not-found' otherwise). */
  get(callId: string): Call {
    const call = typeof callId === 'string' ? this.#calls.get(callId) : undefined;
    if (!call) throw new CallError('not-found', `callId: no call '${String(callId)}'`);
    return call;
  }

  /** Our call over this INVITE session. */
  of(session: InviteSession): Call | undefined {
    return this.all().find((c) => c.session === session);
  }

  all(): Call[] {
    return [...this.#calls.values()];
  }

  /** Forget every call (the phone stops; those that did not end in time are let go). */
  clear(): void {
    this.#calls.clear();
  }

  /** Incoming calls ringing now (asked of every incoming INVITE: counted without copying a snapshot each). */
  ringing(): number {
    let n = 0;
    for (const c of this.#calls.values()) if (c.direction === 'incoming' && c.state === 'ringing') n++;
    return n;
  }

  /**
   * `path`, or `name-2.wav`, `name-3.wav`… when a live call of ours already records to it, its
   * audio or its video (two calls never share a file: a second video call with the same
   * --record-video, a conference's members, each write their own).
   */
  freeRecordPath(path: string): string {
    const used = new Set(this.all().flatMap((c) => [c.snapshot.record, c.videoRecord]));
    if (!used.has(path)) return path;
    for (let k = 2; ; k++) {
      const candidate = path.replace(/(\.[^./\\]*)?$/, (ext) => `-${k}${ext}`);
      if (!used.has(candidate)) return candidate;
    }
  }

  /** A call taking over from another (a transfer): its own audio and video files (freeRecordPath). */
  freeRecordPaths(media: CallMedia): CallMedia {
    const video = media.video?.record ? { ...media.video, record: this.freeRecordPath(media.video.record) } : media.video;
    return { ...media, ...(media.record ? { record: this.freeRecordPath(media.record) } : {}), ...(video ? { video } : {}) };
  }

  // ───────────────────────────── CallOwner ─────────────────────────────

  changed(call: Call): void {
    this.#o.device.noteForeground(call);
  }

  streamStarted(): void {
    this.#o.device.update();
  }

  streamReplaced(call: Call): void {
    this.#o.conferences.memberLeft(call, `the audio of ${call.snapshot.peer.uri} changed`);
  }

  ended(call: Call): void {
    if (this.#calls.delete(call.id)) this.#o.media.ended(call.mediaHost);
    this.#o.device.forget(call);
    this.#o.conferences.memberLeft(call, `${call.snapshot.peer.uri} left`);
    this.#o.device.update();
  }
}
