/**
 * Text from elsewhere (an SDP error, a peer's display name, an exception's message) made safe to
 * put in a header we send. The serializer refuses CR, LF and NUL outright (header injection);
 * these helpers are for text we do not control, so that it is shown, not obeyed.
 */

/** Longest text we copy into one header value or reason phrase. */
const MAX_TEXT = 200;

/**
 * Printable header text: every control character (C0, DEL, C1) becomes a space, runs of white
 * space fold to one (RFC 3261 §7.3.1 LWS), and the text is cut at `max` characters with "…".
 */
export function headerText(text: string, max = MAX_TEXT): string {
  // eslint-disable-next-line no-control-regex
  const folded = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}

/** RFC 3261 §25.1 quoted-string: `"…"`, with `"` and `\` escaped as quoted-pairs, over headerText(). */
export function quotedString(text: string, max = MAX_TEXT): string {
  return `"${headerText(text, max).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
