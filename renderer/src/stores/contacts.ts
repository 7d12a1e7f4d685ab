import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { ContactInput, ContactSnapshot, VCardImportResult } from '../../../main/contract/api.ts';
import { appel, call } from '../api.ts';
import { addressKey } from '../lib/uri.ts';
import { fold } from '../lib/text.ts';
import { numberDigits } from '../../../main/contract/address-key.ts';

const byName = (a: ContactSnapshot, b: ContactSnapshot) => a.displayName.localeCompare(b.displayName, undefined, { sensitivity: 'base' });

/**
 * The address book, kept by the engine's store. Search runs there too (names without case or
 * accents, numbers by their digits); `contacts:changed` keeps the list current.
 */
export const useContactsStore = defineStore('contacts', () => {
  const contacts = ref<ContactSnapshot[]>([]);
  const loaded = ref(false);
  const query = ref('');
  /** The store's matches for `query` (null while there is no query). */
  const results = ref<ContactSnapshot[] | null>(null);

  const visible = computed(() => (query.value.trim() && results.value ? results.value : contacts.value));
  const favourites = computed(() => contacts.value.filter((c) => c.favourite));
  const byAddress = computed(() => {
    const map = new Map<string, ContactSnapshot>();
    for (const c of contacts.value) for (const a of c.addresses) map.set(addressKey(a.uri), c);
    return map;
  });

  /** Numbers by their digits (`tel:+1-555-1234` and `sip:+15551234@pbx;user=phone`, RFC 3261 §19.1.6). */
  const byNumber = computed(() => {
    const map = new Map<string, ContactSnapshot>();
    for (const c of contacts.value) for (const a of c.addresses) {
      const digits = numberDigits(a.uri);
      if (digits && digits.length >= 3 && !map.has(digits)) map.set(digits, c);
    }
    return map;
  });

  /**
   * The contact an address belongs to, if any (a getter: lookups are state, not actions): the same
   * address as the engine's store matches it (user part by case, host without, RFC 3261 §19.1.4),
   * else the same telephone number.
   */
  const findByUri = computed(() => (uri: string): ContactSnapshot | undefined => {
    const found = byAddress.value.get(addressKey(uri));
    if (found) return found;
    const digits = numberDigits(uri);
    return digits && digits.length >= 3 ? byNumber.value.get(digits) : undefined;
  });
  /** The contact a typed name means (`bob` → Bob), when exactly one has that name. */
  const findByName = computed(() => (name: string): ContactSnapshot | undefined => {
    const key = fold(name.trim());
    const found = key ? contacts.value.filter((c) => fold(c.displayName.trim()) === key) : [];
    return found.length === 1 ? found[0] : undefined;
  });
  const byId = computed(() => (id: string): ContactSnapshot | undefined => contacts.value.find((c) => c.id === id));

  function upsert(list: ContactSnapshot[], c: ContactSnapshot): ContactSnapshot[] {
    const rest = list.filter((x) => x.id !== c.id);
    return [...rest, c].sort(byName);
  }

  async function load(): Promise<void> {
    contacts.value = (await call('contacts:list', undefined)).sort(byName);
    loaded.value = true;
    if (query.value.trim()) await search(query.value);
  }

  async function search(text: string): Promise<void> {
    query.value = text;
    if (!text.trim()) {
      results.value = null;
      return;
    }
    const found = await call('contacts:list', { text: text.trim() });
    // A later keystroke has its own answer coming: keep only the newest.
    if (query.value === text) results.value = found;
  }

  async function save(input: ContactInput): Promise<ContactSnapshot> {
    const saved = await call('contacts:save', input);
    contacts.value = upsert(contacts.value, saved);
    return saved;
  }

  async function remove(id: string): Promise<void> {
    await call('contacts:delete', { id });
    contacts.value = contacts.value.filter((c) => c.id !== id);
    if (results.value) results.value = results.value.filter((c) => c.id !== id);
  }

  async function setFavourite(id: string, favourite: boolean): Promise<void> {
    const saved = await call('contacts:favourite', { id, favourite });
    contacts.value = upsert(contacts.value, saved);
  }

  async function importVcard(text: string): Promise<VCardImportResult> {
    const result = await call('contacts:import-vcard', { text });
    await load();
    return result;
  }

  async function exportVcard(ids?: string[]): Promise<{ text: string; count: number }> {
    return call('contacts:export-vcard', ids ? { ids } : undefined);
  }

  function listen(): () => void {
    return appel().on('contacts:changed', (change) => {
      let list = contacts.value.filter((c) => !change.removed.includes(c.id));
      for (const c of change.saved) list = upsert(list, c);
      contacts.value = list;
      if (query.value.trim()) void search(query.value).catch(() => undefined);
    });
  }

  return { contacts, loaded, query, results, visible, favourites, byAddress, findByUri, findByName, byId, load, search, save, remove, setFavourite, importVcard, exportVcard, listen };
});
