/**
 * Waking from sleep and changing networks: every account registers again (`network:changed`),
 * as RFC 5626 §4.4.1 asks when a flow may be gone. Electron's powerMonitor says `resume`; network
 * changes are seen by comparing the machine's addresses now and then (`os.networkInterfaces()`),
 * since Electron has no event for them in the main process. Triggers close together count once,
 * after the network has had a moment to settle.
 */
import type { NetworkInterfaceInfo } from 'node:os';

/** The machine's external addresses, as one comparable string. */
export function networkFingerprint(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const addresses: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      // IPv6 temporary and link-local addresses come and go without the network changing.
      if (info.family === 'IPv6' && /^fe80:/i.test(info.address)) continue;
      addresses.push(`${name}/${info.family}/${info.address}`);
    }
  }
  return addresses.sort().join(',');
}

export interface PowerWatchDeps {
  powerMonitor: { on(event: 'resume', listener: () => void): unknown; off(event: 'resume', listener: () => void): unknown };
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PowerWatchOptions {
  /** How often to look at the addresses, ms (default 5000). */
  pollMs?: number;
  /** Wait after a trigger before acting, ms; later triggers restart the wait (default 2000). */
  settleMs?: number;
}

/** Calls `onChange` once per burst of resumes and address changes; returns the function that stops. */
export function watchPower(deps: PowerWatchDeps, onChange: (reason: 'resume' | 'network') => void, opts: PowerWatchOptions = {}): () => void {
  const settleMs = opts.settleMs ?? 2000;
  let last = networkFingerprint(deps.networkInterfaces());
  let pending: unknown;
  let reason: 'resume' | 'network' = 'network';
  const trigger = (why: 'resume' | 'network') => {
    if (why === 'resume') reason = 'resume';
    if (pending !== undefined) deps.clearTimeout(pending);
    pending = deps.setTimeout(() => {
      pending = undefined;
      const r = reason;
      reason = 'network';
      last = networkFingerprint(deps.networkInterfaces());
      try {
        onChange(r);
      } catch {
        // The listener's bug stays with the listener.
      }
    }, settleMs);
  };
  const onResume = () => trigger('resume');
  deps.powerMonitor.on('resume', onResume);
  const poll = deps.setInterval(() => {
    let now: string;
    try {
      now = networkFingerprint(deps.networkInterfaces());
    } catch {
      return;
    }
    if (now !== last) {
      last = now;
      trigger('network');
    }
  }, opts.pollMs ?? 5000);
  return () => {
    deps.powerMonitor.off('resume', onResume);
    deps.clearInterval(poll);
    if (pending !== undefined) deps.clearTimeout(pending);
  };
}
