// The typed loader of Appel's native addon (native/build/Release/appel_native.node, built by
// `npm run build:native` from binding.gyp): audio codecs (Opus, G.722, G.711 µ-law/A-law, G.729,
// GSM 06.10), a speexdsp resampler and libsrtp2 SRTP sessions. The media engine (main/media/)
// reaches native code only through this file.
//
// Every argument is validated here and a bad one throws a TypeError naming it; the C++ side trusts
// what it is given (it still refuses wrong types rather than crash). Per-frame calls are
// synchronous: encode/decode one 20 ms frame, protect/unprotect one packet.
import { loadAddon } from './load-addon.ts';

export type CodecName = 'opus' | 'g722' | 'pcmu' | 'pcma' | 'g729' | 'gsm';

export interface CodecOptions {
  /** opus: 8000|12000|16000|24000|48000 (default 48000); others fixed. */
  sampleRate?: number;
  /** opus, bits/s (6000..510000; default: libopus chooses). */
  bitrate?: number;
  /** opus 0..10 (default: libopus's, 10 in 1.3). */
  complexity?: number;
  /** opus in-band FEC (RFC 6716 §2.1.7). */
  fec?: boolean;
  /** opus DTX. */
  dtx?: boolean;
  /** opus expected loss in percent (0..100, drives FEC). */
  packetLossPercent?: number;
}

export interface Codec {
  readonly name: CodecName;
  /** PCM sample rate the codec consumes and produces (pcmu/pcma/g729/gsm 8000, g722 16000, opus as set). */
  readonly sampleRate: number;
  /** RTP clock rate (g722: 8000 per RFC 3551 §4.5.2; opus: 48000 per RFC 7587). */
  readonly clockRate: number;
  /** Samples per 20 ms frame at sampleRate. */
  readonly frameSamples: number;
  /** Encode one 20 ms mono frame (length === frameSamples). Returns the payload (may be 0..2 bytes for DTX). */
  encode(pcm: Int16Array): Uint8Array;
  /**
   * Decode one payload; `null` = the packet was lost → concealment (PLC) frame of frameSamples.
   * A payload holding another duration (a peer's 10 or 30 ms packets) decodes to that many samples.
   * A malformed payload throws a CodecError with code 'bad-packet'.
   */
  decode(payload: Uint8Array | null): Int16Array;
  /** opus only: recover the lost frame BEFORE `nextPayload` from its in-band FEC data. */
  decodeFec?(nextPayload: Uint8Array): Int16Array;
  /** Free native state now (also freed by GC). Idempotent; later calls throw CodecError('closed'). */
  close(): void;
}

export type CodecErrorCode = 'bad-packet' | 'closed' | 'error';

/** A codec call that failed on its data (not on a bad argument, which is a TypeError). */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
  }
}

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM';
export type SrtpErrorCode = 'replay' | 'auth' | 'bad-packet' | 'error';

export class SrtpError extends Error {
  readonly code: SrtpErrorCode;
  constructor(code: SrtpErrorCode, message: string) {
    super(message);
    this.name = 'SrtpError';
    this.code = code;
  }
}

// ---- the binding -------------------------------------------------------------------------------

interface NativeCodec {
  encode(pcm: Int16Array): Uint8Array;
  decode(payload: Uint8Array | null): Int16Array;
  decodeFec?(nextPayload: Uint8Array): Int16Array;
  close(): void;
}

interface NativeResampler {
  process(pcm: Int16Array): Int16Array;
  close(): void;
  readonly inputLatency: number;
  readonly outputLatency: number;
}

interface NativeSrtpSession {
  protectRtp(packet: Uint8Array): Uint8Array;
  unprotectRtp(packet: Uint8Array): Uint8Array;
  protectRtcp(packet: Uint8Array): Uint8Array;
  unprotectRtcp(packet: Uint8Array): Uint8Array;
  close(): void;
}

interface Binding {
  OpusCodec: new (options: {
    sampleRate: number;
    bitrate?: number;
    complexity?: number;
    fec: boolean;
    dtx: boolean;
    packetLossPercent: number;
  }) => NativeCodec;
  G711Codec: new (options: { law: 'pcmu' | 'pcma' }) => NativeCodec;
  G722Codec: new (options: object) => NativeCodec;
  G729Codec: new (options: object) => NativeCodec;
  GsmCodec: new (options: object) => NativeCodec;
  Resampler: new (options: { from: number; to: number; quality: number }) => NativeResampler;
  SrtpSession: new (options: { suite: SrtpSuite; key: Uint8Array; direction: 'inbound' | 'outbound' }) => NativeSrtpSession;
  codecNames(): CodecName[];
  srtpSuites(): SrtpSuite[];
  srtpVersion(): string;
  opusVersion(): string;
}

const binding = loadAddon<Binding>('appel_native');

// ---- argument checks (TypeError naming the argument) --------------------------------------------

function fail(argument: string, expected: string, got: unknown): never {
  throw new TypeError(`${argument}: expected ${expected}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length})`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

function checkInt(argument: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(argument, `an integer in ${min}..${max}`, v);
  return v;
}

function checkBool(argument: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(argument, 'a boolean', v);
  return v;
}

function checkInt16(argument: string, v: unknown, length?: number, what?: string): Int16Array {
  if (!(v instanceof Int16Array)) fail(argument, 'an Int16Array', v);
  if (length !== undefined && v.length !== length) fail(argument, `${length} samples (${what})`, v);
  return v;
}

function checkBytes(argument: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(argument, 'a Uint8Array', v);
  return v;
}

function checkObject(argument: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(argument, 'an options object', v);
  return v as Record<string, unknown>;
}

/** The addon's errors carry `code`; turn them into typed errors, pass anything else through. */
function nativeCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function toCodecError(err: unknown): unknown {
  const code = nativeCode(err);
  if (code === 'bad-packet' || code === 'closed' || code === 'error') return new CodecError(code, (err as Error).message);
  return err;
}

function toSrtpError(err: unknown): unknown {
  const code = nativeCode(err);
  if (code === 'replay' || code === 'auth' || code === 'bad-packet' || code === 'error') {
    return new SrtpError(code, (err as Error).message);
  }
  if (code === 'closed') return new SrtpError('error', (err as Error).message);
  return err;
}

// ---- codecs --------------------------------------------------------------------------------------

const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];

/** Fixed PCM rate and RTP clock rate per codec (RFC 3551 §4.5 table 4; RFC 7587 §4.1 for opus). */
const FIXED: Record<Exclude<CodecName, 'opus'>, { sampleRate: number; clockRate: number }> = {
  g722: { sampleRate: 16000, clockRate: 8000 },
  pcmu: { sampleRate: 8000, clockRate: 8000 },
  pcma: { sampleRate: 8000, clockRate: 8000 },
  g729: { sampleRate: 8000, clockRate: 8000 },
  gsm: { sampleRate: 8000, clockRate: 8000 },
};

class NativeCodecWrapper implements Codec {
  readonly name: CodecName;
  readonly sampleRate: number;
  readonly clockRate: number;
  readonly frameSamples: number;
  protected readonly handle: NativeCodec;
  #closed = false;

  constructor(init: { name: CodecName; sampleRate: number; clockRate: number; handle: NativeCodec }) {
    this.name = init.name;
    this.sampleRate = init.sampleRate;
    this.clockRate = init.clockRate;
    this.frameSamples = init.sampleRate / 50;
    this.handle = init.handle;
  }

  encode(pcm: Int16Array): Uint8Array {
    checkInt16('pcm', pcm, this.frameSamples, `20 ms of ${this.name} at ${this.sampleRate} Hz`);
    try {
      return this.handle.encode(pcm);
    } catch (err) {
      throw toCodecError(err);
    }
  }

  decode(payload: Uint8Array | null): Int16Array {
    if (payload !== null) checkBytes('payload', payload);
    try {
      return this.handle.decode(payload);
    } catch (err) {
      throw toCodecError(err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.handle.close();
  }
}

class OpusCodecWrapper extends NativeCodecWrapper {
  decodeFec(nextPayload: Uint8Array): Int16Array {
    checkBytes('nextPayload', nextPayload);
    try {
      return this.handle.decodeFec!(nextPayload);
    } catch (err) {
      throw toCodecError(err);
    }
  }
}

function createOpus(options: Record<string, unknown>): Codec {
  const sampleRate = options.sampleRate ?? 48000;
  if (typeof sampleRate !== 'number' || !OPUS_RATES.includes(sampleRate)) {
    fail('options.sampleRate', `one of ${OPUS_RATES.join(', ')}`, sampleRate);
  }
  const bitrate = options.bitrate === undefined ? undefined : checkInt('options.bitrate', options.bitrate, 6000, 510000);
  const complexity =
    options.complexity === undefined ? undefined : checkInt('options.complexity', options.complexity, 0, 10);
  const fec = options.fec === undefined ? false : checkBool('options.fec', options.fec);
  const dtx = options.dtx === undefined ? false : checkBool('options.dtx', options.dtx);
  const packetLossPercent =
    options.packetLossPercent === undefined ? 0 : checkInt('options.packetLossPercent', options.packetLossPercent, 0, 100);
  const handle = new binding.OpusCodec({
    sampleRate,
    fec,
    dtx,
    packetLossPercent,
    ...(bitrate === undefined ? {} : { bitrate }),
    ...(complexity === undefined ? {} : { complexity }),
  });
  return new OpusCodecWrapper({ name: 'opus', sampleRate, clockRate: 48000, handle });
}

/**
 * A codec instance (encoder and decoder state for one stream). The opus-only options are ignored
 * by the other codecs, so one options object can serve a whole offer; a sampleRate other than the
 * codec's own is an error.
 */
export function createCodec(name: CodecName, options: CodecOptions = {}): Codec {
  const opts = checkObject('options', options);
  if (name === 'opus') return createOpus(opts);
  if (typeof name !== 'string' || !Object.hasOwn(FIXED, name)) {
    fail('name', `a codec name (${binding.codecNames().join(', ')})`, name);
  }
  const { sampleRate, clockRate } = FIXED[name];
  if (opts.sampleRate !== undefined && opts.sampleRate !== sampleRate) {
    fail('options.sampleRate', `${sampleRate} (${name} has a fixed rate) or nothing`, opts.sampleRate);
  }
  let handle: NativeCodec;
  switch (name) {
    case 'pcmu':
    case 'pcma':
      handle = new binding.G711Codec({ law: name });
      break;
    case 'g722':
      handle = new binding.G722Codec({});
      break;
    case 'g729':
      handle = new binding.G729Codec({});
      break;
    case 'gsm':
      handle = new binding.GsmCodec({});
      break;
  }
  return new NativeCodecWrapper({ name, sampleRate, clockRate, handle });
}

/** The codecs this build has. */
export function codecNames(): CodecName[] {
  return binding.codecNames();
}

// ---- resampler -----------------------------------------------------------------------------------

/** libspeexdsp, mono int16. Keeps filter state between calls: use one per stream and direction. */
export class Resampler {
  readonly from: number;
  readonly to: number;
  readonly #handle: NativeResampler;
  #closed = false;

  constructor(opts: { from: number; to: number; quality?: number /* 0..10, default 5 */ }) {
    const o = checkObject('opts', opts);
    this.from = checkInt('opts.from', o.from, 1000, 384000);
    this.to = checkInt('opts.to', o.to, 1000, 384000);
    const quality = o.quality === undefined ? 5 : checkInt('opts.quality', o.quality, 0, 10);
    this.#handle = new binding.Resampler({ from: this.from, to: this.to, quality });
  }

  /** Resample a block; the output length is about pcm.length * to / from (it can vary by one). */
  process(pcm: Int16Array): Int16Array {
    checkInt16('pcm', pcm);
    try {
      return this.#handle.process(pcm);
    } catch (err) {
      throw toCodecError(err);
    }
  }

  /** Filter delay in input samples (the output lags the input by this much). */
  get inputLatency(): number {
    return this.#handle.inputLatency;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }
}

// ---- SRTP ----------------------------------------------------------------------------------------

/** Master key ‖ master salt lengths (RFC 4568 §6.2: 16 + 14; RFC 7714 §12: 16 + 12). */
const SRTP_KEY_LENGTH: Record<SrtpSuite, number> = {
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
  AEAD_AES_128_GCM: 28,
};

/**
 * libsrtp2; one direction per session: 'outbound' protects what we send, 'inbound' unprotects
 * what we receive (any SSRC, each with its own replay window and rollover counter).
 */
export class SrtpSession {
  readonly suite: SrtpSuite;
  readonly direction: 'inbound' | 'outbound';
  readonly #handle: NativeSrtpSession;
  #closed = false;

  constructor(opts: {
    suite: SrtpSuite;
    key: Uint8Array /* master key ‖ master salt (30 bytes for AES_CM_128, 28 for GCM) */;
    direction: 'inbound' | 'outbound';
  }) {
    const o = checkObject('opts', opts);
    const suite = o.suite;
    if (typeof suite !== 'string' || !binding.srtpSuites().includes(suite as SrtpSuite)) {
      fail('opts.suite', `an SRTP suite (${binding.srtpSuites().join(', ')})`, suite);
    }
    this.suite = suite as SrtpSuite;
    const key = checkBytes('opts.key', o.key);
    const keyLength = SRTP_KEY_LENGTH[this.suite];
    if (key.length !== keyLength) fail('opts.key', `${keyLength} bytes (master key ‖ master salt for ${suite})`, key);
    if (o.direction !== 'inbound' && o.direction !== 'outbound') fail('opts.direction', "'inbound' or 'outbound'", o.direction);
    this.direction = o.direction;
    try {
      this.#handle = new binding.SrtpSession({ suite: this.suite, key, direction: this.direction });
    } catch (err) {
      throw toSrtpError(err);
    }
  }

  /** RTP → SRTP (RFC 3711 §3.3). */
  protectRtp(packet: Uint8Array): Uint8Array {
    checkBytes('packet', packet);
    try {
      return this.#handle.protectRtp(packet);
    } catch (err) {
      throw toSrtpError(err);
    }
  }

  /** SRTP → RTP; throws SrtpError 'replay' (RFC 3711 §3.3.2), 'auth' (§3.4), 'bad-packet'. */
  unprotectRtp(packet: Uint8Array): Uint8Array {
    checkBytes('packet', packet);
    try {
      return this.#handle.unprotectRtp(packet);
    } catch (err) {
      throw toSrtpError(err);
    }
  }

  /** RTCP → SRTCP (RFC 3711 §3.4: adds E-flag and SRTCP index, then the tag). */
  protectRtcp(packet: Uint8Array): Uint8Array {
    checkBytes('packet', packet);
    try {
      return this.#handle.protectRtcp(packet);
    } catch (err) {
      throw toSrtpError(err);
    }
  }

  unprotectRtcp(packet: Uint8Array): Uint8Array {
    checkBytes('packet', packet);
    try {
      return this.#handle.unprotectRtcp(packet);
    } catch (err) {
      throw toSrtpError(err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }
}

/** The suites this libsrtp has (AEAD_AES_128_GCM needs a libsrtp built with a crypto library). */
export function srtpSuites(): SrtpSuite[] {
  return binding.srtpSuites();
}

/** Library versions, for logs and bug reports. */
export function nativeVersions(): { opus: string; srtp: string } {
  return { opus: binding.opusVersion(), srtp: binding.srtpVersion() };
}
