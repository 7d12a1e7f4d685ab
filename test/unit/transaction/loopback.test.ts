/**
 * Two transaction layers over two real SipTransports on 127.0.0.1 (ports chosen by the OS):
 * the state machines against real sockets, Via stamping and response routing. Waits are
 * bounded by the test timeout; nothing here measures time.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator } from '../../../main/sip/auth/index.ts';
import { digestResponse } from '../../../main/sip/auth/digest.ts';
import { createRequest, createResponse, generateCallId, generateTag } from '../../../main/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../main/sip/message/types.ts';
import type { InviteClientTransaction } from '../../../main/sip/transaction/invite-client-transaction.ts';
import { TransactionLayer } from '../../../main/sip/transaction/transaction-layer.ts';
import type { ServerTransaction } from '../../../main/sip/transaction/transaction-layer.ts';
import { SipTransport } from '../../../main/sip/transport/sip-transport.ts';
import type { Target, TransportProtocol } from '../../../main/sip/transport/types.ts';

const started: SipTransport[] = [];
const layers: TransactionLayer[] = [];

afterEach(async () => {
  for (const layer of layers.splice(0)) layer.close();
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

async function endpoint(protocol: TransportProtocol) {
  const transport = new SipTransport({ listen: [{ protocol, address: '127.0.0.1', port: 0 }] });
  await transport.start();
  started.push(transport);
  const layer = new TransactionLayer({ transport });
  layers.push(layer);
  const local = transport.localAddresses().find((a) => a.protocol === protocol)!;
  const target: Target = { protocol, address: '127.0.0.1', port: local.port };
  return { transport, layer, target };
}

function newRequest(method: string, uri: string, cseq = 1, body?: string): SipRequest {
  return createRequest({
    method,
    uri,
    fields: [
      ['Max-Forwards', '70'],
      ['From', `<sip:alice@127.0.0.1>;tag=${generateTag()}`],
      ['To', '<sip:bob@127.0.0.1>'],
      ['Call-ID', generateCallId()],
      ['CSeq', `${cseq} ${method}`],
    ],
    ...(body !== undefined ? { body } : {}),
  });
}

/** The next value `register(resolve)` hands over, as a promise. */
function next<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

describe.each(['UDP', 'TCP'] as const)('two transaction layers over %s on loopback', (protocol) => {
  it('a non-INVITE request and its final response', async () => {
    const uac = await endpoint(protocol);
    const uas = await endpoint(protocol);
    uas.layer.onRequest((tx) => tx.respond(createResponse(tx.request, { status: 200, toTag: 'uas' })));
    const response = await next<SipResponse>((resolve) =>
      uac.layer.request(newRequest('OPTIONS', `sip:bob@127.0.0.1:${uas.target.port}`), uas.target, { onResponse: resolve }),
    );
    expect(response.status).toBe(200);
    expect(response.cseq().method).toBe('OPTIONS');
  });

  it('an INVITE rejected with 486: the UAC ACKs it and the UAS transaction is Confirmed', async () => {
    const uac = await endpoint(protocol);
    const uas = await endpoint(protocol);
    const serverTx = next<ServerTransaction>((resolve) =>
      uas.layer.onRequest((tx) => {
        tx.respond(createResponse(tx.request, { status: 180, toTag: 'uas' }));
        tx.respond(createResponse(tx.request, { status: 486, toTag: 'uas' }));
        resolve(tx);
      }),
    );
    const statuses: number[] = [];
    const final = next<void>((resolve) =>
      uac.layer.request(newRequest('INVITE', `sip:bob@127.0.0.1:${uas.target.port}`), uas.target, {
        onResponse: (r) => {
          statuses.push(r.status);
          if (r.status >= 200) resolve();
        },
      }),
    );
    await final;
    const tx = await serverTx;
    await next<void>((resolve) => {
      const poll = (): void => void (tx.state === 'Confirmed' || tx.state === 'Terminated' ? resolve() : setTimeout(poll, 5));
      poll();
    });
    expect(statuses).toEqual([180, 486]);
    expect(['Confirmed', 'Terminated']).toContain(tx.state);
  });

  it('CANCEL of a ringing INVITE: 200 for the CANCEL, 487 for the INVITE', async () => {
    const uac = await endpoint(protocol);
    const uas = await endpoint(protocol);
    uas.layer.onRequest((tx) => tx.respond(createResponse(tx.request, { status: 180, toTag: 'uas' })));
    uas.layer.onCancel((tx) => tx.respond(createResponse(tx.request, { status: 487, toTag: 'uas' })));
    const statuses: string[] = [];
    let invite: InviteClientTransaction | undefined;
    const done = next<void>((resolve) => {
      invite = uac.layer.request(newRequest('INVITE', `sip:bob@127.0.0.1:${uas.target.port}`), uas.target, {
        onResponse: (r) => {
          statuses.push(`INVITE ${r.status}`);
          if (r.status === 180) {
            uac.layer.cancel(invite!, { onResponse: (c) => statuses.push(`CANCEL ${c.status}`) });
          }
          if (r.status >= 200) resolve();
        },
      }) as InviteClientTransaction;
    });
    await done;
    expect(statuses[0]).toBe('INVITE 180');
    expect(statuses).toContain('INVITE 487');
    expect(invite!.state).toBe(protocol === 'UDP' ? 'Completed' : 'Terminated');
  });

  it('a REGISTER answered with a digest challenge, retried with credentials', async () => {
    const uac = await endpoint(protocol);
    const uas = await endpoint(protocol);
    // A minimal registrar: challenge, then check the response with our own digest arithmetic.
    uas.layer.onRequest((tx) => {
      const credentials = tx.request.auths('Authorization')[0];
      if (credentials === undefined) {
        tx.respond(
          createResponse(tx.request, {
            status: 401,
            toTag: 'reg',
            fields: [['WWW-Authenticate', 'Digest realm="127.0.0.1", nonce="loop-1", qop="auth", algorithm=SHA-256']],
          }),
        );
        return;
      }
      const p = credentials.params;
      const expected = digestResponse({
        algorithm: 'SHA-256',
        username: 'alice',
        realm: '127.0.0.1',
        password: 'secret',
        method: 'REGISTER',
        uri: p.get('uri')!,
        nonce: 'loop-1',
        qop: 'auth',
        nc: parseInt(p.get('nc')!, 16),
        cnonce: p.get('cnonce')!,
      });
      tx.respond(createResponse(tx.request, { status: p.get('response') === expected ? 200 : 403, toTag: 'reg' }));
    });
    const auth = new DigestAuthenticator({ username: 'alice', password: 'secret' });
    const send = (req: SipRequest) =>
      next<SipResponse>((resolve) => uac.layer.request(req, uas.target, {
        onResponse: (r) => {
          if (r.status >= 200) resolve(r);
        },
      }));
    const req = newRequest('REGISTER', `sip:127.0.0.1:${uas.target.port}`);
    const first = await send(req);
    expect(first.status).toBe(401);
    expect(auth.authorize(req, first)).toBe('retry');
    req.setHeader('CSeq', '2 REGISTER');
    const second = await send(req);
    expect(second.status).toBe(200);
  });
});

describe('a dead UDP server on loopback (§18.4)', () => {
  /** A UDP port nothing listens on: bound by the OS, then closed. */
  async function closedUdpPort(): Promise<number> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }

  it('a REGISTER to a closed port ends with a 503 from the ICMP "port unreachable", before Timer F', async () => {
    const uac = await endpoint('UDP');
    const port = await closedUdpPort();
    const failures: string[] = [];
    let timedOut = false;
    const final = await next<SipResponse>((resolve) =>
      uac.layer.request(newRequest('REGISTER', `sip:127.0.0.1:${port}`), { protocol: 'UDP', address: '127.0.0.1', port }, {
        onResponse: (r) => {
          if (r.status >= 200) resolve(r);
        },
        onTimeout: () => (timedOut = true),
        onTransportError: (e) => failures.push(`${e.errno}: ${e.message}`),
      }),
    );
    // Timer F is 32 s and the test's own limit 5 s: only the probe can have ended it.
    expect(final.status).toBe(503);
    expect(timedOut).toBe(false);
    expect(failures).toEqual([`ECONNREFUSED: nothing listens on UDP 127.0.0.1:${port} (the host answered "port unreachable")`]);
  });

  it('a server that listens is not reported dead: the probe hears nothing and the answer comes', async () => {
    const uac = await endpoint('UDP');
    const late = await endpoint('UDP');
    // The server answers only the retransmission, after the probe went out.
    let seen = 0;
    late.layer.onRequest((tx) => {
      seen++;
      setTimeout(() => tx.respond(createResponse(tx.request, { status: 200, toTag: 'late' })), 700);
    });
    expect(await uac.transport.probeUnreachable(late.target)).toBeUndefined();
    const final = await next<SipResponse>((resolve) =>
      uac.layer.request(newRequest('OPTIONS', `sip:127.0.0.1:${late.target.port}`), late.target, {
        onResponse: (r) => {
          if (r.status >= 200) resolve(r);
        },
      }),
    );
    expect(final.status).toBe(200);
    expect(seen).toBe(1);
  });
});
