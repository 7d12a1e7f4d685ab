/**
 * What the store says when it cannot do what it was asked, in words a person understands.
 * `code` lets the IPC layer map it to `{ ok: false, error: { code, message } }`.
 *
 * - `newer-schema`: the file was written by a newer Appel; it is left untouched.
 * - `corrupt`: the file could not be read as a database (it has been kept aside, see the message).
 * - `not-found`: no row with that id.
 * - `no-secret-storage`: the keychain cannot encrypt, so a password cannot be kept.
 */
import { AppelError, type ErrorCode } from '../contract/errors.ts';
export type StoreErrorCode = Extract<ErrorCode, 'newer-schema' | 'corrupt' | 'not-found' | 'no-secret-storage'>;

export class StoreError extends AppelError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}
