/** The store's public face (DESIGN.md "store/"): phone/ and app/ import from here. */
export { Store, type StoreOptions, type OpenReport } from './store.ts';
export { StoreError, type StoreErrorCode } from './store-error.ts';
export { MemorySecretStore, EncryptedSecretStore, type SecretStore, type SecretCipher } from './secret-store.ts';
export { checkAddress } from './check-address.ts';
export { checkContact } from './contacts.ts';
export { checkHistoryFilter, INTERRUPTED_REASON, type HistoryStart, type HistoryEnd } from './history.ts';
export { DEFAULT_SETTINGS, applySettingsChange } from './settings-store.ts';
export { splitAccountConfig, mergeAccountUpdate, type StoredAccount, type StoredAccountConfig } from './accounts.ts';
export { LATEST_VERSION, MIGRATIONS } from './migrations.ts';
export { peerKey, foldText } from './normalize.ts';
