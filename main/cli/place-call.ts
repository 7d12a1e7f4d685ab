/**
 * `call`: dial, wait for the answer, send DTMF once media flows, stay --duration, hang up; and the
 * exit status that says how it went (0 answered and ended normally, else 1 with the reason).
 */
import type { CallAudioSource, CallCodec, CallSnapshot, CallVideoSource, SrtpMode } from '../contract/api.ts';
import type { Phone } from '../phone/phone.ts';
import { callOutcomeLine, type Printer } from './output.ts';

/** How long after its last digit has left a call hung up by --duration still lasts (the other side hears it first). */
const DTMF_TAIL_MS = 1000;

/** The next snapshot of `callId` that passes `test` (already seen ones are not replayed). */
function nextCallState(phone: Phone, callId: string, test: (s: CallSnapshot) => boolean, signal?: AbortSignal): Promise<CallSnapshot | undefined> {
  return new Promise((resolve) => {
    const done = (s: CallSnapshot | undefined) => {
      phone.off('call:state', listener);
      signal?.removeEventListener('abort', onAbort);
      resolve(s);
    };
    const listener = (s: CallSnapshot) => {
      if (s.id === callId && test(s)) done(s);
    };
    const onAbort = () => done(undefined);
    phone.on('call:state', listener);
    signal?.addEventListener('abort', onAbort);
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Until no call is left, `until` (ms since the epoch) has passed, or `signal` aborts. */
async function whileCalls(phone: Phone, until: number | undefined, signal: AbortSignal): Promise<void> {
  while (phone.listCalls().length > 0 && !signal.aborted && (until === undefined || Date.now() < until)) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, until === undefined ? 2 ** 31 - 1 : Math.max(0, until - Date.now()));
      function done(): void {
        clearTimeout(timer);
        phone.off('call:state', onState);
        signal.removeEventListener('abort', done);
        resolve();
      }
      const onState = (s: CallSnapshot): void => {
        if (s.state === 'ended') done();
      };
      phone.on('call:state', onState);
      signal.addEventListener('abort', done);
    });
  }
}

export interface CallArgs {
  to: string;
  accountId?: string;
  proxy?: string;
  codecs?: CallCodec[];
  srtp?: SrtpMode;
  play?: CallAudioSource;
  record?: string;
  /** A video call: what it sends and where it records (cli/args.ts parseVideo). */
  video?: { videoSource?: CallVideoSource; recordVideo?: string };
  duration?: number;
  dtmf?: string;
  dtmfInfo: boolean;
}

/** `call`: dial, wait for the answer, send DTMF, stay --duration, hang up; the exit status. */
export async function placeCall(phone: Phone, printer: Printer, signal: AbortSignal, a: CallArgs): Promise<number> {
  const started = await phone.dial({
    to: a.to,
    ...(a.accountId ? { accountId: a.accountId } : {}),
    ...(a.proxy && !a.accountId ? { proxy: a.proxy } : {}),
    ...(a.codecs ? { codecs: a.codecs } : {}),
    ...(a.srtp ? { srtp: a.srtp } : {}),
    ...(a.play ? { play: a.play } : {}),
    ...(a.record ? { record: a.record } : {}),
    ...(a.video ? { video: true, ...a.video } : {}),
    ...(a.dtmfInfo ? { dtmf: 'info' as const } : {}),
  });
  const id = started.id;
  const current = () => phone.listCalls().find((c) => c.id === id);
  const ended = new Promise<CallSnapshot>((resolve) => {
    const listener = (s: CallSnapshot) => {
      if (s.id !== id || s.state !== 'ended') return;
      phone.off('call:state', listener);
      resolve(s);
    };
    if (started.state === 'ended') resolve(started);
    else phone.on('call:state', listener);
  });
  const upNow = current();
  const answered =
    upNow?.answeredAt !== undefined ? upNow : await nextCallState(phone, id, (s) => s.answeredAt !== undefined || s.state === 'ended', signal);
  if (answered && answered.state !== 'ended') {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort);
    void ended.then(() => stop.abort());
    let hangupAt = a.duration === undefined ? undefined : Date.now() + a.duration * 1000;
    if (a.dtmf) {
      // Once media flows (its first statistics), so the other side's receiver is running.
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 2000);
        function done() {
          clearTimeout(t);
          phone.off('call:stats', onStats);
          resolve();
        }
        const onStats = (st: { callId: string; packetsReceived: number }) => {
          if (st.callId === id) done();
        };
        phone.on('call:stats', onStats);
        stop.signal.addEventListener('abort', done);
      });
      if (!stop.signal.aborted) {
        try {
          await phone.sendDtmf({ callId: id, digits: a.dtmf });
          printer.event('dtmf-sent', { callId: id, digits: a.dtmf }, `sent DTMF ${a.dtmf}`);
          // The last digit has left, not yet been heard: the other side's jitter buffer may still
          // hold it, and a BYE now could overtake it.
          if (hangupAt !== undefined) hangupAt = Math.max(hangupAt, Date.now() + DTMF_TAIL_MS);
        } catch (err) {
          printer.error(`DTMF not sent: ${(err as Error).message}\n`);
        }
      }
    }
    await sleep(hangupAt === undefined ? 2 ** 31 - 1 : Math.max(0, hangupAt - Date.now()), stop.signal);
    signal.removeEventListener('abort', onAbort);
    // The call ended but others go on (a transfer's new call, a second call): wait for them too.
    if (!current()) await whileCalls(phone, hangupAt, signal);
  }
  const left = phone.listCalls();
  if (left.length > 0) await Promise.race([Promise.all(left.map((c) => phone.hangup({ callId: c.id }).catch(() => undefined))), new Promise((r) => setTimeout(r, 5000).unref())]);
  const final = await Promise.race([ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref())]);
  if (!final) {
    printer.error(`the call with ${a.to} did not end cleanly\n`);
    return 1;
  }
  const normal = final.answeredAt !== undefined && (final.endStatus === undefined || final.endStatus < 300);
  if (!normal) {
    printer.failure(callOutcomeLine(a.to, final));
    return 1;
  }
  return 0;
}
