import { computed, customRef, ref } from 'vue';
import { defineStore } from 'pinia';
import type { HistoryEntry, HistoryFilter } from '../../../main/contract/api.ts';
import { RECORDING_PLAY_MAX_BYTES } from '../../../main/contract/values.ts';
import { ApiFailure, appel, call } from '../api.ts';

/** Base64 to bytes (the contract carries a recording's bytes as base64: JSON and IPC alike). */
function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const SEEN_AT_KEY = 'appel.history.seenAt';

export type HistoryKind = NonNullable<HistoryFilter['kind']>;

function fits(entry: HistoryEntry, kind: HistoryKind): boolean {
  if (kind === 'all') return true;
  if (kind === 'missed') return entry.direction === 'incoming' && entry.outcome === 'missed';
  return entry.direction === kind;
}

/** The call history, kept by the engine's store; `history:changed` keeps it current. */
export const useHistoryStore = defineStore('history', () => {
  const entries = ref<HistoryEntry[]>([]);
  const kind = ref<HistoryKind>('all');
  const loaded = ref(false);

  /**
   * When the person last looked at the history (kept by this window): the badge counts after it.
   * Read the first time it is needed (a missed call listed), not when the store is made: the page's
   * first read of its storage waits on the browser process, and the first screen does not need it.
   */
  const seenAt = customRef<number>((track, trigger) => {
    let at: number | undefined;
    return {
      get() {
        track();
        return (at ??= Number(globalThis.localStorage?.getItem(SEEN_AT_KEY) ?? 0) || 0);
      },
      set(next) {
        at = next;
        trigger();
      },
    };
  });
  const missed = computed(() => entries.value.filter((e) => e.outcome === 'missed' && e.startedAt > seenAt.value).length);

  function markSeen(at = Date.now()): void {
    seenAt.value = at;
    globalThis.localStorage?.setItem(SEEN_AT_KEY, String(at));
  }

  async function load(next: HistoryKind = kind.value): Promise<void> {
    kind.value = next;
    const list = await call('history:list', { kind: next, limit: 500 });
    if (kind.value === next) entries.value = list;
    loaded.value = true;
  }

  async function remove(id: number): Promise<void> {
    await call('history:delete', { id });
    entries.value = entries.value.filter((e) => e.id !== id);
  }

  async function clear(): Promise<void> {
    await call('history:clear', undefined);
    entries.value = [];
  }

  /**
   * The recording of entry `id` as a WAV Blob, fetched a piece at a time (`history:recording`:
   * the engine reads it from its recordings directory only). Rejects with the engine's ApiFailure
   * (its code says why: 'not-found' for a file that is gone).
   */
  async function recording(id: number): Promise<Blob> {
    const parts: Array<Uint8Array<ArrayBuffer>> = [];
    let offset = 0;
    let size = Infinity;
    while (offset < size) {
      const piece = await call('history:recording', { id, offset });
      const bytes = bytesOf(piece.data);
      // The file changed under us, or an answer that moves nothing: stop rather than loop.
      if ((size !== Infinity && piece.size !== size) || piece.size > RECORDING_PLAY_MAX_BYTES || (bytes.length === 0 && offset < piece.size)) {
        throw new ApiFailure('failed', 'the recording changed while it was read');
      }
      size = piece.size;
      parts.push(bytes);
      offset += bytes.length;
    }
    return new Blob(parts, { type: 'audio/wav' });
  }

  function listen(): () => void {
    return appel().on('history:changed', (change) => {
      if (change.cleared) entries.value = [];
      let list = entries.value.filter((e) => !change.removed.includes(e.id));
      for (const e of change.saved) {
        list = list.filter((x) => x.id !== e.id);
        if (fits(e, kind.value)) list.push(e);
      }
      entries.value = list.sort((a, b) => b.startedAt - a.startedAt);
    });
  }

  return { entries, kind, loaded, seenAt, missed, markSeen, load, remove, clear, recording, listen };
});
