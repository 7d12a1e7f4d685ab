/**
 * Passwords through Electron's `safeStorage` (the OS keychain holds the key: macOS Keychain,
 * Windows DPAPI, libsecret or KWallet on Linux), the ciphertext in the database's `secrets` table
 * (main/store/secret-store.ts). On Linux without a keyring Chromium falls back to `basic_text`, a
 * key compiled into the browser — no better than clear text — so that counts as no keychain:
 * passwords are then refused in words (the engine uses them for the session and says so).
 *
 * `safeStorage` is injected (main.ts passes Electron's), so this runs in plain Node with a fake.
 */
import type { SecretCipher, SecretStore, Store } from '../store/index.ts';

/** The parts of Electron's safeStorage we use. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown'. */
  getSelectedStorageBackend?(): string;
}

/** Why passwords cannot be kept safely here, in words; undefined when they can. Call after 'ready'. */
export function keychainProblem(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
    if (backend === 'basic_text') {
      return 'this Linux session has no keyring Appel can use (GNOME Keyring, KWallet or another Secret Service): passwords would be stored in a form anyone could read, so Appel does not keep them — enter them again after each start, or set up a keyring';
    }
  }
  if (!safeStorage.isEncryptionAvailable()) {
    return 'the system keychain is not available, so Appel does not keep passwords — enter them again after each start';
  }
  return undefined;
}

/** safeStorage as the store's SecretCipher: unavailable when `keychainProblem` says so. */
export function safeStorageCipher(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretCipher {
  return {
    isEncryptionAvailable: () => keychainProblem(safeStorage, platform) === undefined,
    encryptString: (plain) => safeStorage.encryptString(plain),
    decryptString: (cipher) => safeStorage.decryptString(Buffer.from(cipher)),
  };
}

/** The app's SecretStore: ciphertext in the database, key in the OS keychain. */
export function safeStorageSecrets(store: Store, safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretStore {
  return store.encryptedSecrets(safeStorageCipher(safeStorage, platform));
}
