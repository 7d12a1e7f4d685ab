/**
 * The contract's records: what the store keeps and the API returns of it (contacts, history,
 * conversations, settings). api.ts re-exports them, so they are imported from there.
 */
import type { CallCodec, DirectCalls, MessageSnapshot, SrtpMode, TransferRequests } from './api.ts';
import type { EndCode } from './end-codes.ts';
import type { VideoResolution } from './video.ts';
import type { ADDRESS_LABELS, CALL_OUTCOMES, HISTORY_KINDS, LANGUAGES, THEMES } from './values.ts';

export type AddressLabel = (typeof ADDRESS_LABELS)[number];

/** One way to reach a contact. */
export interface ContactAddress {
  /** A `sip:`, `sips:` or `tel:` URI (checked by the store; a password in it is refused). */
  uri: string;
  label: AddressLabel;
}

export interface ContactSnapshot {
  id: string;
  displayName: string;
  favourite: boolean;
  notes: string;
  addresses: ContactAddress[];
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** What `contacts:save` takes: without `id` a new contact, with one the whole contact replaced. */
export interface ContactInput {
  id?: string;
  displayName: string;
  favourite?: boolean;
  notes?: string;
  addresses: ContactAddress[];
}

export interface ContactQuery {
  /** Matches the name (no case, no accents), a URI, or a number by its digits ("+33 1 23"). */
  text?: string;
  favourites?: boolean;
  limit?: number;
}

export interface VCardImportResult {
  imported: number;
  /** Ids of the contacts created or updated (a card whose UID is one of ours updates it). */
  ids: string[];
  /** Cards not imported, numbered from 1 in the order of the text, with why. */
  skipped: Array<{ card: number; name?: string; reason: string }>;
  /** Parts of imported cards that were left out (an `xmpp:` IMPP, a malformed number…). */
  dropped: Array<{ card: number; name?: string; reason: string }>;
}

export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** One call in the history. Written when the call starts, completed when it ends. */
export interface HistoryEntry {
  id: number;
  direction: 'incoming' | 'outgoing';
  peer: { uri: string; displayName?: string };
  /** The contact the peer's address belongs to, when there is one, and its name. */
  contactId?: string;
  contactName?: string;
  accountId?: string;
  /** ms since the epoch. */
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  /** Seconds of conversation (0 when never answered). */
  duration: number;
  /** Absent while the call goes on. */
  outcome?: CallOutcome;
  /** Why it ended, in words. */
  endReason?: string;
  /** Why it ended, as a code the UI words (contract/end-codes.ts), and the SIP status behind it. */
  endCode?: EndCode;
  endStatus?: number;
  /** Where the call was transferred to (endCode 'transferred'). */
  endTarget?: string;
  codec?: CallCodec;
  /** The WAV file the call recorded to, when it recorded. */
  recording?: string;
}

/**
 * A piece of a call's recording, to listen to it in the app (`history:recording`): the WAV file's
 * bytes from `offset`, base64 (JSON and IPC carry it alike), at most RECORDING_CHUNK_BYTES a
 * request; `size` is the whole file's. A file over RECORDING_PLAY_MAX_BYTES is not served
 * (both in values.ts).
 */
export interface HistoryRecording {
  mime: 'audio/wav';
  size: number;
  offset: number;
  data: string;
}

export interface HistoryFilter {
  kind?: (typeof HISTORY_KINDS)[number];
  /** Calls with this peer only (any form of its URI). */
  peer?: string;
  limit?: number;
  /** Entries older than this id (paging). */
  before?: number;
}

export interface ConversationSummary {
  /** The peer's URI, as one key (no display name or parameters). */
  peer: string;
  contactId?: string;
  displayName?: string;
  last: MessageSnapshot;
  unread: number;
}

export interface AudioSettings {
  /** Device ids as the renderer's `enumerateDevices()` gives them; 'default': the system's. */
  inputDeviceId: string;
  outputDeviceId: string;
  ringingDeviceId: string;
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
}

export interface VideoSettings {
  /** The camera's device id as the renderer's `enumerateDevices()` gives it; 'default': the first. */
  cameraId: string;
  /** What the camera captures and calls send (VIDEO_FORMATS). */
  resolution: VideoResolution;
}

export interface NetworkSettings {
  /** `host[:port]` of a STUN server; '' for none. */
  stunServer: string;
  rtpPortMin: number;
  rtpPortMax: number;
  /** "Accept calls sent straight to this computer" (CallSettings.directCalls). */
  directCalls: DirectCalls;
}

export interface Settings {
  language: (typeof LANGUAGES)[number];
  theme: (typeof THEMES)[number];
  doNotDisturb: boolean;
  /** Answer incoming calls after `delay` seconds. */
  autoAnswer: { enabled: boolean; delay: number };
  /** Codecs in order of preference. */
  codecs: CallCodec[];
  /** SDES-SRTP policy for new calls. */
  srtp: SrtpMode;
  audio: AudioSettings;
  video: VideoSettings;
  network: NetworkSettings;
  /** A transfer the other side asks of us (CallSettings.transferRequests). */
  transferRequests: TransferRequests;
  closeToTray: boolean;
  startMinimised: boolean;
}

/** A change of settings: any keys, and any keys of the grouped ones (`{ audio: { echoCancellation: false } }`). */
export type SettingsChange = {
  [K in keyof Settings]?: Settings[K] extends unknown[] ? Settings[K] : Settings[K] extends object ? Partial<Settings[K]> : Settings[K];
};
