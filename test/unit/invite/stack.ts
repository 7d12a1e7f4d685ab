/**
 * A whole SIP stack for the INVITE specs: SipTransport (UDP + TCP on 127.0.0.1, port 0) →
 * UserAgent → InviteUsage, on a FakeClock of its own (only the test moves time: no
 * retransmission ever fires unless a spec asks for it). Only IP literals are used, so the
 * resolver never asks DNS anything.
 */
import { SipTransport } from '../../../main/sip/transport/sip-transport.ts';
import { SipResolver } from '../../../main/sip/transport/resolver.ts';
import { FakeClock } from '../../../main/sip/transaction/timers.ts';
import { UserAgent } from '../../../main/sip/usage/user-agent.ts';
import { InviteUsage } from '../../../main/sip/usage/invite-usage.ts';
import type { InviteUsageOptions } from '../../../main/sip/usage/invite-usage.ts';
import type { Body, InviteSession, InviteSessionEvents } from '../../../main/sip/usage/invite-session.ts';

export interface Stack {
  name: string;
  transport: SipTransport;
  ua: UserAgent;
  usage: InviteUsage;
  clock: FakeClock;
  /** First lines of every message, as `sent INVITE sip:…` / `received SIP/2.0 200 OK`. */
  trace: string[];
  /** Full text of every message received. */
  received: string[];
  uri(protocol?: 'UDP' | 'TCP', user?: string): string;
  stop(): Promise<void>;
}

export async function startStack(name: string, opts: Partial<Omit<InviteUsageOptions, 'ua' | 'clock'>> = {}): Promise<Stack> {
  const clock = new FakeClock();
  const trace: string[] = [];
  const received: string[] = [];
  const transport = new SipTransport({
    listen: [
      { protocol: 'UDP', address: '127.0.0.1', port: 0 },
      { protocol: 'TCP', address: '127.0.0.1', port: 0 },
    ],
    trace: (e) => {
      trace.push(`${e.direction} ${e.text.slice(0, e.text.indexOf('\r\n'))}`);
      if (e.direction === 'received') received.push(e.text);
    },
  });
  await transport.start();
  const ua = new UserAgent({ transport, resolver: new SipResolver({ servers: ['127.0.0.1:9'] }), clock, userAgent: `test-${name}` });
  const usage = new InviteUsage({ ua, clock, userAgent: `test-${name}`, random: () => 0.5, ...opts });
  return {
    name,
    transport,
    ua,
    usage,
    clock,
    trace,
    received,
    uri(protocol = 'UDP', user = name) {
      const a = transport.localAddresses().find((l) => l.protocol === protocol)!;
      return protocol === 'UDP' ? `sip:${user}@127.0.0.1:${a.port}` : `sip:${user}@127.0.0.1:${a.port};transport=tcp`;
    },
    async stop() {
      usage.close();
      ua.close();
      await transport.stop();
    },
  };
}

/** Wait (on real I/O, bounded) until `cond` holds. */
export async function until(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The next event of a session, bounded. */
export function next<K extends keyof InviteSessionEvents>(session: InviteSession, event: K, ms = 5000): Promise<InviteSessionEvents[K]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${String(event)}' event within ${ms} ms (state ${session.state})`)), ms);
    (session.once as (e: K, l: (...a: InviteSessionEvents[K]) => void) => void)(event, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

/** The next incoming call on a stack. */
export function nextIncoming(stack: Stack, ms = 5000): Promise<InviteSession> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${stack.name}: no incoming call within ${ms} ms`)), ms);
    stack.usage.onIncoming((s) => {
      clearTimeout(t);
      resolve(s);
    });
  });
}

let version = 1;

/** A stand-in session description (the SIP layer does not read it). */
export function sdp(label: string, direction = 'sendrecv'): Body {
  return { contentType: 'application/sdp', body: `v=0\r\no=- 1 ${version++} IN IP4 127.0.0.1\r\ns=${label}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=${direction}\r\n` };
}

export function text(body: Body | undefined): string {
  if (!body) return '';
  return typeof body.body === 'string' ? body.body : new TextDecoder().decode(body.body);
}

export function count(stack: Stack, prefix: string): number {
  return stack.trace.filter((l) => l.startsWith(prefix)).length;
}
