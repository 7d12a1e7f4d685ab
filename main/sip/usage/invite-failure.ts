/**
 * Why a call did not happen, in words a person understands (STYLE.md: the UI hears "busy",
 * never "486"). The status stays beside the words for whoever needs it.
 */

const WORDS: Record<number, string> = {
  400: 'the call request was refused as malformed',
  401: 'the server wants a password',
  402: 'payment required',
  403: 'the call was refused',
  404: 'not found',
  405: 'calls are not allowed there',
  407: 'the proxy wants a password',
  408: 'no answer',
  410: 'that address is gone',
  413: 'the call request was too large',
  414: 'the address is too long',
  415: 'the other side does not understand our media description',
  416: 'that kind of address is not supported',
  420: 'the other side needs a feature we lack',
  421: 'the other side needs a feature we did not offer',
  422: 'session timer too short for the other side',
  423: 'interval too brief',
  480: 'not available right now',
  481: 'the call no longer exists',
  482: 'the call looped',
  483: 'too many hops',
  484: 'incomplete number',
  485: 'ambiguous address',
  486: 'busy',
  487: 'cancelled',
  488: 'no common codec/media',
  491: 'a request was already pending',
  493: 'could not be decrypted',
  500: 'the other side failed',
  501: 'not supported by the other side',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'the server timed out',
  505: 'SIP version not supported',
  513: 'message too large',
  580: 'media preconditions failed',
  600: 'busy everywhere',
  603: 'declined',
  604: 'does not exist anywhere',
  606: 'not acceptable',
};

/**
 * Words for a final failure status. A reason phrase the stack itself wrote in words (a timeout,
 * a refused connection: "no answer from 10.0.0.1:5060 over UDP after 32 s") is kept as it is.
 */
export function describeFailure(status: number, reasonPhrase?: string): string {
  if ((status === 408 || status === 503) && reasonPhrase && /\d+\.\d+|:\d+|after \d/.test(reasonPhrase)) return reasonPhrase;
  const words = WORDS[status];
  if (words) return words;
  if (status >= 300 && status < 400) return 'redirected, and no new address could be reached';
  if (status >= 400 && status < 500) return `the call failed (${reasonPhrase || 'request refused'})`;
  if (status >= 500 && status < 600) return `the other side had a problem (${reasonPhrase || 'server error'})`;
  if (status >= 600) return `refused everywhere (${reasonPhrase || 'global failure'})`;
  return reasonPhrase || `failed with ${status}`;
}
