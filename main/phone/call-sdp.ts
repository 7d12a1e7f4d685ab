/**
 * The small pure pieces of a call's SDP handling (main/sdp/ does the offer/answer itself): SDP as
 * a SIP body and back, an incoming offer read once, and the 488 that says why an offer cannot be
 * met.
 */
import { parseNameAddr, quotedString, type Body, type InviteSession } from '../sip/index.ts';
import { formatSdp, parseSdp, type SessionDescription } from '../sdp/index.ts';

export function sdpBody(sd: SessionDescription): Body {
  return { contentType: 'application/sdp', body: formatSdp(sd) };
}

export function textOf(body: Body): string {
  return typeof body.body === 'string' ? body.body : new TextDecoder().decode(body.body);
}

/** An incoming offer parsed once: the SDP, or why it is not SDP we can read. */
export function readOffer(body: Body): { sdp: SessionDescription } | { problem: string } {
  try {
    return { sdp: parseSdp(textOf(body)) };
  } catch (err) {
    return { problem: `the caller's session description is not valid SDP (${(err as Error).message})` };
  }
}

/** Why an incoming offer is not SDP we can read, in words; undefined when it is. */
export function unreadableOffer(body: Body): string | undefined {
  const read = readOffer(body);
  return 'problem' in read ? read.problem : undefined;
}

/** 488 Not Acceptable Here with a Warning (RFC 3261 §20.43, code 399): why, in printable words. */
export function reject488(session: InviteSession, reason: string): void {
  session.reject(488, { headers: [['Warning', `399 appel ${quotedString(reason)}`]] });
}

/** The host of a Contact (our media address when we answer: where the caller reached us). */
export function hostOfContact(contact: string): string | undefined {
  try {
    return parseNameAddr(contact).uri.host.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** An offer with an active video stream (RFC 3264: a port other than 0). */
export function hasVideo(offer: SessionDescription | undefined): boolean {
  return offer?.media.some((m) => m.type === 'video' && m.port !== 0) ?? false;
}
