/**
 * The Replaces header (RFC 3891 §6.1):
 *
 *   Replaces = callid *(SEMI replaces-param)
 *   replaces-param = to-tag / from-tag / early-flag / generic-param
 *   to-tag = "to-tag" EQUAL token   from-tag = "from-tag" EQUAL token   early-flag = "early-only"
 *
 * Tags are seen from the UA that receives the INVITE carrying it (§3): its to-tag is that UA's
 * local tag, its from-tag that UA's remote tag. `replacesFor(dialog)` builds it from our side of
 * a dialog with the UA that will receive it (attended transfer: the transferor's dialog with
 * the target), so the tags swap.
 */
import { SipParseError } from '../message/index.ts';
import type { DialogId } from '../dialog/dialog.ts';

export interface ReplacesValue {
  callId: string;
  /** The local tag of the dialog at the UA receiving the INVITE. */
  toTag: string;
  /** The remote tag of the dialog at the UA receiving the INVITE. */
  fromTag: string;
  /** Replace only an early dialog; a confirmed one gets 486 (§3). */
  earlyOnly: boolean;
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
/** callid = word ["@" word] (RFC 3261 §25.1). */
const CALL_ID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;

function bad(detail: string): never {
  throw new SipParseError(400, 'Bad Replaces', detail);
}

/** Parse one Replaces value. Throws SipParseError(400, 'Bad Replaces') when it is malformed. */
export function parseReplaces(value: string): ReplacesValue {
  const parts = value.split(';').map((p) => p.trim());
  const callId = parts[0];
  if (!callId || !CALL_ID.test(callId)) bad('no Call-ID');
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of parts.slice(1)) {
    if (p === '') bad('empty parameter');
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? undefined : p.slice(eq + 1).trim();
    if (name === 'to-tag' || name === 'from-tag') {
      if (v === undefined || !TOKEN.test(v)) bad(`${name} is not a token`);
      if ((name === 'to-tag' ? toTag : fromTag) !== undefined) bad(`more than one ${name}`);
      if (name === 'to-tag') toTag = v;
      else fromTag = v;
    } else if (name === 'early-only') {
      earlyOnly = true;
    }
  }
  // §6.1: exactly one to-tag and one from-tag.
  if (toTag === undefined) bad('no to-tag');
  if (fromTag === undefined) bad('no from-tag');
  return { callId, toTag, fromTag, earlyOnly };
}

export function formatReplaces(r: ReplacesValue): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

/**
 * The Replaces that names this dialog of ours to its peer (§3: the peer's local tag is our
 * remote tag). Accepts a Dialog or just its id.
 */
export function replacesFor(dialog: { id: DialogId }, opts: { earlyOnly?: boolean } = {}): ReplacesValue {
  return { callId: dialog.id.callId, toTag: dialog.id.remoteTag, fromTag: dialog.id.localTag, earlyOnly: opts.earlyOnly ?? false };
}

/** The dialog id, as the receiving UA keys it, that a Replaces names (§3). */
export function replacedDialogId(r: ReplacesValue): DialogId {
  return { callId: r.callId, localTag: r.toTag, remoteTag: r.fromTag };
}
