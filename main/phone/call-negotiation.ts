/**
 * One call's RFC 3264 offer/answer state: the last SDP we sent (the base of every re-offer, §8),
 * the other side's last one, our offer still waiting for its answer, and who holds whom. What we
 * can put in an SDP comes from the call's media (call-media.ts); main/sdp/ writes and reads it.
 *
 * We always offer in the INVITE; we answer an incoming offer in the 200 (or offer in the 200 when
 * the INVITE had none, and read the answer in the ACK). Re-offers: hold (sendonly, or inactive
 * when the peer already holds us, §8.4), resume, codec change (§8.3.2). A peer's re-offer is
 * answered with our current codec first, and our own hold kept.
 */
import type { Body } from '../sip/index.ts';
import {
  createAnswer,
  createCodecChangeOffer,
  createHoldOffer,
  createOffer,
  createResumeOffer,
  isHeldBy,
  parseSdp,
  processAnswer,
  processVideoAnswer,
  type NegotiatedVideo,
  type CodecName,
  type NegotiatedMedia,
  type SessionDescription,
} from '../sdp/index.ts';
import type { CallMediaSession } from './call-media.ts';
import type { CallVideoSession } from './call-video.ts';
import { textOf } from './call-sdp.ts';

export class Negotiation {
  readonly #media: CallMediaSession;
  readonly #videoSession: CallVideoSession | undefined;
  /** The video the last exchange gave (undefined: none). */
  #video: NegotiatedVideo | undefined;
  #local: SessionDescription | undefined;
  #remote: SessionDescription | undefined;
  #pending: SessionDescription | undefined;
  #heldLocal = false;
  #heldRemote = false;

  constructor(media: CallMediaSession, video?: CallVideoSession) {
    this.#media = media;
    this.#videoSession = video;
  }

  /** The video stream the last completed exchange gave (sdp/video-media.ts). */
  get video(): NegotiatedVideo | undefined {
    return this.#video;
  }

  get heldLocal(): boolean {
    return this.#heldLocal;
  }

  /** Who holds the call: 'local', 'remote', 'both', or undefined (nobody). */
  get heldBy(): 'local' | 'remote' | 'both' | undefined {
    return this.#heldLocal && this.#heldRemote ? 'both' : this.#heldLocal ? 'local' : this.#heldRemote ? 'remote' : undefined;
  }

  /** Our offer still waits for its answer. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** The call was answered: an answer that comes after it is not for our INVITE's offer. */
  settle(): void {
    this.#pending = undefined;
  }

  /** What we can do now, for createOffer/createAnswer (our hold kept, our last SDP the base; `at` for a dry run). */
  description(at?: { address: string; port: number }) {
    const video = this.#videoSession?.local(this.#heldLocal);
    return { ...this.#media.description({ held: this.#heldLocal, previous: this.#local }, at), ...(video ? { video } : {}) };
  }

  /** A whole new offer for a re-INVITE (video added or removed, RFC 3264 §8); `reoffered` reads its answer. */
  reoffer(): SessionDescription {
    return createOffer(this.description());
  }

  /** A new offer of ours (the INVITE's, the 200's to an offerless INVITE, an offerless re-INVITE's §14.2); its answer comes later. */
  offer(): SessionDescription {
    const offer = createOffer(this.description());
    this.#pending = offer;
    return offer;
  }

  /** Answer the other side's offer (its INVITE's, or a re-offer); `rejected` says why when nothing fits. */
  answer(offer: SessionDescription): { answer: SessionDescription; negotiated: NegotiatedMedia } | { rejected: string | undefined } {
    const result = createAnswer({ ...this.description(), offer });
    if (!result.negotiated) return { rejected: result.rejected };
    this.#video = result.video;
    this.#local = result.answer;
    this.#remote = offer;
    this.#heldRemote = isHeldBy(offer);
    return { answer: result.answer, negotiated: result.negotiated };
  }

  /**
   * The answer to our pending offer (in a 18x, the 200, or the ACK): what to run. Undefined when
   * no offer of ours waits; throws when the answer cannot be used.
   */
  answered(body: Body, inAck: boolean): NegotiatedMedia | undefined {
    const offer = this.#pending;
    if (!offer) return undefined;
    const answer = parseSdp(textOf(body));
    const negotiated = processAnswer({ offer, answer });
    this.#video = processVideoAnswer({ offer, answer });
    this.#local = offer;
    this.#remote = answer;
    this.#heldRemote = isHeldBy(answer);
    if (inAck) this.#pending = undefined;
    return negotiated;
  }

  /** §8.4: our hold, sendonly (inactive when the peer already holds us). */
  holdOffer(): SessionDescription {
    return createHoldOffer({ previous: this.#local!, ...(this.#remote ? { remote: this.#remote } : {}) });
  }

  resumeOffer(): SessionDescription {
    return createResumeOffer({ previous: this.#local! });
  }

  /** §8.3.2: a re-offer with only these codecs. */
  codecOffer(codecs: CodecName[]): SessionDescription {
    return createCodecChangeOffer({ previous: this.#local!, codecs });
  }

  /** Our re-offer was answered: what to run; `heldLocal` is our hold from now on. Throws when the answer cannot be used. */
  reoffered(offer: SessionDescription, body: Body, heldLocal: boolean): NegotiatedMedia {
    const answer = parseSdp(textOf(body));
    const negotiated = processAnswer({ offer, answer });
    this.#video = processVideoAnswer({ offer, answer });
    this.#local = offer;
    this.#remote = answer;
    this.#heldLocal = heldLocal;
    this.#heldRemote = isHeldBy(answer);
    return negotiated;
  }
}
