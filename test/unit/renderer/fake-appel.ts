/**
 * A stand-in for `window.appel` in happy-dom: answers each channel from a handler table, records
 * every request, and lets a test push engine events. Not a SIP peer: the UI's contract only.
 */
import type { ApiResult, AppelApi, Calls, Channel, EventName, Events } from '../../../renderer/src/api.ts';
import type { CallSnapshot } from '../../../main/contract/api.ts';
import type { ErrorCode } from '../../../main/contract/errors.ts';

/** A call as the engine would send it: an outgoing call to bob being dialled, unless `over` says more. */
export const callSnapshot = (over: Partial<CallSnapshot> = {}): CallSnapshot => ({
  id: 'c1',
  direction: 'outgoing',
  peer: { uri: 'sip:bob@lab.test' },
  state: 'dialing',
  srtp: false,
  startedAt: 1000,
  ...over,
});

type Handler<K extends Channel> = (req: Calls[K]['req']) => Calls[K]['res'] | Promise<Calls[K]['res']>;
export type FakeHandlers = { [K in Channel]?: Handler<K> };

export interface FakeAppel {
  api: AppelApi;
  requests: Array<{ channel: Channel; req: unknown }>;
  handlers: FakeHandlers;
  emit<K extends EventName>(event: K, payload: Events[K]): void;
  sent(channel: Channel): unknown[];
}

export function installFakeAppel(handlers: FakeHandlers = {}): FakeAppel {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const requests: FakeAppel['requests'] = [];
  const api: AppelApi = {
    async invoke(channel, req) {
      requests.push({ channel, req });
      const h = handlers[channel] as ((r: unknown) => unknown) | undefined;
      if (!h) return { ok: false, error: { code: 'unavailable', message: `${channel}: not in this fake` } } as ApiResult<never>;
      try {
        return { ok: true, value: (await h(req)) as never };
      } catch (err) {
        return { ok: false, error: { code: ((err as { code?: string }).code ?? 'failed') as ErrorCode, message: (err as Error).message } };
      }
    },
    on(event, cb) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb as (p: unknown) => void);
      return () => set.delete(cb as (p: unknown) => void);
    },
  };
  window.appel = api;
  return {
    api,
    requests,
    handlers,
    emit(event, payload) {
      for (const cb of listeners.get(event) ?? []) cb(payload);
    },
    sent: (channel) => requests.filter((r) => r.channel === channel).map((r) => r.req),
  };
}
