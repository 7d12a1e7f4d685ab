/**
 * Two (or more) whole Phones in one process, over loopback: SIP on 127.0.0.1 (port 0), media in
 * each phone's own worker thread. Everything is real SIP and RTP; waits are bounded.
 */
import { Phone, type PhoneOptions } from '../../../main/phone/phone.ts';
import type { ApiEvents, CallSnapshot } from '../../../main/contract/api.ts';

export interface TestPhone {
  phone: Phone;
  name: string;
  /** Every event seen, in order. */
  events: Array<{ [K in keyof ApiEvents]: { name: K; payload: ApiEvents[K] } }[keyof ApiEvents]>;
  /** A URI that reaches this phone directly. */
  uri(user?: string): string;
}

export async function startPhone(name: string, opts: PhoneOptions = {}): Promise<TestPhone> {
  const phone = await Phone.create({
    listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    media: { address: '127.0.0.1' },
    keepAlive: 0,
    ...opts,
  });
  const events: TestPhone['events'] = [];
  for (const name of ['call:incoming', 'call:state', 'call:stats', 'call:dtmf', 'message:received'] as const) {
    (phone.on as (e: string, l: (payload: unknown) => void) => Phone)(name, (payload) => void events.push({ name, payload } as never));
  }
  return {
    phone,
    name,
    events,
    uri(user = name) {
      const a = phone.localAddresses().find((l) => l.protocol === 'UDP')!;
      return `sip:${user}@127.0.0.1:${a.port}`;
    },
  };
}

/** The first event (already seen or still to come) named `name` that passes `test`. */
export function waitEvent<K extends keyof ApiEvents>(
  p: TestPhone,
  name: K,
  test: (payload: ApiEvents[K]) => boolean = () => true,
  opts: { since?: number; ms?: number } = {},
): Promise<ApiEvents[K]> {
  const ms = opts.ms ?? 8000;
  const seen = p.events.slice(opts.since ?? 0).find((e) => e.name === name && test(e.payload as ApiEvents[K]));
  if (seen) return Promise.resolve(seen.payload as ApiEvents[K]);
  return new Promise((resolve, reject) => {
    const listener = (payload: ApiEvents[K]) => {
      if (!test(payload)) return;
      clearTimeout(timer);
      p.phone.off(name, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      p.phone.off(name, listener as never);
      const brief = p.events.filter((e) => e.name !== 'call:stats').map((e) => `${e.name}:${'state' in e.payload ? e.payload.state : JSON.stringify(e.payload)}`);
      reject(new Error(`${p.name}: no matching ${name} within ${ms} ms; events: ${brief.join(', ')}`));
    }, ms);
    p.phone.on(name, listener as never);
  });
}

/** A snapshot of the call in `state` (and passing `test`), from event index `since` on. */
export function waitState(p: TestPhone, callId: string, state: CallSnapshot['state'], test: (s: CallSnapshot) => boolean = () => true, since = 0): Promise<CallSnapshot> {
  return waitEvent(p, 'call:state', (s) => s.id === callId && s.state === state && test(s), { since });
}

/** Stats of a call showing at least `packets` received (media really flows), from `since` on. */
export function waitPackets(p: TestPhone, callId: string, packets: number, since = 0) {
  return waitEvent(p, 'call:stats', (s) => s.callId === callId && s.packetsReceived >= packets, { since, ms: 10_000 });
}

/** Index to pass as `since` (only later events count). */
export function mark(p: TestPhone): number {
  return p.events.length;
}
