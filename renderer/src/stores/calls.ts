import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { CallSnapshot, CallStats, ConferenceSnapshot } from '../../../main/contract/api.ts';
import { ApiFailure, appel, call } from '../api.ts';

/** A transfer that failed: the engine's words, and the SIP status the UI words in its language. */
export class TransferFailure extends ApiFailure {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super('failed', message);
    this.status = status;
  }
}

/**
 * The calls, as the engine pushes them (`call:incoming`, `call:state`, `call:stats`). Actions ask
 * the engine and apply the snapshot it answers; nothing here guesses a call's state.
 *
 * Mute is the one local state: the microphone belongs to the renderer (DESIGN.md, data flow 4),
 * so muting stops our capture rather than asking the engine.
 */
export const useCallsStore = defineStore('calls', () => {
  const calls = ref<CallSnapshot[]>([]);
  const stats = ref<Record<string, CallStats>>({});
  /** The call the call screen shows. */
  const activeId = ref<string>();
  /** The last call that ended, for the call screen to say how. */
  const lastEnded = ref<CallSnapshot>();
  const muted = ref(false);
  /** Local conferences in progress (mixed by the engine). */
  const conferences = ref<Record<string, ConferenceSnapshot>>({});
  /** Digits sent during each call (shown above the keypad). */
  const sentDigits = ref<Record<string, string>>({});
  /**
   * Hanging up the call on screen asked what becomes of the others of its conference (the call
   * screen's question, whether the Hang up button or the keyboard asked for it).
   */
  const conferenceEndAsked = ref(false);

  const live = computed(() => calls.value.filter((c) => c.state !== 'ended'));
  const ringing = computed(() => live.value.filter((c) => c.direction === 'incoming' && c.state === 'ringing'));
  /** Calls in progress or being placed (not the ones still ringing here). */
  const ongoing = computed(() => live.value.filter((c) => !(c.direction === 'incoming' && c.state === 'ringing')));
  const active = computed<CallSnapshot | undefined>(() => ongoing.value.find((c) => c.id === activeId.value) ?? ongoing.value[ongoing.value.length - 1]);
  /** The other call when there are two (for swap). */
  const other = computed<CallSnapshot | undefined>(() => ongoing.value.find((c) => c.id !== active.value?.id));
  /** The local conference the call on screen is in, if any. */
  const activeConference = computed<ConferenceSnapshot | undefined>(() => (active.value?.conferenceId ? conferences.value[active.value.conferenceId] : undefined));

  function apply(snapshot: CallSnapshot): void {
    const i = calls.value.findIndex((c) => c.id === snapshot.id);
    if (snapshot.state === 'ended') {
      if (i >= 0) calls.value.splice(i, 1);
      lastEnded.value = snapshot;
      delete stats.value[snapshot.id];
      if (activeId.value === snapshot.id) activeId.value = undefined;
      if (live.value.length === 0) muted.value = false;
      return;
    }
    if (i >= 0) {
      calls.value[i] = snapshot;
      return;
    }
    // A new call: the last one's "ended" screen is done with (it must not stay under the new one).
    lastEnded.value = undefined;
    calls.value.push(snapshot);
  }

  /** The connected call to put on hold before another one takes the line. */
  async function holdActive(except?: string): Promise<void> {
    const current = active.value;
    if (current && current.id !== except && current.state === 'connected') apply(await call('call:hold', { callId: current.id }));
  }

  /** The engine gives the call the saved codecs and SRTP mode and holds the connected call first (for every client). `video`: a video call. */
  async function dial(to: string, accountId?: string, opts: { video?: boolean } = {}): Promise<CallSnapshot> {
    const snapshot = await call('call:dial', { to, ...(accountId ? { accountId } : {}), ...(opts.video ? { video: true } : {}) });
    apply(snapshot);
    activeId.value = snapshot.id;
    return snapshot;
  }

  /** `video`: take the offered video too (else the call is answered with audio only). */
  async function answer(callId: string, opts: { video?: boolean } = {}): Promise<void> {
    await holdActive(callId);
    apply(await call('call:answer', { callId, ...(opts.video !== undefined ? { video: opts.video } : {}) }));
    activeId.value = callId;
  }

  async function decline(callId: string, status?: 486 | 603): Promise<void> {
    await call('call:decline', { callId, ...(status ? { status } : {}) });
  }

  async function hangup(callId: string): Promise<void> {
    await call('call:hangup', { callId });
  }

  /**
   * Hang up the call on screen: the one way the Hang up button and its shortcut both take. In a
   * conference with another party it only asks (`conferenceEndAsked`): ending our call alone would
   * leave one party on with no word. 'asked', 'ended', or 'none' when no call is on screen.
   */
  async function hangupActive(): Promise<'asked' | 'ended' | 'none'> {
    const c = active.value;
    if (!c) return 'none';
    if (activeConference.value && other.value) {
      conferenceEndAsked.value = true;
      return 'asked';
    }
    await hangup(c.id);
    return 'ended';
  }

  /**
   * The answer to that question: end the call for everyone; connect the two others together
   * (attended transfer, RFC 5589 §7); or leave the conference alone, the other party resumed.
   */
  async function endConference(how: 'everyone' | 'together' | 'only'): Promise<void> {
    conferenceEndAsked.value = false;
    const conf = activeConference.value;
    const mine = active.value;
    const rest = other.value;
    if (!conf || !mine || !rest) return;
    if (how === 'everyone') {
      await Promise.all([hangup(mine.id), hangup(rest.id)]);
      return;
    }
    await split(conf.id);
    if (how === 'together') {
      await attendedTransfer(mine.id, rest.id);
    } else {
      await hangup(mine.id);
      // The other party comes on screen (and is not held again as "the call on screen" when resumed).
      activeId.value = rest.id;
      await resume(rest.id);
    }
  }

  async function hold(callId: string): Promise<void> {
    apply(await call('call:hold', { callId }));
  }

  /** Start or stop recording the call (the engine chooses the file, under the app's data directory). */
  async function record(callId: string, on: boolean): Promise<void> {
    apply(await call('call:record', { callId, on }));
  }

  async function resume(callId: string): Promise<void> {
    await holdActive(callId);
    apply(await call('call:resume', { callId }));
    activeId.value = callId;
  }

  async function dtmf(callId: string, digits: string): Promise<void> {
    await call('call:dtmf', { callId, digits });
    sentDigits.value[callId] = (sentDigits.value[callId] ?? '') + digits;
  }

  /** Two calls: the active one goes on hold, the other comes back. */
  async function swap(): Promise<void> {
    const target = other.value;
    if (target) await resume(target.id);
  }

  /** Blind transfer (RFC 5589 §6); a failure keeps the call and says why (TransferFailure, with the SIP status). */
  async function transfer(callId: string, to: string): Promise<void> {
    const outcome = await call('call:transfer', { callId, to });
    if (!outcome.ok) throw new TransferFailure(outcome.reason, outcome.status);
  }

  /** Accept or decline the transfer the other side of `callId` asked for (REFER). */
  async function answerTransfer(callId: string, accept: boolean): Promise<void> {
    await call('call:transfer-answer', { callId, accept });
  }

  /** Attended transfer (RFC 5589 §7): the peer of `callId` is connected with the peer of `targetCallId`. */
  async function attendedTransfer(callId: string, targetCallId: string): Promise<void> {
    const outcome = await call('call:attended-transfer', { callId, targetCallId });
    if (!outcome.ok) throw new TransferFailure(outcome.reason, outcome.status);
  }

  /** The two calls into one local conference. */
  async function merge(): Promise<void> {
    if (!active.value || !other.value) return;
    const conf = await call('conference:merge', { callIds: [active.value.id, other.value.id] });
    conferences.value[conf.id] = conf;
  }

  async function split(conferenceId: string): Promise<void> {
    for (const c of await call('conference:split', { conferenceId })) apply(c);
    delete conferences.value[conferenceId];
    conferenceEndAsked.value = false;
  }

  /** Add video to the call or remove it (a re-offer: the engine answers the new snapshot). */
  async function setVideo(callId: string, on: boolean): Promise<void> {
    apply(await call('call:video', { callId, on }));
  }

  /** Our camera on or off in the call (nothing renegotiated). */
  async function setCamera(callId: string, on: boolean): Promise<void> {
    apply(await call('call:camera', { callId, on }));
  }

  function show(callId: string): void {
    activeId.value = callId;
  }

  function toggleMute(): void {
    muted.value = !muted.value;
  }

  function forgetEnded(): void {
    lastEnded.value = undefined;
  }

  async function load(): Promise<void> {
    for (const c of await call('call:list', undefined)) apply(c);
  }

  function listen(): () => void {
    const api = appel();
    const offs = [
      api.on('call:incoming', apply),
      api.on('call:state', apply),
      api.on('conference:state', (c) => {
        if (c.state === 'ended') {
          delete conferences.value[c.id];
          // The question of how to end it has no object any more.
          if (!Object.keys(conferences.value).length) conferenceEndAsked.value = false;
        } else conferences.value[c.id] = c;
      }),
      api.on('call:stats', (s) => {
        if (calls.value.some((c) => c.id === s.callId)) stats.value[s.callId] = s;
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  return {
    calls,
    stats,
    activeId,
    lastEnded,
    muted,
    sentDigits,
    conferences,
    conferenceEndAsked,
    live,
    ringing,
    ongoing,
    active,
    other,
    activeConference,
    apply,
    dial,
    answer,
    decline,
    hangup,
    hangupActive,
    endConference,
    hold,
    record,
    setVideo,
    setCamera,
    resume,
    dtmf,
    swap,
    transfer,
    answerTransfer,
    attendedTransfer,
    merge,
    split,
    show,
    toggleMute,
    forgetEnded,
    load,
    listen,
  };
});
