/**
 * Whether a request inside a dialog came by the dialog's path: the only place its BYE,
 * re-INVITE, UPDATE, INFO or REFER may come from. Anyone who learns a call's Call-ID and tags
 * (a packet capture on a shared network, a guess at a careless peer's tags) could otherwise end,
 * hold or transfer it from anywhere.
 *
 * The path is: the connection the dialog came on (TCP/TLS), else the addresses the dialog is
 * known by — the peer or proxy it was set up with, the first hop of its route set and its remote
 * target when they are IP addresses (RFC 3261 §12.2.1.1: where our requests go), and every address
 * our own in-dialog requests were sent to.
 */
import { isIP } from 'node:net';
import { parseNameAddr, parseUri } from '../message/index.ts';
import type { Dialog } from '../dialog/dialog.ts';
import { canonicalIp } from '../transport/stamp-via.ts';

/** The host of a Route value or a URI, when it is an IP address. */
function literalHost(value: string): string | undefined {
  try {
    const uri = value.trim().startsWith('<') || value.includes('<') ? parseNameAddr(value).uri : parseUri(value);
    const host = uri.host.replace(/^\[|\]$/g, '');
    return isIP(host) ? canonicalIp(host) : undefined;
  } catch {
    return undefined;
  }
}

export function fromDialogPath(
  dialog: Dialog,
  arrival: { source: { address: string }; connectionId?: string },
  alsoSentTo: ReadonlySet<string>,
): boolean {
  const flow = dialog.flow;
  if (arrival.connectionId !== undefined && flow?.connectionId === arrival.connectionId) return true;
  const source = canonicalIp(arrival.source.address);
  if (flow && canonicalIp(flow.address) === source) return true;
  if (alsoSentTo.has(source)) return true;
  const firstHop = dialog.routeSet[0];
  if (firstHop !== undefined && literalHost(firstHop) === source) return true;
  return literalHost(dialog.remoteTarget) === source;
}
