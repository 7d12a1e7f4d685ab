/** Dialogs (RFC 3261 §12): the public surface of this folder. */
export { Dialog, dialogIdOf, dialogKey } from './dialog.ts';
export type { DialogId, DialogInit, DialogRequestOptions, DialogState } from './dialog.ts';
