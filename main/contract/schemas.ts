/**
 * The one schema set: every API request (`requestSchemas`, complete by type against ApiCalls), the
 * stored settings and a change to them, an account, a contact, a history filter. The dispatcher
 * checks each request with it before the engine sees it; the store checks what it is given and
 * what it reads back with the same schemas. Rules that need more than the shape (a URI parsed in
 * full, a password in an address) belong to the one module that owns them (store/check-address.ts).
 *
 * File paths (WAV to play or record) are refused from a window: a page must not make the engine
 * read or write files of its choosing. The CLI passes them to the engine directly.
 */
import type { AccountConfig, ApiCalls, AudioSettings, ContactQuery, HistoryFilter, NetworkSettings, Settings, VideoSettings } from './api.ts';
import { parseStunServer } from './stun-server.ts';
import { VIDEO_RESOLUTIONS } from './video.ts';
import {
  ADDRESS_LABELS,
  AUTO_ANSWER_DELAY_MAX,
  CALL_CODECS,
  DECLINE_STATUSES,
  DIRECT_CALLS,
  DTMF_MODES,
  HISTORY_KINDS,
  LANGUAGES,
  RECORDING_PLAY_MAX_BYTES,
  RTP_PORT_LIMITS,
  SRTP_MODES,
  THEMES,
  TRANSFER_REQUESTS,
  TRANSPORTS,
} from './values.ts';
import { bool, list, literal, maybe, none, nullable, num, obj, oneOf, optional, partial, problem, refused, str, text, type Field, type Schema } from './schema.ts';

const id = () => str({ min: 1, max: 200 });
const uriLike = () => str({ min: 1, max: 2000 });
const sipUri = () => str({ min: 1, max: 500, pattern: /^sips?:/i, patternText: 'expected a sip: or sips: URI' });
/** Codecs in order of preference, each once. */
export const codecList = list(oneOf(CALL_CODECS), { min: 1, max: CALL_CODECS.length, unique: true });
const srtp = () => oneOf(SRTP_MODES);
const NO_FILES = 'file paths are not accepted from the UI';

/**
 * What a call sends: a tone (one or two frequencies, Hz), silence, or — from the engine's own
 * callers (the CLI), never from a window — a WAV file.
 */
const audioSource =
  (files: boolean): Schema =>
  (v, p) => {
    if (typeof v === 'object' && v !== null && 'wav' in v) return files ? obj({ wav: str({ min: 1, max: 4096 }), loop: optional(bool()) })(v, p) : problem(`${p}.wav`, NO_FILES);
    if (typeof v === 'object' && v !== null && 'tone' in v) return obj({ tone: list(num({ min: 1, max: 23_999 }), { min: 1, max: 2 }), levelDb: optional(num({ min: -96, max: 0 })) })(v, p);
    return obj({ silence: literal(true) })(v, p);
  };

/** What a headless video call sends: the test pattern, or a y4m file (the engine's own callers only; a window sends its camera). */
const videoSource =
  (files: boolean): Field =>
    files
      ? optional((v, p) => (v === 'testsrc' ? undefined : obj({ y4m: str({ min: 1, max: 4096 }) })(v, `${p}`)))
      : refused(NO_FILES);

/** A file to write, from the engine's own callers only. */
const recordFile = (files: boolean): Field => (files ? optional(str({ min: 1, max: 4096 })) : refused(NO_FILES));

// ---- accounts ----------------------------------------------------------------------------------

/** AccountConfig's fields other than the AOR and the password (store/accounts.ts checks the URIs in full). */
const ACCOUNT_OPTIONS = {
  username: str({ max: 200 }),
  realm: str({ min: 1, max: 200 }),
  displayName: str({ max: 200 }),
  proxy: sipUri(),
  transport: oneOf(TRANSPORTS),
  // A file's path, or the PEM text of a few CAs.
  ca: str({ min: 1, max: 64_000 }),
  tlsVerify: bool(),
  expires: num({ min: 1, max: 604_800, integer: true }),
  outbound: bool(),
  keepAlive: num({ min: 0, max: 3600, integer: true }),
  retryBase: num({ min: 1, max: 3600, integer: true }),
  register: bool(),
  srtp: srtp(),
  dtmf: oneOf(DTMF_MODES),
  voicemail: str({ min: 1, max: 500 }),
} satisfies { [K in Exclude<keyof AccountConfig, 'aor' | 'password'>]-?: Schema };

const accountOptions = (wrap: (s: Schema) => Schema) => Object.fromEntries(Object.entries(ACCOUNT_OPTIONS).map(([k, s]) => [k, optional(wrap(s))])) as Record<keyof typeof ACCOUNT_OPTIONS, Field>;

const password = optional(str({ max: 500 }));
export const accountConfigSchema = obj<AccountConfig>({ aor: sipUri(), password, ...accountOptions((s) => s) });
/** `account:update`: the fields to change, `null` clearing an optional one; the AOR and the password cannot be cleared. */
export const accountUpdateSchema = obj({ id: id(), aor: optional(sipUri()), password, ...accountOptions(nullable) });

// ---- settings ----------------------------------------------------------------------------------

/** Settings → Network's STUN server: '' for none, else what parseStunServer reads. */
const stunServer: Schema = (v, p) => {
  const bad = str({ max: 300 })(v, p);
  if (bad) return bad;
  try {
    parseStunServer(v as string);
    return undefined;
  } catch {
    return problem(p, `expected host[:port] of a STUN server, not ${JSON.stringify(v)}`);
  }
};

const rtpPort = () => num({ min: RTP_PORT_LIMITS.min, max: RTP_PORT_LIMITS.max, integer: true });
/** RTP and RTCP take a pair of ports (RFC 3550 §11): a range must hold at least one pair. */
const pairProblem = (min: number, max: number, p: string, names = ['min', 'max']) =>
  max - min < 1 ? problem(p, `${names[0]} (${min}) must be below ${names[1]} (${max})`) : undefined;

/** The RTP ports a call may take, `{ min, max }` (the engine's form of Settings → Network's range). */
export const portRangeSchema = obj<{ min: number; max: number }>({ min: rtpPort(), max: rtpPort() }, (r, p) => pairProblem(r.min, r.max, p));

/** The whole of Settings, as stored (every key present). */
export const settingsSchema = obj<Settings>({
  language: oneOf(LANGUAGES),
  theme: oneOf(THEMES),
  doNotDisturb: bool(),
  autoAnswer: obj<Settings['autoAnswer']>({ enabled: bool(), delay: num({ min: 0, max: AUTO_ANSWER_DELAY_MAX, integer: true }) }),
  codecs: codecList,
  srtp: srtp(),
  audio: obj<AudioSettings>({
    inputDeviceId: str({ max: 500 }),
    outputDeviceId: str({ max: 500 }),
    ringingDeviceId: str({ max: 500 }),
    echoCancellation: bool(),
    noiseSuppression: bool(),
    autoGainControl: bool(),
  }),
  video: obj<VideoSettings>({ cameraId: str({ max: 500 }), resolution: oneOf(VIDEO_RESOLUTIONS) }),
  network: obj<NetworkSettings>(
    { stunServer, rtpPortMin: rtpPort(), rtpPortMax: rtpPort(), directCalls: oneOf(DIRECT_CALLS) },
    (n, p) => pairProblem(n.rtpPortMin, n.rtpPortMax, p, ['rtpPortMin', 'rtpPortMax']),
  ),
  transferRequests: oneOf(TRANSFER_REQUESTS),
  closeToTray: bool(),
  startMinimised: bool(),
});

/** `settings:set`: any keys, and any keys of the grouped ones; the store checks the merged whole. */
export const settingsChangeSchema = partial(settingsSchema);

// ---- contacts, history, messages -----------------------------------------------------------------

export const contactInputSchema = obj({
  id: optional(id()),
  displayName: text({ max: 500, what: 'a name' }),
  favourite: optional(bool()),
  notes: optional(str({ max: 100_000 })),
  addresses: list(obj({ uri: uriLike(), label: oneOf(ADDRESS_LABELS) }), { max: 100 }),
});

export const contactQuerySchema = maybe(obj<ContactQuery>({ text: optional(str({ max: 500 })), favourites: optional(bool()), limit: optional(num({ min: 1, max: 10_000, integer: true })) }));

export const historyFilterSchema = maybe(
  obj<HistoryFilter>({
    kind: optional(oneOf(HISTORY_KINDS)),
    peer: optional(uriLike()),
    limit: optional(num({ min: 1, max: 100_000, integer: true })),
    before: optional(num({ min: 0, integer: true })),
  }),
);

// ---- every request -------------------------------------------------------------------------------

/**
 * The call requests, for a window (`files: false`: no WAV to play or record) or for the engine's
 * own callers (the CLI, tests), which may name files.
 */
function callRequests(files: boolean) {
  return {
    dial: obj({
      to: uriLike(),
      accountId: optional(id()),
      codecs: optional(codecList),
      srtp: optional(srtp()),
      play: optional(audioSource(files)),
      record: recordFile(files),
      proxy: optional(uriLike()),
      dtmf: optional(oneOf(DTMF_MODES)),
      video: optional(bool()),
      videoSource: videoSource(files),
      recordVideo: recordFile(files),
    }),
    answer: obj({ callId: id(), play: optional(audioSource(files)), record: recordFile(files), video: optional(bool()), videoSource: videoSource(files), recordVideo: recordFile(files) }),
    settings: obj({
      autoAnswer: optional(bool()),
      autoAnswerDelay: optional(num({ min: 0, max: AUTO_ANSWER_DELAY_MAX })),
      autoAnswerPlay: optional(audioSource(files)),
      autoAnswerRecord: recordFile(files),
      autoAnswerVideo: optional(bool()),
      autoAnswerVideoSource: videoSource(files),
      autoAnswerRecordVideo: recordFile(files),
      videoResolution: optional(oneOf(VIDEO_RESOLUTIONS)),
      doNotDisturb: optional(bool()),
      codecs: optional(codecList),
      srtp: optional(srtp()),
      directCalls: optional(oneOf(DIRECT_CALLS)),
      transferRequests: optional(oneOf(TRANSFER_REQUESTS)),
    }),
  };
}

const fromWindow = callRequests(false);
/** The same call requests as the engine takes them from its own callers (files allowed). */
export const engineCallSchemas = callRequests(true);

export const requestSchemas: { [K in keyof ApiCalls]: Schema } = {
  'account:add': accountConfigSchema,
  'account:update': accountUpdateSchema,
  'account:remove': obj({ id: id() }),
  'account:list': none(),
  'network:changed': none(),
  'message:send': obj({ accountId: optional(id()), to: uriLike(), text: str({ min: 1, max: 10_000 }), proxy: optional(uriLike()) }),
  'options:ping': obj({ accountId: optional(id()), to: uriLike(), proxy: optional(uriLike()) }),
  'call:dial': fromWindow.dial,
  'call:answer': fromWindow.answer,
  'call:decline': obj({ callId: id(), status: optional(oneOf(DECLINE_STATUSES)) }),
  'call:hangup': obj({ callId: id() }),
  'call:hold': obj({ callId: id() }),
  'call:record': obj({ callId: id(), on: bool() }),
  'call:resume': obj({ callId: id() }),
  // RFC 4733 §3.2 events 0-15: digits, *, #, A-D.
  'call:dtmf': obj({ callId: id(), digits: str({ min: 1, max: 64, pattern: /^[0-9*#A-Da-d]+$/, patternText: 'expected digits 0-9, *, #, A-D' }) }),
  'call:codecs': obj({ callId: id(), codecs: codecList }),
  'call:video': obj({ callId: id(), on: bool() }),
  'call:camera': obj({ callId: id(), on: bool() }),
  'call:list': none(),
  'call:settings': fromWindow.settings,
  // RFC 5589 §6 (blind) and §7 (attended): the target is any address the dialpad would call.
  'call:transfer': obj({ callId: id(), to: uriLike() }),
  'call:transfer-answer': obj({ callId: id(), accept: bool() }),
  'call:attended-transfer': obj({ callId: id(), targetCallId: id() }),
  'conference:merge': obj({ callIds: list(id(), { min: 2, max: 8 }) }),
  'conference:split': obj({ conferenceId: id() }),
  'app:status': none(),
  'contacts:list': contactQuerySchema,
  'contacts:get': obj({ id: id() }),
  'contacts:save': contactInputSchema,
  'contacts:delete': obj({ id: id() }),
  'contacts:favourite': obj({ id: id(), favourite: bool() }),
  'contacts:import-vcard': obj({ text: str({ min: 1, max: 5_000_000 }) }),
  'contacts:export-vcard': maybe(obj({ ids: optional(list(id(), { max: 100_000 })) })),
  'history:list': historyFilterSchema,
  'history:delete': obj({ id: num({ min: 0, integer: true }) }),
  'history:clear': none(),
  'history:recording': obj({ id: num({ min: 0, integer: true }), offset: optional(num({ min: 0, max: RECORDING_PLAY_MAX_BYTES, integer: true })) }),
  'messages:conversations': none(),
  'messages:list': obj({ peer: uriLike(), limit: optional(num({ min: 1, max: 10_000, integer: true })), before: optional(num({ min: 0 })) }),
  'messages:mark-read': obj({ peer: uriLike() }),
  'settings:get': none(),
  'settings:set': settingsChangeSchema,
};

/** The channel names, in one list (the preload learns them from the shell at start). */
export const CHANNEL_NAMES = Object.keys(requestSchemas) as Array<keyof ApiCalls>;

export function isChannel(channel: unknown): channel is keyof ApiCalls {
  return typeof channel === 'string' && Object.hasOwn(requestSchemas, channel);
}

/** Undefined when the request fits its channel, else the message naming the field. */
export function validateRequest(channel: keyof ApiCalls, req: unknown): string | undefined {
  return requestSchemas[channel](req, '');
}
