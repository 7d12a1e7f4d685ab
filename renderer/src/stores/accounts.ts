import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AccountConfig, AccountSnapshot, AccountUpdate } from '../../../main/contract/api.ts';
import { appel, call } from '../api.ts';
import { domainOf } from '../lib/uri.ts';

export interface AccountTest {
  running: boolean;
  /** The answer to our OPTIONS (`200 OK`), or what went wrong, in the engine's words. */
  status?: number;
  reason?: string;
  error?: string;
}

/** The SIP accounts and their registrations, as the engine reports them (`account:state`). */
export const useAccountsStore = defineStore('accounts', () => {
  const accounts = ref<AccountSnapshot[]>([]);
  const loaded = ref(false);
  /** The account new calls and messages go from (default: the first registered one). */
  const selectedId = ref<string>();
  const tests = ref<Record<string, AccountTest>>({});

  const selected = computed<AccountSnapshot | undefined>(
    () => accounts.value.find((a) => a.id === selectedId.value) ?? accounts.value.find((a) => a.state === 'registered') ?? accounts.value[0],
  );
  const domain = computed(() => (selected.value ? domainOf(selected.value.aor) : undefined));

  /** How many `account:state` events each account had (not state: only to tell what came first). */
  const heard = new Map<string, number>();

  function apply(snapshot: AccountSnapshot): void {
    const i = accounts.value.findIndex((a) => a.id === snapshot.id);
    if (i >= 0) accounts.value[i] = snapshot;
    else accounts.value.push(snapshot);
  }

  async function load(): Promise<void> {
    accounts.value = await call('account:list', undefined);
    loaded.value = true;
  }

  async function add(config: AccountConfig): Promise<AccountSnapshot> {
    const snapshot = await call('account:add', config);
    // The registration may already have reported a newer state: keep that one.
    if (!accounts.value.some((a) => a.id === snapshot.id)) apply(snapshot);
    return snapshot;
  }

  /**
   * Changes a saved account (the engine restarts its registration). On failure nothing changed:
   * the account stays as it was, and the error (ApiFailure, naming the field) is the caller's.
   */
  async function update(change: AccountUpdate): Promise<AccountSnapshot> {
    const since = heard.get(change.id) ?? 0;
    const snapshot = await call('account:update', change);
    const current = accounts.value.find((a) => a.id === change.id);
    // The new registration may already have reported a newer state than the answer's: keep that
    // state, with the answer's address and settings.
    if (current && (heard.get(change.id) ?? 0) !== since) apply({ ...current, aor: snapshot.aor, config: snapshot.config });
    else apply(snapshot);
    delete tests.value[change.id];
    return snapshot;
  }

  async function remove(id: string): Promise<void> {
    await call('account:remove', { id });
    accounts.value = accounts.value.filter((a) => a.id !== id);
    if (selectedId.value === id) selectedId.value = undefined;
    delete tests.value[id];
  }

  /** Asks the account's server whether it answers (OPTIONS to its domain). */
  async function test(id: string): Promise<AccountTest> {
    const account = accounts.value.find((a) => a.id === id);
    const domain = account && domainOf(account.aor);
    tests.value[id] = { running: true };
    let result: AccountTest;
    try {
      const answer = await call('options:ping', { accountId: id, to: `sip:${domain ?? ''}` });
      result = { running: false, status: answer.status, reason: answer.reason };
    } catch (err) {
      result = { running: false, error: (err as Error).message };
    }
    tests.value[id] = result;
    return result;
  }

  async function reRegister(): Promise<void> {
    await call('network:changed', undefined);
  }

  function select(id: string | undefined): void {
    selectedId.value = id;
  }

  /** Follows the engine's `account:state` events; returns the function that stops. */
  function listen(): () => void {
    return appel().on('account:state', (snapshot) => {
      heard.set(snapshot.id, (heard.get(snapshot.id) ?? 0) + 1);
      apply(snapshot);
    });
  }

  return { accounts, loaded, selectedId, tests, selected, domain, apply, load, add, update, remove, test, reRegister, select, listen };
});
