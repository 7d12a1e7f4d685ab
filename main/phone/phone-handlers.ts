/**
 * The API channels a phone serves by itself, as handlers for `dispatch()`: accounts kept in
 * memory, messages, OPTIONS and calls. The engine (engine.ts) serves these same handlers beside
 * the store's, replacing the account ones with those that also save the account. Requests reaching
 * them were checked with the contract's schemas.
 */
import type { ApiHandlers } from '../contract/api.ts';
import type { Phone } from './phone.ts';

export function phoneHandlers(phone: Phone): ApiHandlers {
  const { calls } = phone;
  return {
    'account:add': (req) => phone.addAccount(req),
    'account:remove': (req) => phone.accounts.remove(req.id),
    'account:list': () => phone.accounts.list(),
    'network:changed': () => phone.accounts.networkChanged(),
    'message:send': (req) => phone.messaging.send(req),
    'options:ping': (req) => phone.messaging.options(req),
    'call:dial': (req) => calls.dial(req),
    'call:answer': (req) => calls.answer(req),
    'call:decline': (req) => calls.decline(req),
    'call:hangup': (req) => calls.hangup(req),
    'call:hold': (req) => calls.hold(req),
    'call:record': (req) => calls.record(req),
    'call:resume': (req) => calls.resume(req),
    'call:dtmf': (req) => calls.sendDtmf(req),
    'call:codecs': (req) => calls.changeCodecs(req),
    'call:video': (req) => calls.setVideo(req),
    'call:camera': (req) => calls.setCamera(req),
    'call:list': () => calls.list(),
    'call:transfer': (req) => calls.transfer(req),
    'call:transfer-answer': (req) => calls.answerTransfer(req),
    'call:attended-transfer': (req) => calls.attendedTransfer(req),
    'conference:merge': (req) => calls.merge(req),
    'conference:split': (req) => calls.split(req),
    // The running phone only (auto-answer audio, say); in the app `settings:set` is the kept way.
    'call:settings': (req) => calls.settings(req ?? {}),
  };
}
