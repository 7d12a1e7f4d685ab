/**
 * From a validated request to the engine and back: the one function both UI boundaries use (the
 * WebSocket bridge here, Electron's IPC in main/app/). It never throws: every outcome is an
 * `ApiResult`, because a rejection crossing IPC keeps only its message (Electron docs, ipcMain).
 */
import type { ApiCalls, ApiResult } from '../contract/api.ts';
import { errorOf } from '../contract/errors.ts';
import { isChannel, validateRequest } from '../contract/schemas.ts';

export type Handler<K extends keyof ApiCalls> = (req: ApiCalls[K]['req']) => ApiCalls[K]['res'] | Promise<ApiCalls[K]['res']>;
export type Handlers = { [K in keyof ApiCalls]?: Handler<K> };


export async function dispatch(handlers: Handlers, channel: unknown, req: unknown): Promise<ApiResult<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { code: 'bad-request', message: `channel: unknown channel ${typeof channel === 'string' ? `'${channel.slice(0, 60)}'` : typeof channel}` } };
  }
  const problem = validateRequest(channel, req);
  if (problem) return { ok: false, error: { code: 'bad-request', message: problem } };
  const handler = handlers[channel] as ((r: unknown) => unknown) | undefined;
  if (!handler) return { ok: false, error: { code: 'unavailable', message: `${channel}: not available in this engine` } };
  try {
    const value = await handler(req === null ? undefined : req);
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    return { ok: false, error: errorOf(err) };
  }
}
