// The SIP message layer: parse and serialize messages, URIs, name-addr and header values.
export type { AuthHeader, CSeq, HeaderField, NameAddr, SipMessage, SipMessageBase, SipRequest, SipResponse, Uri, Via } from './types.ts';
export { SipParseError } from './sip-parse-error.ts';
export { parseMessage } from './parse-message.ts';
export { createRequest, createResponse } from './create-message.ts';
export { createErrorResponse } from './create-error-response.ts';
export { parseUri, formatUri } from './uri.ts';
export { uriEquals } from './uri-equals.ts';
export { parseNameAddr, parseNameAddrList, formatNameAddr } from './name-addr.ts';
export { parseVia, parseViaList, formatVia } from './via.ts';
export { parseCSeq, formatCSeq } from './cseq.ts';
export { parseAuthHeader } from './auth-header.ts';
export { reasonPhrase } from './reason-phrase.ts';
export { headerText, quotedString } from './header-text.ts';
export { splitHeaderList } from './split-header-list.ts';
export { canonicalName, compactName, isListHeader, headerKey } from './header-names.ts';
export { generateBranch, generateTag, generateCallId, MAGIC_COOKIE } from './ids.ts';
