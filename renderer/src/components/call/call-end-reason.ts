/**
 * A call's end in the UI's language: the engine says a code (contract/end-codes.ts) with its
 * parameters, this words it ("Busy (486)", "Occupé (486)"). The engine's English `endReason` is
 * for the command line; only a snapshot without a code falls back to it.
 */
import type { EndCode } from '../../../../main/contract/end-codes.ts';

/** What an end is worded from (a CallSnapshot or a HistoryEntry). */
export interface EndFacts {
  endCode?: EndCode;
  endStatus?: number;
  endTarget?: string;
}

type Translate = (key: string, values?: Record<string, unknown>) => string;

/** Ends that are not a failure: said plainly, not in red; a transfer is a success. */
const CALM: ReadonlySet<EndCode> = new Set(['local-hangup', 'remote-hangup', 'caller-cancelled', 'answered-elsewhere', 'cancelled', 'replaced']);

/** How the end reads: a success (transferred), plain (a hang-up), or a failure. */
export function endTone(end: EndFacts): 'success' | 'plain' | 'failure' {
  if (end.endCode === 'transferred') return 'success';
  if (end.endCode === undefined || CALM.has(end.endCode)) return 'plain';
  return 'failure';
}

/**
 * The reason in words, with the SIP status where there is one (a failure status, 300 and up;
 * a hang-up and a transfer have none). `name` words an address (the contact's name when known).
 */
export function endReasonText(t: Translate, end: EndFacts, name: (uri: string) => string = (uri) => uri): string | undefined {
  if (end.endCode === undefined) return undefined;
  const words = t(`reasons.${end.endCode}`, { target: end.endTarget ? name(end.endTarget) : '' });
  const withStatus = end.endStatus !== undefined && end.endStatus >= 300 && endTone(end) !== 'success';
  return withStatus ? t('reasons.withStatus', { reason: words, status: end.endStatus }) : words;
}
