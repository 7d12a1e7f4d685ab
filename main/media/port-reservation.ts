/**
 * The ports a stream will use, held before it exists (`reserve-ports`): bound so that nobody else
 * takes them while the offer or answer goes out, and asked of a STUN server for their public
 * address. The stream binds them itself once they are let go (media-engine.ts).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Scheduler } from './media-clock.ts';
import { Stun } from './stun.ts';

export interface StunTiming {
  rtoMs: number;
  timeoutMs: number;
}

/** RFC 5389 §7.2.1's RTO of 500 ms, doubling; cut at 1.5 s (two requests) so a call is not held up. */
export const STUN_TIMING: StunTiming = { rtoMs: 500, timeoutMs: 1500 };
const STUN_SOFTWARE = 'Appel';

/** Ports held for a stream to come (`reserve-ports`). */
export interface Reservation {
  sockets: Socket[];
  localRtcpPort: number;
}

export function bindUdp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind(port, address, () => {
      s.removeAllListeners('error');
      // Datagrams that arrive before the stream takes over are dropped.
      s.on('message', () => {});
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/**
 * One STUN Binding transaction (RFC 5389 §7) from `socket`: the request, retransmitted after
 * RTO, 2·RTO… (§7.2.1) until `timeoutMs`; the answer with our transaction id settles it. Other
 * datagrams are left alone (the socket's own listeners still get them). Rejects in words.
 */
export function stunBinding(socket: Socket, server: { address: string; port: number }, scheduler: Scheduler, timing: StunTiming): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    const transactionId = Stun.newTransactionId();
    const request = Stun.bindingRequest({ transactionId, software: STUN_SOFTWARE });
    const where = `${isIPv6(server.address) ? `[${server.address}]` : server.address}:${server.port}`;
    let sent = 0;
    let rto = timing.rtoMs;
    let elapsed = 0;
    let retransmit: unknown;
    let unusable: string | undefined;
    let done = false;
    const finish = (outcome: Error | { address: string; port: number }): void => {
      if (done) return;
      done = true;
      scheduler.clearTimeout(retransmit);
      scheduler.clearTimeout(deadline);
      socket.off('message', onMessage);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onMessage = (msg: Uint8Array): void => {
      if (!Stun.isStun(msg)) return;
      let answer;
      try {
        answer = Stun.decode(msg);
      } catch (err) {
        // A damaged datagram: the retransmission may still bring a good one.
        unusable = (err as Error).message;
        return;
      }
      if (!Stun.sameTransaction(answer.transactionId, transactionId) || (answer.class !== 'success' && answer.class !== 'error')) return;
      try {
        const result = Stun.readBindingResponse(answer);
        if (result.kind === 'error') finish(new Error(`${result.message} (${where})`));
        else finish({ address: result.mapped.address, port: result.mapped.port });
      } catch (err) {
        finish(new Error(`the STUN server ${where} gave an answer we cannot use: ${(err as Error).message}`));
      }
    };
    const send = (): void => {
      sent++;
      const failed = (err: Error): void => finish(new Error(`the STUN request to ${where} could not be sent: ${err.message}`));
      try {
        socket.send(request, server.port, server.address, (err) => err && failed(err));
      } catch (err) {
        failed(err as Error);
        return;
      }
      const next = elapsed + rto;
      if (next >= timing.timeoutMs) return;
      retransmit = scheduler.setTimeout(() => {
        elapsed = next;
        rto *= 2;
        send();
      }, rto);
    };
    const deadline = scheduler.setTimeout(() => {
      const seconds = `${timing.timeoutMs / 1000} s`;
      finish(new Error(`no answer from the STUN server ${where} within ${seconds} (${sent} request${sent === 1 ? '' : 's'} sent)${unusable ? `; what came could not be read: ${unusable}` : ''}`));
    }, timing.timeoutMs);
    socket.on('message', onMessage);
    send();
  });
}

/** Closes sockets; the kernel frees the ports at once (the close callback comes a tick later). */
export function closeSockets(sockets: Socket[]): Promise<void> {
  return Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
}
