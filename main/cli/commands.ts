/** The command line's keyboard: `call` and `listen` read commands on standard input. */
import { createInterface } from 'node:readline';
import type { CallSnapshot } from '../contract/api.ts';
import type { Phone } from '../phone/phone.ts';
import { parseCodecs } from './args.ts';
import type { Printer } from './output.ts';

/**
 * Commands on standard input while `call` or `listen` runs, one per line, acting on the latest
 * call still going: what a person at the keyboard (or a test driving the CLI) would press.
 */
export function readCommands(
  phone: Phone,
  printer: Printer,
  message: (to: string, text: string) => Promise<void>,
  dial: (to: string) => Promise<CallSnapshot>,
): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  /** The call `swap` or `call` moved to (the latest call otherwise). */
  let focus: string | undefined;
  rl.on('line', (line) => {
    const [typed = '', ...rest] = line.trim().split(/\s+/);
    // One letter does for the verbs a person at a ringing phone needs first (listen says so).
    const verb = typed === 'a' ? 'answer' : typed === 'd' ? 'decline' : typed === 'h' ? 'hangup' : typed;
    const arg = line.trim().slice(typed.length).trim();
    if (verb === '') return;
    const calls = phone.listCalls();
    const ringing = verb === 'answer' || verb === 'decline' ? calls.filter((c) => c.direction === 'incoming' && c.state === 'ringing').at(-1) : undefined;
    const call = ringing ?? calls.find((c) => c.id === focus) ?? calls.at(-1);
    /** The calls that are up (connected or held), oldest first. */
    const up = calls.filter((c) => c.state === 'connected' || c.state === 'held');
    const two = (what: string): [CallSnapshot, CallSnapshot] => {
      if (up.length !== 2) throw new Error(`${what} needs two calls that are up, not ${up.length}`);
      return [up[0], up[1]];
    };
    const run = async (): Promise<void> => {
      switch (verb) {
        case 'call': {
          if (!/^\S+$/.test(arg)) throw new Error('call wants one URI: call sip:carol@example.com');
          // The phone puts the connected call on hold before it places this one.
          focus = (await dial(arg)).id;
          return;
        }
        case 'swap': {
          const [a, b] = two('swap');
          const [from, to] = call?.id === b.id ? [b, a] : [a, b];
          if (from.state === 'connected') await phone.hold({ callId: from.id });
          if (to.heldBy === 'local' || to.heldBy === 'both') await phone.resume({ callId: to.id });
          focus = to.id;
          printer.event('swapped', { callId: to.id, peer: to.peer.uri }, `now with ${to.peer.uri}`);
          return;
        }
        case 'attended-transfer': {
          const [a, b] = two('attended-transfer');
          await phone.attendedTransfer({ callId: a.id, targetCallId: b.id });
          return;
        }
        case 'merge': {
          const [a, b] = two('merge');
          await phone.merge({ callIds: [a.id, b.id] });
          return;
        }
        case 'split': {
          const conf = phone.listConferences()[0];
          if (!conf) throw new Error('there is no conference');
          await phone.split({ conferenceId: conf.id });
          focus = conf.members[0];
          return;
        }
      }
      if (verb === 'accept-transfer' || verb === 'decline-transfer') {
        const asked = calls.find((c) => c.transfer?.role === 'transferee' && c.transfer.state === 'asking');
        if (!asked) throw new Error('no transfer request is waiting for an answer');
        phone.answerTransfer({ callId: asked.id, accept: verb === 'accept-transfer' });
        return;
      }
      if (!call) throw new Error('there is no call');
      const callId = call.id;
      switch (verb) {
        case 'transfer':
          if (!/^\S+$/.test(arg)) throw new Error('transfer wants one URI: transfer sip:carol@example.com');
          await phone.transfer({ callId, to: arg });
          return;
        case 'hold':
          await phone.hold({ callId });
          return;
        case 'resume':
          await phone.resume({ callId });
          return;
        case 'hangup':
          await phone.hangup({ callId });
          return;
        case 'answer':
          await phone.answer({ callId });
          return;
        case 'decline':
          phone.decline({ callId, status: rest[0] === '603' ? 603 : 486 });
          return;
        case 'dtmf':
          await phone.sendDtmf({ callId, digits: arg });
          printer.event('dtmf-sent', { callId, digits: arg }, `sent DTMF ${arg}`);
          return;
        case 'codecs':
          await phone.changeCodecs({ callId, codecs: parseCodecs(arg) ?? [] });
          return;
        case 'video':
        case 'camera': {
          if (arg !== 'on' && arg !== 'off') throw new Error(`${verb} wants on or off`);
          if (verb === 'video') await phone.setVideo({ callId, on: arg === 'on' });
          else await phone.setCamera({ callId, on: arg === 'on' });
          return;
        }
        case 'message':
          await message(call.peer.uri, arg);
          return;
        default:
          throw new Error(
            `unknown command '${verb}' (hold, resume, hangup, answer, decline, dtmf, codecs, video on|off, camera on|off, message, transfer, call, swap, attended-transfer, merge, split, accept-transfer, decline-transfer)`,
          );
      }
    };
    run().catch((err: unknown) => {
      printer.event('command-failed', { command: verb, error: (err as Error).message });
      printer.error(`${verb}: ${(err as Error).message}\n`);
    });
  });
  return () => rl.close();
}
