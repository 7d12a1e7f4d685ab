/**
 * Incoming and missed calls, told by the system: a native notification for a ringing call (with
 * Answer and Decline buttons where the system has them: macOS), a small always-on-top window with
 * the renderer's incoming-call panel (`#/incoming?call=ID`, every platform), and a notification
 * per missed call with the count kept for the tray and the badge.
 *
 * Electron's Notification and the window are injected (main.ts), so this runs in Node with fakes.
 */
import type { NotificationConstructorOptions } from 'electron';
import type { ApiEvents, ApiHandlers, CallSnapshot, HistoryEntry } from '../contract/api.ts';
import type { ShellText } from './shell-text.ts';

/** Who is calling, for people: the contact's name, the display name, else the number or user@host. */
export function callerLabel(peer: { uri: string; displayName?: string }, contactName?: string): string {
  if (contactName?.trim()) return contactName.trim();
  if (peer.displayName?.trim()) return peer.displayName.trim();
  const m = /^(?:sips?|tel):([^;?]+)/i.exec(peer.uri);
  const bare = m ? m[1] : peer.uri;
  // A number at a gateway reads as the number alone.
  const number = /^(\+?[0-9*#]+)@/.exec(bare);
  return number ? number[1] : bare;
}

/**
 * A notification's body as the system will read it. Linux notification daemons take the body as
 * markup (the Desktop Notifications spec's <b>, <i>, <a href>, <img>): a caller's display name,
 * which anyone can set, must be shown, not obeyed.
 */
export function notificationBody(text: string, platform: NodeJS.Platform): string {
  if (platform !== 'linux') return text;
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Just-ended calls that were missed (incoming, never answered, not declined by us). */
export function missedCalls(change: ApiEvents['history:changed']): HistoryEntry[] {
  return change.saved.filter((e) => e.direction === 'incoming' && e.outcome === 'missed');
}

/** The parts of Electron's Notification we use. */
export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown;
  on(event: 'action', listener: (event: unknown, index: number) => void): unknown;
  show(): void;
  close(): void;
}

export interface CallNotifierDeps {
  Notification: new (options: NotificationConstructorOptions) => NotificationLike;
  /** Notification.isSupported(). */
  supported: boolean;
  platform: NodeJS.Platform;
  handlers: ApiHandlers;
  text: () => ShellText;
  /** The contact's name for a URI, when there is one. */
  contactName?: (uri: string) => string | undefined;
  /** The small incoming-call window. */
  openIncomingWindow(callId: string): void;
  closeIncomingWindow(callId: string): void;
  /** Bring the main window forward, at a route of the renderer (`/call`, `/history`). */
  showMain(route?: string): void;
  /** The missed-call count changed. */
  missedChanged?(n: number): void;
  icon?: string;
}

export class CallNotifier {
  readonly #deps: CallNotifierDeps;
  readonly #ringing = new Map<string, NotificationLike>();
  readonly #missedSeen = new Set<number>();
  #missed = 0;

  constructor(deps: CallNotifierDeps) {
    this.#deps = deps;
  }

  get missed(): number {
    return this.#missed;
  }

  /** `call:incoming`: ring on the screen. */
  incoming(call: CallSnapshot): void {
    if (call.state !== 'ringing' || this.#ringing.has(call.id)) return;
    const text = this.#deps.text();
    const who = callerLabel(call.peer, this.#deps.contactName?.(call.peer.uri));
    this.#deps.openIncomingWindow(call.id);
    if (!this.#deps.supported) return;
    const video = !!call.video?.offered;
    const note = new this.#deps.Notification({
      title: video ? text.incomingVideoTitle : text.incomingTitle,
      body: notificationBody(video ? text.incomingVideoBody(who) : text.incomingBody(who), this.#deps.platform),
      urgency: 'critical',
      timeoutType: 'never',
      silent: true, // the incoming window rings, on the chosen device
      ...(this.#deps.icon ? { icon: this.#deps.icon } : {}),
      // Buttons exist on macOS only; elsewhere a click brings the call forward.
      ...(this.#deps.platform === 'darwin'
        ? { actions: [{ type: 'button' as const, text: text.answer }, { type: 'button' as const, text: text.decline }], closeButtonText: text.decline }
        : {}),
    });
    note.on('action', (_event, index) => {
      if (index === 0) void this.#answer(call.id);
      else if (index === 1) void this.#deps.handlers['call:decline']?.({ callId: call.id });
    });
    note.on('click', () => this.#deps.showMain('/call'));
    this.#ringing.set(call.id, note);
    note.show();
  }

  /** `call:state`: a call that stops ringing takes its notification and window away. */
  callState(call: CallSnapshot): void {
    if (call.state === 'ringing') return;
    const note = this.#ringing.get(call.id);
    this.#ringing.delete(call.id);
    note?.close();
    this.#deps.closeIncomingWindow(call.id);
  }

  /** `history:changed`: a notification per missed call, and the count. */
  history(change: ApiEvents['history:changed']): void {
    if (change.cleared) this.resetMissed();
    for (const entry of missedCalls(change)) {
      if (this.#missedSeen.has(entry.id)) continue;
      this.#missedSeen.add(entry.id);
      this.#missed++;
      this.#deps.missedChanged?.(this.#missed);
      if (!this.#deps.supported) continue;
      const text = this.#deps.text();
      const note = new this.#deps.Notification({
        title: text.missedTitle,
        body: notificationBody(text.missedBody(callerLabel(entry.peer, this.#deps.contactName?.(entry.peer.uri))), this.#deps.platform),
        ...(this.#deps.icon ? { icon: this.#deps.icon } : {}),
      });
      note.on('click', () => this.#deps.showMain('/history'));
      note.show();
    }
  }

  /** The person has seen them (the main window came forward). */
  resetMissed(): void {
    if (this.#missed === 0) return;
    this.#missed = 0;
    this.#deps.missedChanged?.(0);
  }

  async #answer(callId: string): Promise<void> {
    this.#deps.showMain('/call');
    try {
      await this.#deps.handlers['call:answer']?.({ callId });
    } catch {
      // The call says why in its own `call:state`.
    }
  }
}
