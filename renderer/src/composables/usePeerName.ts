import { useI18n } from 'vue-i18n';
import { useContactsStore } from '../stores/contacts.ts';
import { displayUri } from '../lib/uri.ts';

/** How to call a peer by name: the contact's name, else the display name they sent, else the address. */
export function usePeerName() {
  const contacts = useContactsStore();
  const { t } = useI18n();
  function peerName(uri: string | undefined, displayName?: string): string {
    if (!uri) return displayName || t('common.unknown');
    return contacts.findByUri(uri)?.displayName || displayName || displayUri(uri) || t('common.unknown');
  }
  return { peerName };
}
