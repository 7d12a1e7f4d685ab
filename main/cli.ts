#!/usr/bin/env node
/**
 * `npx appel <command> …` (bin/appel.js; also `npm run phone -- <command> …`): the headless command line over the same engine the desktop
 * app drives (main/phone/). Every event can be printed as one JSON object per line (--json) for
 * automation; without --json it prints short sentences. Exit status: 0 on success, 1 when the
 * SIP side failed (one line says why, in words), 2 for a usage error.
 */
import { guardProcess } from './phone/last-resort.ts';
import { Phone } from './phone/phone.ts';
import type { AccountConfig, AccountSnapshot, OptionsAnswer } from './contract/api.ts';
import { completeTarget, domainOf } from './contract/dial-target.ts';
import { HELP } from './cli/help.ts';
import { UsageError, accountFrom, directCalls, parseCli, parseCodecs, parsePlay, parseSrtp, parseVideo, phoneOptions, seconds, transferRequests } from './cli/args.ts';
import { Printer, accountEvent, printCalls, registrationFailure } from './cli/output.ts';
import { readCommands } from './cli/commands.ts';
import { placeCall, sleep } from './cli/place-call.ts';

/**
 * The address `call`, `options` or `message` goes to, completed with the contract's rule
 * (contract/dial-target.ts: a number or `tel:` at the AOR's domain with user=phone, RFC 3261
 * §19.1.6; an extension or a user name at the domain; user@host with sip:). UsageError if none.
 */
function targetFrom(command: string, input: string, account: AccountConfig | undefined): string {
  const target = completeTarget(input, account ? domainOf(account.aor) : undefined);
  if ('uri' in target) return target.uri;
  if (target.problem === 'no-domain') throw new UsageError(`${command}: '${input}' needs a domain: give a whole URI (sip:${input}@example.com) or --aor`);
  throw new UsageError(`${command}: '${input}' is not an address (a sip:, sips: or tel: URI, a number, an extension or user@host)`);
}

/** `options`, in words: the answer, how long it took, and what the peer says about itself. */
function optionsSentence(res: OptionsAnswer): string {
  const lines = [`${res.status} ${res.reason} in ${res.rttMs} ms`];
  if (res.userAgent) lines.push(`  User-Agent: ${res.userAgent}`);
  if (res.allow) lines.push(`  Allow: ${res.allow.join(', ')}`);
  if (res.supported) lines.push(`  Supported: ${res.supported.join(', ')}`);
  if (res.accept) lines.push(`  Accept: ${res.accept.join(', ')}`);
  return lines.join('\n');
}

/** In a terminal, `listen` says which keys act on a call, when they can (on standard error: not data). */
function keyHints(phone: Phone): void {
  process.stderr.write('when a call comes in: a then Enter answers, d declines; h hangs up (more: appel --help)\n');
  phone.on('call:incoming', () => process.stderr.write('  a + Enter: answer · d + Enter: decline\n'));
  const told = new Set<string>();
  phone.on('call:state', (s) => {
    if (s.state === 'ended') told.delete(s.id);
    else if (s.answeredAt !== undefined && !told.has(s.id)) {
      told.add(s.id);
      process.stderr.write('  h + Enter: hang up\n');
    }
  });
}

export async function main(argv: string[]): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nTry: appel --help\n`);
    return 2;
  }
  const { command, positionals, values } = cli;
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const printer = new Printer(!!values.json);
  const stopSignal = new AbortController();
  const onSignal = () => stopSignal.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let phone: Phone | undefined;
  let stopCommands: (() => void) | undefined;
  try {
    const needAor = command === 'register';
    if (!['register', 'options', 'message', 'listen', 'call'].includes(command)) {
      throw new UsageError(`unknown command '${command}'`);
    }
    if (command === 'call' && positionals.length !== 1) throw new UsageError('call wants one URI: call sip:bob@example.com');
    const codecs = parseCodecs(values.codecs);
    const srtp = parseSrtp(values.srtp);
    const direct = values['direct-calls'] !== undefined ? directCalls(values['direct-calls']) : undefined;
    const transfers = transferRequests(values.transfers);
    const play = parsePlay(values.play);
    const video = parseVideo(values);
    const duration = seconds('duration', values.duration);
    const delay = seconds('delay', values.delay);
    if (values.dtmf !== undefined && !/^[0-9*#A-Da-d]+$/.test(values.dtmf)) throw new UsageError(`--dtmf wants digits 0-9, *, #, A-D, not '${values.dtmf}'`);
    if (command === 'options' && positionals.length !== 1) throw new UsageError('options wants one URI: options sip:bob@example.com');
    if (command === 'message' && positionals.length !== 2) throw new UsageError("message wants a URI and a text: message sip:bob@example.com 'Hello'");
    const account = await accountFrom(values, needAor);
    // The target is checked before anything registers: a typo fails at once (exit 2).
    const target = command === 'call' || command === 'options' || command === 'message' ? targetFrom(command, positionals[0], account) : undefined;
    const stayFor = seconds('for', values.for);
    const ready = await Phone.create(phoneOptions(values, account));
    phone = ready;
    if (values.trace) ready.on('sip:trace', (t) => printer.trace(t));
    printCalls(printer, ready);
    ready.on('message:received', (m) =>
      printer.event('message', { from: m.peer, text: m.text, contentType: m.contentType }, `message from ${m.peer}: ${m.text}`),
    );

    let accountId: string | undefined;
    if (account) {
      if (command !== 'register' && account.register === undefined) account.register = !values['no-register'];
      const firstOutcome = new Promise<AccountSnapshot>((resolve) => {
        let previous: AccountSnapshot['state'] | undefined;
        ready.on('account:state', (s) => {
          accountEvent(printer, s, previous);
          previous = s.state;
          if (s.state === 'registered' || s.state === 'failed') resolve(s);
        });
      });
      const snap = ready.addAccount(account, 'cli');
      accountId = snap.id;
      if (account.register !== false) {
        const outcome = await Promise.race([firstOutcome, new Promise<undefined>((r) => stopSignal.signal.addEventListener('abort', () => r(undefined)))]);
        if (!outcome) return 1;
        if (outcome.state === 'failed') {
          printer.failure(registrationFailure(outcome.error));
          return 1;
        }
      }
    }

    if (command === 'call' || command === 'listen') {
      let dialled = 1;
      stopCommands = readCommands(
        ready,
        printer,
        async (to, text) => {
          const m = await ready.sendMessage({ accountId, to, text, proxy: values.proxy });
          printer.event('message-sent', { to: m.peer, status: m.status, error: m.error }, m.status === 'sent' ? `message delivered to ${m.peer}` : `message not delivered: ${m.error}`);
        },
        (to) => {
          // `call URI` on standard input: a call like the first (the engine numbers its record file).
          const record = values.record?.replace('{n}', `out-${++dialled}`);
          const recordVideo = video?.recordVideo?.replace('{n}', `out-${dialled}`);
          return ready.dial({
            ...(video ? { video: true, ...(video.videoSource ? { videoSource: video.videoSource } : {}), ...(recordVideo ? { recordVideo } : {}) } : {}),
            to,
            ...(accountId ? { accountId } : {}),
            ...(values.proxy && !accountId ? { proxy: values.proxy } : {}),
            ...(codecs ? { codecs } : {}),
            ...(srtp ? { srtp } : {}),
            ...(play ? { play } : {}),
            ...(record ? { record } : {}),
            ...(values['dtmf-info'] ? { dtmf: 'info' as const } : {}),
          });
        },
      );
    }
    if (command === 'call') {
      return await placeCall(ready, printer, stopSignal.signal, {
        to: target!,
        accountId,
        proxy: values.proxy,
        codecs,
        srtp,
        play,
        record: values.record,
        ...(video ? { video } : {}),
        duration,
        dtmf: values.dtmf,
        dtmfInfo: !!values['dtmf-info'],
      });
    }
    ready.callSettings({ transferRequests: transfers, ...(direct ? { directCalls: direct } : {}) });
    if (command === 'listen') {
      ready.callSettings({
        autoAnswer: !!values['auto-answer'],
        autoAnswerDelay: delay ?? 0,
        doNotDisturb: !!values.dnd,
        ...(play ? { autoAnswerPlay: play } : {}),
        ...(values.record ? { autoAnswerRecord: values.record } : {}),
        ...(video
          ? { autoAnswerVideo: true, ...(video.videoSource ? { autoAnswerVideoSource: video.videoSource } : {}), ...(video.recordVideo ? { autoAnswerRecordVideo: video.recordVideo } : {}) }
          : {}),
        ...(codecs ? { codecs } : {}),
        ...(srtp ? { srtp } : {}),
      });
    }
    if (command === 'options') {
      const res = await ready.options({ accountId, to: target!, proxy: values.proxy });
      printer.event('options', { to: target, ...res }, optionsSentence(res));
      if (res.status >= 300) return 1;
    } else if (command === 'message') {
      const msg = await ready.sendMessage({ accountId, to: target!, text: positionals[1], proxy: values.proxy });
      printer.event('message-sent', { to: msg.peer, status: msg.status, error: msg.error }, msg.status === 'sent' ? `message delivered to ${msg.peer}` : `message not delivered: ${msg.error}`);
      if (msg.status !== 'sent') {
        printer.error(`${msg.error}\n`);
        return 1;
      }
    } else if (command === 'listen' || stayFor !== undefined) {
      if (command === 'listen') {
        for (const a of ready.localAddresses()) printer.event('listening', { ...a }, `listening on ${a.protocol.toLowerCase()}:${a.address}:${a.port}`);
        if (process.stdin.isTTY) keyHints(ready);
      }
      await sleep(stayFor === undefined ? 2 ** 31 - 1 : stayFor * 1000, stopSignal.signal);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      printer.error(`${err.message}\nTry: appel --help\n`);
      return 2;
    }
    printer.error(`${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopCommands?.();
    if (phone) await phone.stop();
  }
}

/** The command run as a program (`node main/cli.ts …`, or `appel …` through bin/appel.js). */
export async function run(argv: string[]): Promise<void> {
  guardProcess((line) => process.stderr.write(`${line}\n`));
  process.exitCode = await main(argv);
}

if (import.meta.main) await run(process.argv.slice(2));
