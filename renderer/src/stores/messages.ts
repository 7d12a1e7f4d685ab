import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { ConversationSummary, MessageSnapshot } from '../../../main/contract/api.ts';
import { appel, call } from '../api.ts';
import { addressKey } from '../lib/uri.ts';
import { useAccountsStore } from './accounts.ts';

/** Instant messages (SIP MESSAGE): one conversation per peer, kept by the engine's store. */
export const useMessagesStore = defineStore('messages', () => {
  const conversations = ref<ConversationSummary[]>([]);
  /** The open conversation's peer and its messages, oldest first. */
  const peer = ref<string>();
  const thread = ref<MessageSnapshot[]>([]);

  const unread = computed(() => conversations.value.reduce((n, c) => n + c.unread, 0));

  async function loadConversations(): Promise<void> {
    conversations.value = await call('messages:conversations', undefined);
  }

  async function open(to: string): Promise<void> {
    peer.value = to;
    thread.value = [];
    const list = await call('messages:list', { peer: to });
    if (peer.value === to) thread.value = list;
    await markRead(to);
  }

  function close(): void {
    peer.value = undefined;
    thread.value = [];
  }

  async function markRead(to: string): Promise<void> {
    const c = conversations.value.find((x) => addressKey(x.peer) === addressKey(to));
    if (c && c.unread === 0) return;
    await call('messages:mark-read', { peer: to });
    if (c) c.unread = 0;
  }

  function applyToThread(m: MessageSnapshot): void {
    if (!peer.value || addressKey(m.peer) !== addressKey(peer.value)) return;
    const i = thread.value.findIndex((x) => x.id === m.id);
    if (i >= 0) thread.value[i] = m;
    else thread.value.push(m);
  }

  async function send(text: string): Promise<MessageSnapshot> {
    if (!peer.value) throw new Error('no conversation is open');
    const accountId = useAccountsStore().selected?.id;
    const snapshot = await call('message:send', { to: peer.value, text, ...(accountId ? { accountId } : {}) });
    applyToThread(snapshot);
    await loadConversations().catch(() => undefined);
    return snapshot;
  }

  function listen(): () => void {
    const api = appel();
    const offs = [
      api.on('message:received', (m) => {
        applyToThread(m);
        void loadConversations()
          .then(() => (peer.value && addressKey(m.peer) === addressKey(peer.value) ? markRead(peer.value) : undefined))
          .catch(() => undefined);
      }),
      api.on('message:state', applyToThread),
    ];
    return () => offs.forEach((off) => off());
  }

  return { conversations, peer, thread, unread, loadConversations, open, close, markRead, send, listen };
});
