/**
 * Writes a SessionDescription as SDP text: CRLF line endings and the line order of RFC 8866
 * §5 (v o s i u e p c b t r z k a, then per media m i c b k a).
 *
 * Attributes of a media description come in this order: per format of the m= line its rtpmap
 * and fmtp, then ptime, maxptime, rtcp, rtcp-mux, crypto, the direction, ssrc, and the unknown
 * attributes in the order they were read. `parseSdp(formatSdp(sd))` gives `sd` back.
 */
import { formatCryptoAttribute } from './crypto-attribute.ts';
import type { Attribute, Bandwidth, Connection, Fmtp, MediaDescription, RtpMap, SessionDescription } from './session-description.ts';

function connectionLine(c: Connection): string {
  return `c=IN ${c.addressType} ${c.address}`;
}

function bandwidthLines(bandwidths: Bandwidth[], out: string[]): void {
  for (const b of bandwidths) out.push(`b=${b.type}:${b.value}`);
}

function attributeLine(a: Attribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

function rtpmapLine(r: RtpMap): string {
  return `a=rtpmap:${r.payloadType} ${r.encodingName}/${r.clockRate}${r.channels !== undefined ? `/${r.channels}` : ''}`;
}

function fmtpLine(f: Fmtp): string {
  return `a=fmtp:${f.payloadType} ${f.parameters}`;
}

function mediaLines(m: MediaDescription, out: string[]): void {
  const port = m.portCount === undefined ? String(m.port) : `${m.port}/${m.portCount}`;
  out.push(['m=' + m.type, port, m.proto, ...m.formats].join(' '));
  if (m.information !== undefined) out.push(`i=${m.information}`);
  if (m.connection !== undefined) out.push(connectionLine(m.connection));
  bandwidthLines(m.bandwidths, out);
  if (m.key !== undefined) out.push(`k=${m.key}`);

  // rtpmap and fmtp in the order of the m= line's formats, then any for formats not listed.
  const rtpmaps = [...m.rtpmaps];
  const fmtps = [...m.fmtps];
  const take = <T extends { payloadType: number }>(list: T[], pt: number): T[] => {
    const found: T[] = [];
    for (let i = 0; i < list.length; ) {
      if (list[i].payloadType === pt) found.push(...list.splice(i, 1));
      else i++;
    }
    return found;
  };
  for (const format of m.formats) {
    if (!/^\d+$/.test(format)) continue;
    const pt = Number(format);
    for (const r of take(rtpmaps, pt)) out.push(rtpmapLine(r));
    for (const f of take(fmtps, pt)) out.push(fmtpLine(f));
  }
  for (const r of rtpmaps) out.push(rtpmapLine(r));
  for (const f of fmtps) out.push(fmtpLine(f));

  if (m.ptime !== undefined) out.push(`a=ptime:${m.ptime}`);
  if (m.maxptime !== undefined) out.push(`a=maxptime:${m.maxptime}`);
  if (m.rtcp !== undefined) {
    const c = m.rtcp.connection;
    out.push(c === undefined ? `a=rtcp:${m.rtcp.port}` : `a=rtcp:${m.rtcp.port} IN ${c.addressType} ${c.address}`);
  }
  if (m.rtcpMux) out.push('a=rtcp-mux');
  for (const crypto of m.crypto) out.push(`a=crypto:${formatCryptoAttribute(crypto)}`);
  if (m.direction !== undefined) out.push(`a=${m.direction}`);
  for (const s of m.ssrcs) out.push(`a=ssrc:${s.id} ${s.attribute}${s.value !== undefined ? `:${s.value}` : ''}`);
  for (const a of m.attributes) out.push(attributeLine(a));
}

/** Writes `sd` as SDP text with CRLF line endings (the last line ends in CRLF too). */
export function formatSdp(sd: SessionDescription): string {
  const o = sd.origin;
  const out = ['v=0', `o=${o.username} ${o.sessionId} ${o.sessionVersion} IN ${o.addressType} ${o.address}`, `s=${sd.sessionName}`];
  if (sd.information !== undefined) out.push(`i=${sd.information}`);
  if (sd.uri !== undefined) out.push(`u=${sd.uri}`);
  for (const e of sd.emails) out.push(`e=${e}`);
  for (const p of sd.phones) out.push(`p=${p}`);
  if (sd.connection !== undefined) out.push(connectionLine(sd.connection));
  bandwidthLines(sd.bandwidths, out);
  const timing = sd.timing.length > 0 ? sd.timing : [{ start: 0, stop: 0, repeats: [] }];
  for (const t of timing) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (sd.timeZones !== undefined) out.push(`z=${sd.timeZones}`);
  if (sd.key !== undefined) out.push(`k=${sd.key}`);
  for (const a of sd.attributes) out.push(attributeLine(a));
  if (sd.direction !== undefined) out.push(`a=${sd.direction}`);
  for (const m of sd.media) mediaLines(m, out);
  return out.join('\r\n') + '\r\n';
}
