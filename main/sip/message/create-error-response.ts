import { skipWs, trimEnd } from './chars.ts';
import { headerKey } from './header-names.ts';
import { generateTag } from './ids.ts';
import { parseCSeq } from './cseq.ts';
import { parseNameAddr } from './name-addr.ts';
import type { SipParseError } from './sip-parse-error.ts';
import { formatVia, parseViaList } from './via.ts';

const MAX_SCAN = 65536;

/** `SIP/2.0/<transport> <sent-by>` and the branch, out of a Via the strict parser refused. */
function salvageVia(value: string): string | undefined {
  const head = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+([^\s;,]+)/i.exec(value);
  if (head === null) return undefined;
  const branch = /;\s*branch\s*=\s*([A-Za-z0-9.!%*_+`'~-]+)/i.exec(value);
  try {
    const via = parseViaList(`SIP/2.0/${head[1]} ${head[2]}` + (branch ? `;branch=${branch[1]}` : ''))[0];
    return formatVia(via);
  } catch {
    return undefined;
  }
}

/**
 * For a request that failed to parse: the bytes of the response that tells its sender
 * why (RFC 3261 §8.2.2, §16.3: 400 with a reason, 505 for the version), with the
 * Via, From, To, Call-ID and CSeq recovered as far as the wreck allows. Undefined for
 * a response (never answered) or when no Via can be recovered (nobody to answer).
 */
export function createErrorResponse(data: Uint8Array | string, err: SipParseError): Uint8Array | undefined {
  try {
    return build(data, err);
  } catch {
    return undefined;
  }
}

function readable(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

function build(data: Uint8Array | string, err: SipParseError): Uint8Array | undefined {
  let text: string;
  if (typeof data === 'string') text = data.length > MAX_SCAN ? data.slice(0, MAX_SCAN) : data;
  else {
    const buf = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, MAX_SCAN));
    const blank = buf.indexOf('\r\n\r\n');
    text = buf.toString('utf8', 0, blank < 0 ? buf.length : blank + 2);
  }
  const blank = text.indexOf('\r\n\r\n');
  if (blank >= 0) text = text.slice(0, blank + 2);
  // Lenient line split: CRLF or bare LF, folding undone.
  const rawLines = text.replace(/^(\r?\n)+/, '').split(/\r?\n/);
  const start = rawLines[0] ?? '';
  if (/^sip\//i.test(start)) return undefined;
  const fields: Array<[string, string, string]> = [];
  for (let i = 1; i < rawLines.length; i++) {
    const line = rawLines[i].replace(/[\r\0]/g, '');
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1][2] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, trimEnd(line, 0, colon));
    const value = line.slice(skipWs(line, colon + 1, line.length)).trim();
    fields.push([headerKey(name), name, value]);
  }

  const vias: string[] = [];
  let from: string | undefined, to: string | undefined, callId: string | undefined, cseq: string | undefined;
  let viaBroken = false;
  for (const [key, , value] of fields) {
    if (key === 'via') {
      if (viaBroken) continue;
      try {
        for (const v of parseViaList(value)) vias.push(formatVia(v));
      } catch {
        // Keep what routes a response (protocol, sent-by, branch) of a damaged top Via;
        // leave out the rest, and every Via below it.
        const top = vias.length === 0 ? salvageVia(value) : undefined;
        if (top !== undefined) vias.push(top);
        viaBroken = true;
      }
    } else if (key === 'from') from ??= value;
    else if (key === 'to') to ??= value;
    else if (key === 'call-id') callId ??= value;
    else if (key === 'cseq') cseq ??= value;
  }
  if (vias.length === 0) return undefined;

  let out = `SIP/2.0 ${err.status} ${err.reason.replace(/[\r\n]/g, ' ')}\r\n`;
  for (const v of vias) out += `Via: ${v}\r\n`;
  // Copy what reads right, so the answer itself is well-formed (§8.2.6.2).
  if (from !== undefined && readable(() => parseNameAddr(from))) out += `From: ${from}\r\n`;
  if (to !== undefined && readable(() => parseNameAddr(to))) {
    // Add a To tag when the request had none.
    out += `To: ${parseNameAddr(to).params.has('tag') ? to : `${to};tag=${generateTag()}`}\r\n`;
  }
  if (callId !== undefined && callId !== '' && !/[\s\0]/.test(callId)) out += `Call-ID: ${callId}\r\n`;
  if (cseq !== undefined && readable(() => parseCSeq(cseq))) out += `CSeq: ${cseq}\r\n`;
  else {
    // The client matches the answer by branch and CSeq method (§17.1.3): keep the method.
    const method = /^([A-Za-z0-9.!%*_+`'~-]+) /.exec(start)?.[1];
    if (method !== undefined) out += `CSeq: 0 ${method}\r\n`;
  }
  out += 'Content-Length: 0\r\n\r\n';
  return Buffer.from(out, 'utf8');
}
