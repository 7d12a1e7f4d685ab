import { isTokenString } from './chars.ts';
import { Field, keyOf, newField, Request, Response, toBody } from './message.ts';
import { parseNameAddr } from './name-addr.ts';
import { reasonPhrase } from './reason-phrase.ts';
import { headerText } from './header-text.ts';
import type { HeaderField, SipRequest, SipResponse } from './types.ts';

function lines(fields: Array<[string, string]> | undefined): HeaderField[] {
  return fields === undefined ? [] : fields.map(([name, value]) => newField(name, value));
}

/** A new request. Nothing is added for you: Via, Max-Forwards, … are the caller's (§8.1.1). */
export function createRequest(opts: {
  method: string;
  uri: string;
  fields?: Array<[string, string]>;
  body?: Uint8Array | string;
}): SipRequest {
  if (!isTokenString(opts.method)) throw new TypeError(`Invalid method: ${JSON.stringify(opts.method)}`);
  if (opts.uri.length === 0 || /[\s\0]/.test(opts.uri)) throw new TypeError(`Invalid Request-URI: ${JSON.stringify(opts.uri)}`);
  return new Request(opts.method, opts.uri, lines(opts.fields), toBody(opts.body));
}

/** `;tag=` already on a To value? (parsed when possible, else a plain search) */
function hasTag(to: string): boolean {
  try {
    return parseNameAddr(to).params.has('tag');
  } catch {
    return /;\s*tag\s*=/i.test(to);
  }
}

/**
 * A response to `req` (RFC 3261 §8.2.6.2): every Via in order, From, To (with `toTag`
 * added when it has none), Call-ID, CSeq, and Timestamp for a 100 (§8.2.6.1).
 */
export function createResponse(
  req: SipRequest,
  opts: { status: number; reason?: string; toTag?: string; fields?: Array<[string, string]>; body?: Uint8Array | string },
): SipResponse {
  const { status } = opts;
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new TypeError(`Invalid status: ${status}`);
  // §25.1 Reason-Phrase: printable text only. Reasons often carry words from the wire (a parse
  // error naming what it met), so they are made safe here rather than refused.
  const reason = opts.reason === undefined ? reasonPhrase(status) : headerText(opts.reason) || reasonPhrase(status);
  const out: HeaderField[] = [];
  for (const f of req.fields) {
    const key = keyOf(f);
    if (key === 'via' || key === 'from' || key === 'call-id' || key === 'cseq' || (key === 'timestamp' && status === 100)) {
      out.push(new Field(f.name, f.value, key));
    } else if (key === 'to') {
      const value = opts.toTag !== undefined && !hasTag(f.value) ? `${f.value};tag=${opts.toTag}` : f.value;
      out.push(new Field(f.name, value, key));
    }
  }
  for (const f of lines(opts.fields)) out.push(f);
  return new Response(status, reason, out, toBody(opts.body));
}
