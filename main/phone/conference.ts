/**
 * A local three-way conference: two of our calls mixed by the media engine (its `conference`
 * request, mix-minus): each party hears the other party and us, never itself; we hear both and
 * speak to both through the first call's audio ports (the app's device link, or headless that
 * call's --play source and --record file).
 *
 *   merge(a, b) ─▶ active ──split()─────────────────────────▶ ended  (a goes on, b is held)
 *                    ├──a member ends (hangs up, transferred)─▶ ended  (the other call goes on,
 *                    │                                                  with its own audio)
 *                    └──a member's stream is replaced─────────▶ ended  (codec change by the peer)
 *
 * The engine is told at once, before a leaving call's stream is stopped, so the mix never reads
 * a closed port.
 */
import type { ConferenceSnapshot } from '../contract/api.ts';
import type { Call } from './call.ts';
import { CallError } from './call-error.ts';
import type { MediaHost } from './media-host.ts';
import type { Publish } from './phone-events.ts';

export interface ConferenceHost {
  /** The snapshot changed (started, ended). */
  changed(snapshot: ConferenceSnapshot): void;
}

let nextConference = 1;

export class Conference {
  readonly id: string;
  readonly #host: ConferenceHost;
  /** The engine both members' media run in, which mixes them. */
  readonly #media: MediaHost;
  readonly #members: readonly Call[];
  #state: ConferenceSnapshot['state'] = 'active';
  #endReason: string | undefined;

  private constructor(host: ConferenceHost, members: Call[]) {
    this.id = `conf${nextConference++}-${Math.floor(Math.random() * 0x10000).toString(16)}`;
    this.#host = host;
    this.#media = members[0].mediaHost;
    this.#members = members;
  }

  /**
   * Mix `calls` (connected, or held by us: those are resumed first). The first one lends the
   * local user's audio. Throws CallError when a call cannot join.
   */
  static async merge(host: ConferenceHost, calls: Call[]): Promise<Conference> {
    if (calls.length !== 2) throw new CallError('bad-request', `callIds: a conference joins two calls, not ${calls.length}`);
    if (calls[0] === calls[1]) throw new CallError('bad-request', 'callIds: two different calls are needed');
    for (const c of calls) {
      const s = c.snapshot;
      if (s.state !== 'connected' && s.state !== 'held') throw new CallError('wrong-state', `merge: call ${c.id} is ${s.state}, not connected`);
      if (s.conferenceId) throw new CallError('wrong-state', `merge: call ${c.id} is already in conference ${s.conferenceId}`);
      if (s.transfer && (s.transfer.state === 'trying' || s.transfer.state === 'ringing')) throw new CallError('wrong-state', `merge: call ${c.id} is being transferred`);
    }
    // One engine mixes both: a phone carrying many calls runs the later ones apart (media-placement.ts).
    if (calls[0].mediaHost !== calls[1].mediaHost) {
      throw new CallError('wrong-state', `merge: the media of calls ${calls[0].id} and ${calls[1].id} run in different engines (this phone carries more calls at once than its own thread takes); merge two calls made while fewer were up`);
    }
    // Held by us: take it off hold (RFC 3264 §8.4 re-offer), so both parties send and hear.
    for (const c of calls) {
      const by = c.snapshot.heldBy;
      if (by === 'local' || by === 'both') await c.resume();
    }
    const streams = await Promise.all(calls.map((c) => c.streamId()));
    streams.forEach((id, i) => {
      if (id === undefined) throw new CallError('wrong-state', `merge: call ${calls[i].id} has no audio (it ended?)`);
    });
    const conf = new Conference(host, calls);
    const ids = streams as string[];
    await conf.#media.client().conference(conf.id, ids, { fromStream: ids[0] });
    // A member may have ended while the engine was busy: then the conference is over already.
    const gone = calls.find((c) => c.state === 'ended');
    for (const c of calls) c.setConference(conf.id);
    host.changed(conf.snapshot);
    if (gone) await conf.end(`${gone.snapshot.peer.uri} left`);
    return conf;
  }

  get snapshot(): ConferenceSnapshot {
    return {
      id: this.id,
      members: this.#members.map((c) => c.id),
      state: this.#state,
      ...(this.#endReason !== undefined ? { endReason: this.#endReason } : {}),
    };
  }

  get active(): boolean {
    return this.#state === 'active';
  }

  get members(): readonly Call[] {
    return this.#members;
  }

  has(call: Call): boolean {
    return this.#members.includes(call);
  }

  /**
   * End the mix: every member gets its own audio back. The engine's request goes out
   * synchronously (before any stream of a leaving member is stopped); resolves once it is done.
   */
  end(reason: string): Promise<void> {
    if (this.#state === 'ended') return Promise.resolve();
    this.#state = 'ended';
    this.#endReason = reason;
    const media = this.#media;
    const done = media.running ? media.client().endConference(this.id).then(() => undefined, () => undefined) : Promise.resolve();
    for (const c of this.#members) c.setConference(undefined);
    this.#host.changed(this.snapshot);
    return done;
  }

  /** Back to separate calls: the first member goes on, the others are put on hold. */
  async split(): Promise<Call[]> {
    if (this.#state === 'ended') throw new CallError('wrong-state', `split: conference ${this.id} has ended`);
    await this.end('split');
    const [, ...others] = this.#members;
    await Promise.all(others.filter((c) => c.state === 'connected').map((c) => c.hold()));
    return [...this.#members];
  }

  /** A member ended or its stream was replaced: the conference is over, the rest goes on. */
  memberLeft(call: Call, reason: string): void {
    if (this.has(call)) void this.end(reason);
  }
}

/** The phone's conferences: said as 'conference:state'; the device owner follows each change. */
export class Conferences implements ConferenceHost {
  readonly #publish: Publish;
  readonly #after: () => void;
  readonly #conferences = new Map<string, Conference>();

  /** `after`: called once a conference started, changed or ended (the device owner follows). */
  constructor(opts: { publish: Publish; after: () => void }) {
    this.#publish = opts.publish;
    this.#after = opts.after;
  }

  changed(snapshot: ConferenceSnapshot): void {
    if (snapshot.state === 'ended') this.#conferences.delete(snapshot.id);
    this.#publish('conference:state', snapshot);
    this.#after();
  }

  /** Mix two calls into a local three-way conference; held calls are resumed. */
  async merge(calls: Call[]): Promise<ConferenceSnapshot> {
    const conf = await Conference.merge(this, calls);
    if (conf.active) this.#conferences.set(conf.id, conf);
    this.#after();
    return conf.snapshot;
  }

  /** Back to separate calls: the first member goes on, the other is put on hold. */
  async split(conferenceId: string): Promise<Call[]> {
    const conf = typeof conferenceId === 'string' ? this.#conferences.get(conferenceId) : undefined;
    if (!conf) throw new CallError('not-found', `conferenceId: no conference '${String(conferenceId)}'`);
    return conf.split();
  }

  list(): ConferenceSnapshot[] {
    return [...this.#conferences.values()].map((c) => c.snapshot);
  }

  /** The conference going on (one at a time has the local audio). */
  active(): Conference | undefined {
    return [...this.#conferences.values()].find((c) => c.active);
  }

  /** A member ended or its stream was replaced: its conference is over, the rest goes on. */
  memberLeft(call: Call, reason: string): void {
    for (const conf of this.#conferences.values()) conf.memberLeft(call, reason);
  }
}
