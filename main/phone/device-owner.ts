/**
 * Who has the local microphone and speaker (the app's audio device link, MediaHost): the active
 * conference (its first call lends the local audio to the mix), else the call most recently
 * brought to the foreground (early media, answered, resumed). A call we hold never has it: the
 * other side hears nothing of the room. Headless (no local audio) nobody has it.
 */
import type { CallSnapshot } from '../contract/api.ts';
import type { Call } from './call.ts';
import type { Conference } from './conference.ts';
import type { DeviceLinkPort } from './media-host.ts';
import type { MediaPlacement } from './media-placement.ts';

/** A call we hear and speak in: early media, connected, or held by the other side only. */
function inForeground(s: CallSnapshot): boolean {
  return s.state === 'early' || s.state === 'connected' || (s.state === 'held' && s.heldBy === 'remote');
}

export class DeviceOwner {
  readonly #media: MediaPlacement;
  readonly #localAudio: boolean;
  readonly #activeConference: () => Conference | undefined;
  /** When each call last came to the foreground: the latest has the device. */
  readonly #foregroundSince = new Map<Call, number>();
  #foregroundCount = 0;

  constructor(opts: { media: MediaPlacement; localAudio: boolean; activeConference: () => Conference | undefined }) {
    this.#media = opts.media;
    this.#localAudio = opts.localAudio;
    this.#activeConference = opts.activeConference;
  }

  /** The call's snapshot changed: it may have come to the foreground, or left it. */
  noteForeground(call: Call): void {
    const now = inForeground(call.snapshot);
    if (now && !this.#foregroundSince.has(call)) this.#foregroundSince.set(call, ++this.#foregroundCount);
    else if (!now) this.#foregroundSince.delete(call);
    this.update();
  }

  /** The call ended. */
  forget(call: Call): void {
    this.#foregroundSince.delete(call);
  }

  /** Give the device to whoever should have it now. */
  update(): void {
    if (!this.#localAudio) return;
    let owner: Call | undefined = this.#activeConference()?.members[0];
    if (!owner) {
      let latest = 0;
      for (const [call, since] of this.#foregroundSince) {
        if (since > latest && !call.snapshot.conferenceId) [owner, latest] = [call, since];
      }
    }
    this.#media.setDeviceOwner(owner?.currentStreamId ?? null);
  }

  /**
   * The app's audio device link (MediaHost.connectDevice): what calls without `play` send and
   * where they play what they hear. Returns the function that ends it.
   */
  connect(port: DeviceLinkPort, sampleRate: number): () => void {
    const end = this.#media.connectDevice(port, sampleRate);
    this.update();
    return end;
  }
}
