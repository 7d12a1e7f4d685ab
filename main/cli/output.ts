/**
 * What the command line prints: each event as one JSON object per line (--json) or a short
 * sentence, turned from the engine's snapshots and events (what changed, in words).
 */
import { reasonPhrase } from '../sip/index.ts';
import type { AccountSnapshot, CallSnapshot, SipTraceEntry } from '../contract/api.ts';
import type { Phone } from '../phone/phone.ts';

/**
 * Output: JSON lines or sentences. Lines are written together once per turn of the event loop,
 * not one write each: standard output to a pipe or a file is a blocking write in Node, and at
 * hundreds of calls a second (three lines each) those writes were the main thread's largest
 * single cost. Whatever is pending is written before anything goes to stderr and when the
 * process exits, so nothing is lost or reordered.
 */
export class Printer {
  private readonly json: boolean;
  private pending = '';
  private flushQueued = false;
  private readonly flushAtExit = (): void => this.flush();

  constructor(json: boolean) {
    this.json = json;
  }

  /** One event: a JSON line, or the sentence (none: nothing in sentence mode). */
  event(name: string, fields: Record<string, unknown>, sentence?: string): void {
    if (this.json) this.out(JSON.stringify({ event: name, time: new Date().toISOString(), ...fields }) + '\n');
    else if (sentence !== undefined) this.out(sentence + '\n');
  }

  /**
   * Why the command failed, for its exit. In sentence mode the event line already said it on
   * stdout, so nothing is repeated; with --json the sentence goes to stderr for the person.
   */
  failure(sentence: string): void {
    if (this.json) this.error(sentence + '\n');
  }

  trace(t: SipTraceEntry): void {
    if (this.json) {
      this.out(JSON.stringify({ event: 'trace', ...t, time: new Date(t.time).toISOString() }) + '\n');
    } else {
      const arrow = t.direction === 'sent' ? `${t.local} -> ${t.remote}` : `${t.remote} -> ${t.local}`;
      this.error(`--- ${new Date(t.time).toISOString()} ${t.direction} ${t.transport} ${arrow}\n${t.text.replace(/\r\n/g, '\n')}\n`);
    }
  }

  /** Writes what is pending now (also done at the end of each turn and at exit). */
  flush(): void {
    if (this.flushQueued) {
      this.flushQueued = false;
      process.off('exit', this.flushAtExit);
    }
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    process.stdout.write(text);
  }

  private out(line: string): void {
    // A person at a terminal reads as it comes; batching is for pipes and files.
    if (process.stdout.isTTY) {
      process.stdout.write(line);
      return;
    }
    this.pending += line;
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.once('exit', this.flushAtExit);
    setImmediate(() => this.flush());
  }

  /** Writes to standard error, after the events still pending (a terminal shows both in order). */
  error(text: string): void {
    this.flush();
    process.stderr.write(text);
  }
}

/**
 * Why a registration failed, as the command line says it: the engine's words, and for a server
 * certificate from an unknown authority, the flag that makes it trusted.
 */
export function registrationFailure(error: AccountSnapshot['error']): string {
  const reason = error?.reason ?? 'registration failed';
  return error?.code === 'tls-untrusted' ? `${reason}; pass --ca FILE` : reason;
}

/** One account state change as an event. An account that never registered is not said to unregister. */
export function accountEvent(p: Printer, s: AccountSnapshot, previous?: AccountSnapshot['state']): void {
  switch (s.state) {
    case 'registering':
      p.event('registering', { aor: s.aor }, `registering ${s.aor} …`);
      break;
    case 'registered':
      p.event(
        'registered',
        { aor: s.aor, expires: s.expires, contact: s.contact, publicAddress: s.publicAddress },
        `registered ${s.aor} for ${s.expires} s as ${s.contact}`,
      );
      break;
    case 'failed':
      p.event(
        'failed',
        {
          aor: s.aor,
          status: s.error?.status,
          reason: s.error?.reason,
          ...(s.error?.code ? { code: s.error.code } : {}),
          ...(s.error?.certificate ? { certificate: s.error.certificate } : {}),
          retryAt: s.nextAttemptAt && new Date(s.nextAttemptAt).toISOString(),
        },
        `registration of ${s.aor} failed: ${registrationFailure(s.error)}`,
      );
      break;
    case 'unregistered':
      if (previous === 'failed' || previous === 'registering') break;
      p.event('unregistered', { aor: s.aor }, `unregistered ${s.aor}`);
      break;
  }
}


/**
 * The one line a call's end gets: "call ended after 2 s (you hung up)" for a plain hang-up on
 * either side, else the reason and its SIP status ("call ended: busy (486)").
 */
export function endedSentence(s: CallSnapshot, duration: number): string {
  const after = s.answeredAt !== undefined ? ` after ${duration} s` : '';
  const reason = s.endReason ?? '';
  const hungUp = reason === '' || reason === 'call ended' || reason.startsWith('the other side hung up') || reason === 'the caller hung up';
  if (s.answeredAt !== undefined && hungUp) {
    const detail = /^the other side hung up \((.*)\)$/.exec(reason)?.[1];
    return `call ended${after} (${s.endedBy === 'local' ? 'you hung up' : 'the other side hung up'}${detail ? `: ${detail}` : ''})`;
  }
  return `call ended${after}: ${reason || 'the call failed'}${s.endStatus ? ` (${s.endStatus})` : ''}`;
}

function heldWords(by: CallSnapshot['heldBy']): string {
  return by === 'local' ? 'on hold (by us)' : by === 'remote' ? 'on hold (by the other side)' : 'on hold (both sides)';
}

/** Turns the engine's call snapshots into the CLI's events: what changed, in words or JSON. */
export function printCalls(p: Printer, phone: Phone): void {
  const previous = new Map<string, CallSnapshot>();
  phone.on('call:incoming', (s) => {
    p.event('incoming', { callId: s.id, sipCallId: s.sipCallId, from: s.peer.uri, displayName: s.peer.displayName }, `incoming call from ${s.peer.displayName ? `"${s.peer.displayName}" ` : ''}${s.peer.uri}`);
    if (s.video?.offered) p.event('video-offered', { callId: s.id }, 'the call offers video');
  });
  phone.on('call:state', (s) => {
    const before = previous.get(s.id);
    previous.set(s.id, s);
    if (s.state === 'ended') previous.delete(s.id);
    const answered = before?.answeredAt !== undefined;
    if (!before && s.direction === 'outgoing') p.event('calling', { callId: s.id, sipCallId: s.sipCallId, to: s.peer.uri }, `calling ${s.peer.uri} …`);
    if (before && s.direction === 'outgoing' && !answered && s.state !== 'ended' && before.peer.uri !== s.peer.uri) {
      p.event('redirected', { callId: s.id, to: s.peer.uri }, `redirected to ${s.peer.uri}`);
    }
    if (s.state === 'ringing' && s.direction === 'outgoing' && before?.state !== 'ringing') p.event('ringing', { callId: s.id, sipCallId: s.sipCallId }, `${s.peer.uri} is ringing`);
    if (s.state === 'early' && before?.state !== 'early') p.event('early-media', { callId: s.id, sipCallId: s.sipCallId, codec: s.codec, srtp: s.srtp }, `early media (${s.codec}${s.srtp ? ', SRTP' : ''})`);
    if ((s.state === 'connected' || s.state === 'held') && !answered) {
      p.event('answered', { callId: s.id, sipCallId: s.sipCallId, peer: s.peer.uri, codec: s.codec, srtp: s.srtp }, `in call with ${s.peer.uri} (${s.codec}${s.srtp ? ', SRTP' : ''})`);
    }
    const v = s.video;
    const was = before?.video;
    if (v && (was ? v.active !== was.active || v.codec !== was.codec || v.sending !== was.sending || v.receiving !== was.receiving : v.active)) {
      const what = v.active ? `video ${v.codec} (${v.sending && v.receiving ? 'both ways' : v.sending ? 'sending only' : v.receiving ? 'receiving only' : 'paused'})` : 'no video';
      p.event('video', { callId: s.id, active: v.active, codec: v.codec, sending: v.sending, receiving: v.receiving, camera: v.camera }, what);
    }
    if (s.state === 'held' && (before?.state !== 'held' || before.heldBy !== s.heldBy)) p.event('held', { callId: s.id, by: s.heldBy }, heldWords(s.heldBy));
    if (s.state === 'connected' && before?.state === 'held') p.event('resumed', { callId: s.id }, 'resumed');
    if (s.state === 'ended') {
      const duration = s.answeredAt !== undefined ? Math.round(((s.endedAt ?? Date.now()) - s.answeredAt) / 100) / 10 : 0;
      p.event('ended', { callId: s.id, sipCallId: s.sipCallId, reason: s.endReason, status: s.endStatus, by: s.endedBy, duration }, endedSentence(s, duration));
    }
  });
  phone.on('call:dtmf', (d) => p.event('dtmf', { callId: d.callId, digit: d.digit, via: d.via, durationMs: d.durationMs }, `DTMF ${d.digit} (${d.via === 'rtp' ? 'RFC 4733' : 'SIP INFO'})`));
  phone.on('call:stats', (st) => p.event('stats', { ...st }));
  phone.on('call:latched', (l) => p.event('latched', { ...l }, `${l.rtcp ? 'RTCP' : 'media'} now goes to ${l.address}:${l.port}`));
  phone.on('media:warning', (w) => p.event('warning', { ...w }, `warning: ${w.message}`));
  printTransfers(p, phone, previous);
}

/** Transfer progress (from the snapshots), transfer outcomes, and conferences. */
function printTransfers(p: Printer, phone: Phone, previous: Map<string, CallSnapshot>): void {
  const shown = new Map<string, string>();
  phone.on('call:state', (s) => {
    const t = s.transfer;
    const key = t ? `${t.role}/${t.state}/${t.status ?? ''}` : '';
    if (!t || shown.get(s.id) === key || t.state === 'transferred' || t.state === 'failed') {
      if (s.state === 'ended') shown.delete(s.id);
      return;
    }
    shown.set(s.id, key);
    if (s.state === 'ended') shown.delete(s.id);
    const words = t.role === 'transferor' ? `transferring to ${t.to}` : t.role === 'transferee' ? `asked to call ${t.to}` : `being replaced by a call with ${t.to}`;
    p.event('transfer', { callId: s.id, role: t.role, kind: t.kind, to: t.to, state: t.state, status: t.status }, `${words}: ${t.state}`);
  });
  phone.on('call:transferred', (e) =>
    p.event(
      'transferred',
      { callId: e.callId, role: e.role, kind: e.kind, to: e.to, outcome: e.outcome, reason: e.reason, status: e.status, newCallId: e.newCallId },
      e.ok ? (e.role === 'target' ? `the call was replaced by a call with ${e.to}` : `transferred to ${e.to}`) : `the transfer to ${e.to} failed: ${e.reason}`,
    ),
  );
  phone.on('conference:state', (c) =>
    p.event(
      'conference',
      { conferenceId: c.id, members: c.members, peers: c.members.map((id) => previous.get(id)?.peer.uri), state: c.state, reason: c.endReason },
      c.state === 'active' ? `in a conference with ${c.members.map((id) => previous.get(id)?.peer.uri ?? id).join(' and ')}` : `the conference ended (${c.endReason})`,
    ),
  );
}

/**
 * Commands on standard input while `call` or `listen` runs, one per line, acting on the latest
 * call still going: what a person at the keyboard (or a test driving the CLI) would press.

/** "sip:bob@lab.test is busy (486 Busy Here)": why a call did not go as asked, in one line. */
export function callOutcomeLine(to: string, s: CallSnapshot): string {
  const words = s.endReason ?? 'the call failed';
  const status = s.endStatus !== undefined && s.endStatus >= 300 ? ` (${s.endStatus} ${reasonPhrase(s.endStatus)})` : '';
  if (s.answeredAt !== undefined) return `the call with ${to} ended: ${words}${status}`;
  if (/^(busy|busy everywhere|not available right now)$/.test(words)) return `${to} is ${words}${status}`;
  if (words === 'declined') return `${to} declined the call${status}`;
  if (words === 'not found') return `${to} was not found${status}`;
  return `${to}: ${words}${status}`;
}
