/**
 * The last line of defence of a process that runs the engine (the CLI, the app's main process,
 * dev:web). Every handler of a request or response catches what it throws and answers; should
 * one still escape (a bug, not a plan), it is written down and the phone keeps running, since a
 * stopped phone misses every call that follows. Returns the function that removes the guard.
 */
export function guardProcess(log: (line: string) => void): () => void {
  const say = (kind: string, err: unknown): void => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    try {
      log(`appel: ${kind}, the phone goes on: ${text}`);
    } catch {
      // Nowhere to write: keep running all the same.
    }
  };
  const onException = (err: unknown): void => say('an unexpected error', err);
  const onRejection = (err: unknown): void => say('an unhandled rejection', err);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
