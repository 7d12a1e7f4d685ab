/**
 * Set-up that nothing on the first screen needs (issue 12, start-up): the call's microphone,
 * speaker and camera links, for instance. Run while the page mounts, it delays the moment the
 * dialpad can be used; run when the page is next idle (after the first screen is painted and the
 * engine's first answers are in), nobody notices.
 */

/** The latest a deferred set-up waits for an idle moment, ms. */
export const FIRST_SCREEN_IDLE_TIMEOUT_MS = 1000;

/**
 * Runs `start` once the page is idle (`requestIdleCallback`, at most `timeoutMs` later; a timer
 * where there is no such call). Returns the function that undoes it: it cancels `start` when that
 * has not run yet, else calls what `start` returned. Calling it again does nothing.
 */
export function afterFirstScreen(start: () => () => void, timeoutMs = FIRST_SCREEN_IDLE_TIMEOUT_MS): () => void {
  let undo: (() => void) | undefined;
  let over = false;
  const run = () => {
    if (!over) undo = start();
  };
  const idle = typeof requestIdleCallback === 'function';
  const handle = idle ? requestIdleCallback(run, { timeout: timeoutMs }) : setTimeout(run, 0);
  return () => {
    if (over) return;
    over = true;
    if (undo) undo();
    else if (idle) cancelIdleCallback(handle as number);
    else clearTimeout(handle);
  };
}
