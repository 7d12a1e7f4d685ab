/**
 * Table-driven parser tests over the fixture files (exact wire bytes) and their JSON
 * sidecars: RFC 4475 torture cases (valid and invalid) and RFC 3261 §24-style flows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  createErrorResponse,
  parseMessage,
  parseUri,
  uriEquals,
} from '../../../main/sip/message/index.ts';
import type { NameAddr, SipMessage, Uri, Via } from '../../../main/sip/message/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/sip');

type Params = Record<string, string | null>;
interface AddrExpect {
  displayName?: string; scheme?: string; user?: string; password?: string; host?: string; port?: number;
  uriParams?: Params; uriHeaders?: Record<string, string>; params?: Params;
}
interface ViaExpect { transport?: string; host?: string; port?: number; branch?: string; params?: Params }
interface ValidExpect {
  rfc?: string; kind: 'request' | 'response'; method?: string; uri?: string; status?: number; reason?: string;
  requestUri?: { scheme?: string; user?: string; password?: string; host?: string; port?: number; params?: Params; raw?: string };
  callId?: string; cseq?: { seq: number; method: string };
  from?: AddrExpect; to?: AddrExpect; contacts?: AddrExpect[]; routes?: AddrExpect[]; recordRoutes?: AddrExpect[];
  vias?: ViaExpect[]; viaCount?: number; recordRouteCount?: number;
  headers?: Record<string, string[]>;
  auth?: { header: string; scheme: string; params: Record<string, string> };
  uriEquals?: Array<[string, string]>;
  bodyLength: number; bodyStartsWith?: string; body?: string; roundTripBytes?: boolean;
}
interface InvalidExpect { rfc: string; kind: 'request' | 'response'; status: number; reason: string; answer: boolean }

function cases<T>(dir: string): Array<[string, Buffer, T]> {
  const d = join(root, dir);
  return readdirSync(d)
    .filter((f) => f.endsWith('.sip'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      return [name, readFileSync(join(d, f)), JSON.parse(readFileSync(join(d, name + '.json'), 'utf8')) as T];
    });
}

function mapOf(p: Params): Map<string, string | null> {
  return new Map(Object.entries(p));
}

/** Parsed parameters as a plain Map (the parser hands out a Map that reads its text lazily). */
function asMap<V>(m: Map<string, V>): Map<string, V> {
  return new Map(m);
}

function checkUri(u: Uri, e: AddrExpect | NonNullable<ValidExpect['requestUri']>): void {
  if (e.scheme !== undefined) expect(u.scheme).toBe(e.scheme);
  if (e.user !== undefined) expect(u.user).toBe(e.user);
  if (e.password !== undefined) expect(u.password).toBe(e.password);
  if (e.host !== undefined) expect(u.host).toBe(e.host);
  if (e.port !== undefined) expect(u.port).toBe(e.port);
  if ('raw' in e && e.raw !== undefined) expect(u.raw).toBe(e.raw);
  if ('params' in e && !('uriParams' in e) && 'raw' in e) return;
}

function checkAddr(n: NameAddr, e: AddrExpect): void {
  if (e.displayName !== undefined) expect(n.displayName).toBe(e.displayName);
  checkUri(n.uri, e);
  if (e.uriParams !== undefined) expect(asMap(n.uri.params)).toEqual(mapOf(e.uriParams));
  if (e.uriHeaders !== undefined) expect(asMap(n.uri.headers)).toEqual(new Map(Object.entries(e.uriHeaders)));
  if (e.params !== undefined) expect(asMap(n.params)).toEqual(mapOf(e.params));
}

function checkVia(v: Via, e: ViaExpect): void {
  if (e.transport !== undefined) expect(v.transport).toBe(e.transport);
  if (e.host !== undefined) expect(v.host).toBe(e.host);
  if (e.port !== undefined) expect(v.port).toBe(e.port);
  if (e.branch !== undefined) expect(v.branch).toBe(e.branch);
  if (e.params !== undefined) expect(asMap(v.params)).toEqual(mapOf(e.params));
}

/** Every expectation of a sidecar, against one parsed message. */
function checkMessage(m: SipMessage, e: ValidExpect): void {
  expect(m.kind).toBe(e.kind);
  if (m.kind === 'request') {
    if (e.method !== undefined) expect(m.method).toBe(e.method);
    if (e.uri !== undefined) expect(m.uri).toBe(e.uri);
    if (e.requestUri !== undefined) {
      const u = m.parsedUri();
      checkUri(u, e.requestUri);
      if (e.requestUri.params !== undefined) expect(asMap(u.params)).toEqual(mapOf(e.requestUri.params));
    }
  } else {
    if (e.status !== undefined) expect(m.status).toBe(e.status);
    if (e.reason !== undefined) expect(m.reason).toBe(e.reason);
  }
  if (e.callId !== undefined) expect(m.callId()).toBe(e.callId);
  if (e.cseq !== undefined) expect(m.cseq()).toEqual(e.cseq);
  if (e.from !== undefined) checkAddr(m.from(), e.from);
  if (e.to !== undefined) checkAddr(m.to(), e.to);
  if (e.contacts !== undefined) {
    const contacts = m.contacts();
    expect(contacts).toHaveLength(e.contacts.length);
    e.contacts.forEach((c, i) => checkAddr(contacts[i], c));
  }
  if (e.routes !== undefined) e.routes.forEach((r, i) => checkAddr(m.nameAddrs('Route')[i], r));
  if (e.recordRoutes !== undefined) e.recordRoutes.forEach((r, i) => checkAddr(m.nameAddrs('Record-Route')[i], r));
  if (e.recordRouteCount !== undefined) expect(m.headers('Record-Route')).toHaveLength(e.recordRouteCount);
  const vias = m.vias();
  if (e.viaCount !== undefined) expect(vias).toHaveLength(e.viaCount);
  if (e.vias !== undefined) {
    if (e.viaCount === undefined) expect(vias).toHaveLength(e.vias.length);
    e.vias.forEach((v, i) => checkVia(vias[i], v));
    checkVia(m.topVia(), e.vias[0]);
  }
  for (const [name, values] of Object.entries(e.headers ?? {})) expect(m.headers(name), name).toEqual(values);
  if (e.auth !== undefined) {
    const [a] = m.auths(e.auth.header);
    expect(a.scheme).toBe(e.auth.scheme);
    expect(asMap(a.params)).toEqual(new Map(Object.entries(e.auth.params)));
  }
  for (const [a, b] of e.uriEquals ?? []) expect(uriEquals(parseUri(a), parseUri(b)), `${a} == ${b}`).toBe(true);
  expect(m.body.length).toBe(e.bodyLength);
  if (e.bodyStartsWith !== undefined) expect(Buffer.from(m.body).toString('latin1').startsWith(e.bodyStartsWith)).toBe(true);
  if (e.body !== undefined) expect(Buffer.from(m.body).toString('utf8')).toBe(e.body);
}

/** Serialize from the parsed values (not the wire image), parse again, check again. */
function rebuilt(m: SipMessage): SipMessage {
  m.addHeader('X-Rebuild', 'yes');
  m.removeHeader('X-Rebuild');
  return parseMessage(m.toBytes());
}

describe('RFC 4475 §3.1.1 and friends: valid messages parse to the right values', () => {
  for (const [name, bytes, e] of cases<ValidExpect>('valid')) {
    it(`${name}: ${e.rfc ?? ''}`, () => {
      const m = parseMessage(bytes);
      checkMessage(m, e);
      checkMessage(rebuilt(parseMessage(bytes)), e);
      // An unchanged message goes back out as the very bytes it came in as.
      if (e.roundTripBytes !== false) expect(Buffer.from(m.toBytes()).equals(bytes)).toBe(true);
      // The same text handed over as a string reads the same.
      if (!name.startsWith('mpart')) checkMessage(parseMessage(bytes.toString('utf8')), e);
    });
  }
});

describe('RFC 4475 §3.1.2 and the issue: invalid messages are refused with a reason', () => {
  for (const [name, bytes, e] of cases<InvalidExpect>('invalid')) {
    it(`${name}: ${e.rfc} → ${e.status} ${e.reason}`, () => {
      let err: unknown;
      try {
        parseMessage(bytes);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(SipParseError);
      const pe = err as SipParseError;
      expect(pe.status).toBe(e.status);
      expect(pe.reason).toBe(e.reason);
      const answer = createErrorResponse(bytes, pe);
      if (!e.answer) {
        expect(answer).toBeUndefined();
        return;
      }
      expect(answer).toBeDefined();
      const text = Buffer.from(answer!).toString('utf8');
      expect(text.startsWith(`SIP/2.0 ${e.status} ${e.reason}\r\n`)).toBe(true);
      // The answer routes back along the request's Via, and matches its transaction.
      const req = bytes.toString('utf8');
      const topVia = /^(?:Via|v)\s*:\s*(SIP\/2\.0\/\S+ [^;\r\n]+)/im.exec(req)?.[1];
      if (topVia) expect(text).toContain(topVia.trim());
      expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    });
  }
});

describe('RFC 3261 §24-style flows round-trip', () => {
  for (const [name, bytes, e] of cases<ValidExpect>('examples')) {
    it(name, () => {
      const m = parseMessage(bytes);
      checkMessage(m, e);
      expect(Buffer.from(m.toBytes()).equals(bytes)).toBe(true);
      const again = rebuilt(m);
      checkMessage(again, e);
      expect(again.fields.map((f) => [f.name, f.value])).toEqual(m.fields.map((f) => [f.name, f.value]));
      expect(Buffer.from(again.body).equals(Buffer.from(m.body))).toBe(true);
    });
  }
});
