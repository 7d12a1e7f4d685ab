/**
 * The contract of the message layer: what the rest of the SIP stack (transport,
 * transaction, dialog, auth, usage) may rely on. The parser and serializer in this
 * folder implement it; nothing outside `message/` builds these objects by hand.
 */

/** A parsed SIP, SIPS or TEL URI (RFC 3261 §19.1, RFC 3966). Unknown schemes keep `raw`. */
export interface Uri {
  /** Lower-cased scheme: 'sip' | 'sips' | 'tel' | anything else (absoluteURI). */
  scheme: string;
  /** The unescaped user part (or the telephone-subscriber for tel:), '' when absent. */
  user: string;
  /** The unescaped password, when the URI had `user:password@`. */
  password?: string;
  /** Host as written (IPv6 keeps its brackets), lower-cased; '' for tel: and unknown schemes. */
  host: string;
  /** Port when present, else undefined (default port is decided by transport, §19.1.2). */
  port?: number;
  /** URI parameters, names lower-cased, in order; a flag parameter has value null. */
  params: Map<string, string | null>;
  /** URI headers (`?a=b&c=d`), unescaped. */
  headers: Map<string, string>;
  /** The URI exactly as it was written (for round trips and for unknown schemes). */
  raw: string;
}

/** name-addr / addr-spec with header parameters (From, To, Contact, Route, Record-Route, …). */
export interface NameAddr {
  /** Display name, unquoted and unescaped; undefined when absent. */
  displayName?: string;
  uri: Uri;
  /** Header parameters after the address (tag, expires, q, +sip.instance, …), names lower-cased. */
  params: Map<string, string | null>;
  /** `*` in a Contact header (RFC 3261 §10.2.2). */
  wildcard?: boolean;
}

/** One Via value (RFC 3261 §20.42, RFC 3581). */
export interface Via {
  /** 'SIP/2.0' is checked by the parser. Transport upper-cased: 'UDP' | 'TCP' | 'TLS' | 'SCTP' | 'WS' | 'WSS' | … */
  transport: string;
  /** sent-by host (IPv6 without brackets), lower-cased. */
  host: string;
  port?: number;
  /** branch, received, rport (null when a bare flag), maddr, ttl, … names lower-cased. */
  params: Map<string, string | null>;
  /** Convenience: params.get('branch') ?? undefined. */
  branch?: string;
}

/** CSeq (RFC 3261 §20.16): seq is an unsigned 32-bit integer. */
export interface CSeq {
  seq: number;
  method: string;
}

/** A challenge or credentials header value (WWW-Authenticate, Authorization, …). */
export interface AuthHeader {
  /** 'Digest' etc., as written. */
  scheme: string;
  /** auth-params, names lower-cased, values unquoted. */
  params: Map<string, string>;
  /** A token68 credential instead of auth-params (RFC 7235 §2.1, e.g. `Bearer`), as written. */
  token68?: string;
}

/** One header line as it stands in the message, in order. */
export interface HeaderField {
  /** The name as written on the wire (compact forms are kept as written). */
  name: string;
  /** The value with folding undone and surrounding whitespace trimmed. */
  value: string;
}

/** What requests and responses share. */
export interface SipMessageBase {
  /** All header lines, in order. Mutating helpers below keep it consistent. */
  readonly fields: HeaderField[];
  /** Body bytes (length taken from Content-Length on streams; the datagram's rest on UDP). */
  body: Uint8Array;
  /**
   * First value of a header: case-insensitive name, compact forms honoured (`v` = Via).
   * For headers that are comma-separated lists (Via, Route, Record-Route, Contact,
   * Allow, Supported, Require, …) this is the first list element.
   */
  header(name: string): string | undefined;
  /** Every value, across repeated lines and comma-separated lists (commas in quotes and <> respected). */
  headers(name: string): string[];
  hasHeader(name: string): boolean;
  /** Replace every line of this header with one line per value (none: remove). */
  setHeader(name: string, value: string | string[]): void;
  /** Append a line (after the last line of the same name, else at the end). */
  addHeader(name: string, value: string): void;
  /** Insert a line before the first line of the same name (e.g. a new top Via). */
  prependHeader(name: string, value: string): void;
  removeHeader(name: string): void;

  /** Parsed accessors; they throw SipParseError(400, …) when the header is malformed. */
  vias(): Via[];
  topVia(): Via;
  cseq(): CSeq;
  callId(): string;
  from(): NameAddr;
  to(): NameAddr;
  contacts(): NameAddr[];
  /** Record-Route or Route values, parsed. */
  nameAddrs(header: 'Route' | 'Record-Route' | 'Contact' | 'Path' | 'Service-Route'): NameAddr[];
  /** WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization. */
  auths(header: string): AuthHeader[];
  /** Serialize to wire bytes, setting Content-Length from the body. */
  toBytes(): Uint8Array;
  toString(): string;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  method: string;
  /** Request-URI as written. */
  uri: string;
  /** Request-URI, parsed (cached). */
  parsedUri(): Uri;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;
