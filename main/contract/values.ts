/**
 * The plain values every side shares: the engine, the store, the bridge, the shell, the CLI and the
 * renderer import them from here, and the types in api.ts are derived from them, so a list written
 * here is the only copy. Nothing in this file needs Node or a DOM.
 */

/** Audio codecs in the default order of preference (best first): Opus, G.722, G.711 µ/A, G.729, GSM. */
export const CALL_CODECS = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'] as const;

/** SDES-SRTP (RFC 4568) policy: none, offered beside RTP/AVP, or required. */
export const SRTP_MODES = ['off', 'optional', 'mandatory'] as const;

/** SIP transports an account may name (RFC 3261 §18; TLS per RFC 5630). */
export const TRANSPORTS = ['udp', 'tcp', 'tls'] as const;

/** Calls sent straight to this computer: 'auto' takes them only while no account registers. */
export const DIRECT_CALLS = ['auto', 'always', 'never'] as const;

/** A transfer the other side asks of us (REFER, RFC 3515). */
export const TRANSFER_REQUESTS = ['ask', 'always', 'never'] as const;

/**
 * How DTMF is sent: RFC 4733 events when the other side has them, else SIP INFO ('auto'), always
 * INFO ('info'), or RFC 4733 events only ('rfc4733': a digit the other side cannot take is refused).
 */
export const DTMF_MODES = ['auto', 'info', 'rfc4733'] as const;

/**
 * Why a TLS connection to a server was refused, as codes a UI words itself: its certificate is
 * from an authority not trusted here, for another name, expired, not valid yet, revoked, or the
 * handshake failed for another reason.
 */
export const TLS_ERROR_CODES = ['tls-untrusted', 'tls-hostname', 'tls-expired', 'tls-not-yet-valid', 'tls-revoked', 'tls-handshake'] as const;

export const LANGUAGES = ['system', 'en', 'fr'] as const;
export const THEMES = ['system', 'light', 'dark'] as const;

/** The labels a contact's address may carry. */
export const ADDRESS_LABELS = ['work', 'home', 'mobile', 'other'] as const;

/** How a call in the history ended. */
export const CALL_OUTCOMES = ['answered', 'missed', 'declined', 'failed', 'cancelled', 'busy', 'interrupted'] as const;

/** The kinds of rows History can show. */
export const HISTORY_KINDS = ['all', 'incoming', 'outgoing', 'missed'] as const;

/** Decline statuses a UI may choose: busy here (486) or declined everywhere (603), RFC 3261 §21.4.7, §21.6.2. */
export const DECLINE_STATUSES = [486, 603] as const;

/** RTP and RTCP take a pair of ports (RFC 3550 §11): the range a user may set. */
export const RTP_PORT_LIMITS = { min: 1024, max: 65535 } as const;

/** Seconds an auto-answered call may wait before it is answered. */
export const AUTO_ANSWER_DELAY_MAX = 600;

/** The bytes of a recording one `history:recording` answer carries at most. */
export const RECORDING_CHUNK_BYTES = 4 * 1024 * 1024;
/** The largest recording the app plays (about 11 minutes of 48 kHz stereo); a longer one is opened from its folder. */
export const RECORDING_PLAY_MAX_BYTES = 128 * 1024 * 1024;
