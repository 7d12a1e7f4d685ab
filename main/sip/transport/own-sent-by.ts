/**
 * The sent-by values we put in Via headers (`host:port`), to recognise our responses: RFC 3261
 * §18.1.2 discards a response whose top Via is not ours. Filled as the transport binds sockets and
 * learns which source address a wildcard bind really uses.
 */
import type { Via } from '../message/index.ts';
import { canonicalIp } from './stamp-via.ts';

export class OwnSentBy {
  /** sent-by values of our listeners and of the source addresses a wildcard bind used. */
  readonly #listening = new Set<string>();
  /** Per connection, the sent-by used on it when no listener covers it (ephemeral port). */
  readonly #byConnection = new Map<string, string>();

  add(address: string, port: number): void {
    this.#listening.add(`${canonicalIp(address)}:${port}`);
  }

  /** The connection's own end, used as sent-by on it. */
  addConnection(connectionId: string, address: string, port: number): void {
    this.#byConnection.set(connectionId, `${canonicalIp(address)}:${port}`);
  }

  forgetConnection(connectionId: string): void {
    this.#byConnection.delete(connectionId);
  }

  /** Whether a response's top Via names us (§18.1.2). */
  isOurs(via: Via, connectionId?: string): boolean {
    const defaultPort = via.transport.toUpperCase() === 'TLS' ? 5061 : 5060;
    const key = `${canonicalIp(via.host)}:${via.port ?? defaultPort}`;
    if (this.#listening.has(key)) return true;
    if (connectionId !== undefined && this.#byConnection.get(connectionId) === key) return true;
    for (const value of this.#byConnection.values()) if (value === key) return true;
    return false;
  }
}
