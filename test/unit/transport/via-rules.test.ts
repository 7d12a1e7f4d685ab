import { describe, expect, it } from 'vitest';
import { parseVia } from '../../../main/sip/message/index.ts';
import { routeResponse } from '../../../main/sip/transport/route-response.ts';
import { canonicalIp, stampVia } from '../../../main/sip/transport/stamp-via.ts';

const src = { address: '192.0.2.10', port: 40000 };

describe('stampVia (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('adds received when the sent-by host is not the source address', () => {
    const v = stampVia(parseVia('SIP/2.0/UDP pc33.lab.test:5060;branch=z9hG4bK1'), src)!;
    expect(v.params.get('received')).toBe('192.0.2.10');
    expect(v.params.has('rport')).toBe(false);
  });

  it('changes nothing when the sent-by host is the source and no rport was asked', () => {
    expect(stampVia(parseVia('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1'), src)).toBeUndefined();
  });

  it('fills rport with the source port and always adds received with it', () => {
    const v = stampVia(parseVia('SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK1'), src)!;
    expect(v.params.get('rport')).toBe('40000');
    expect(v.params.get('received')).toBe('192.0.2.10');
    expect(v.branch ?? v.params.get('branch')).toBe('z9hG4bK1');
  });

  it('compares IPv6 addresses in canonical form', () => {
    expect(stampVia(parseVia('SIP/2.0/UDP [0:0:0:0:0:0:0:1]:5060;branch=z9hG4bK1'), { address: '::1', port: 5060 })).toBeUndefined();
    expect(canonicalIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalIp('[2001:DB8:0:0::1]')).toBe('2001:db8::1');
  });
});

describe('routeResponse (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const udp = { protocol: 'UDP' as const, source: src };
  it('UDP with a filled rport: received and rport', () => {
    expect(routeResponse(parseVia('SIP/2.0/UDP 10.0.0.1:5060;rport=40000;received=192.0.2.10'), udp)).toEqual(src);
  });
  it('UDP with received, no rport: received and the sent-by port', () => {
    expect(routeResponse(parseVia('SIP/2.0/UDP 10.0.0.1:5070;received=192.0.2.10'), udp)).toEqual({ address: '192.0.2.10', port: 5070 });
  });
  it('UDP without received: sent-by host and port (default 5060)', () => {
    expect(routeResponse(parseVia('SIP/2.0/UDP 192.0.2.10'), udp)).toEqual({ address: '192.0.2.10', port: 5060 });
  });
  it('UDP with maddr: not followed (no reflection to an address the packet names), as without it', () => {
    expect(routeResponse(parseVia('SIP/2.0/UDP 192.0.2.10:5062;maddr=198.51.100.7'), udp)).toEqual({ address: '192.0.2.10', port: 5062 });
    expect(routeResponse(parseVia('SIP/2.0/UDP 192.0.2.10:5062;rport=40000;maddr=239.255.255.1'), udp)).toEqual(src);
  });
  it('a stream whose connection is gone: received and the sent-by port, never rport', () => {
    const via = parseVia('SIP/2.0/TLS client.lab.test;rport=40000;received=192.0.2.10');
    expect(routeResponse(via, { protocol: 'TLS', source: src })).toEqual({ address: '192.0.2.10', port: 5061 });
  });
  it('a sent-by name that nobody stamped falls back to the packet source', () => {
    expect(routeResponse(parseVia('SIP/2.0/UDP client.lab.test:5070'), udp)).toEqual(src);
  });
});
