/**
 * Every `ApiCalls` channel the phone engine serves, as handlers for `dispatch()`. The requests
 * reaching these have been validated (./validate.ts).
 */
import type { Phone } from '../phone/phone.ts';
import type { Handlers } from './dispatch.ts';

export function phoneHandlers(phone: Phone): Handlers {
  return {
    'account:add': (req) => phone.addAccount(req),
    'account:remove': (req) => phone.removeAccount(req.id),
    'account:list': () => phone.listAccounts(),
    'network:changed': () => phone.networkChanged(),
    'message:send': (req) => phone.sendMessage(req),
    'options:ping': (req) => phone.options(req),
    'call:dial': (req) => phone.dial(req),
    'call:answer': (req) => phone.answer(req),
    'call:decline': (req) => phone.decline(req),
    'call:hangup': (req) => phone.hangup(req),
    'call:hold': (req) => phone.hold(req),
    'call:resume': (req) => phone.resume(req),
    'call:dtmf': (req) => phone.sendDtmf(req),
    'call:codecs': (req) => phone.changeCodecs(req),
    'call:list': () => phone.listCalls(),
    'call:settings': (req) => phone.callSettings(req ?? {}),
    'call:transfer': (req) => phone.transfer(req),
    'call:attended-transfer': (req) => phone.attendedTransfer(req),
    'conference:merge': (req) => phone.merge(req),
    'conference:split': (req) => phone.split(req),
  };
}
