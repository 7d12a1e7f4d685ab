/**
 * The Reason header (RFC 3326): why a BYE or CANCEL was sent, e.g.
 * `Reason: SIP ;cause=200 ;text="Call completed elsewhere"` or `Reason: Q.850;cause=16`.
 */
import type { SipRequest } from '../message/types.ts';

export interface ReasonValue {
  /** 'SIP', 'Q.850', … as written. */
  protocol: string;
  cause?: number;
  text?: string;
}

/** One Reason value, or undefined when it does not read as `protocol *(;param)`. */
export function parseReason(value: string): ReasonValue | undefined {
  const m = /^\s*([A-Za-z0-9.!%*_+`'~-]+)\s*((?:;[^;]*)*)$/.exec(value);
  if (!m) return undefined;
  const out: ReasonValue = { protocol: m[1] };
  for (const p of m[2].split(';').slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    if (name === 'cause' && /^\d+$/.test(v)) out.cause = Number(v);
    else if (name === 'text') out.text = v.replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1');
  }
  return out;
}

/** The first readable Reason of a request (SIP preferred over others), or undefined. */
export function reasonOf(request: SipRequest): ReasonValue | undefined {
  const all = request.headers('Reason').map(parseReason).filter((r): r is ReasonValue => r !== undefined);
  return all.find((r) => r.protocol.toUpperCase() === 'SIP') ?? all[0];
}

export function formatReason(r: ReasonValue): string {
  let out = r.protocol;
  if (r.cause !== undefined) out += `;cause=${r.cause}`;
  if (r.text !== undefined) out += `;text="${r.text.replace(/["\\]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
  return out;
}
