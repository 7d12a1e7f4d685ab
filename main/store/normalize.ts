/**
 * Keys the store searches and groups by. Pure functions, no I/O.
 *
 * - `foldText`: names compared without case or accents ("Élodie" ~ "elodie").
 * - `numberDigits`, `queryDigits`, `peerKey`: the contract's (contract/address-key.ts), shared
 *   with the renderer so both sides match a peer to a contact the same way.
 */

/** Lower case without diacritics: NFKD splits "é" into "e" + U+0301, which is dropped. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

export { numberDigits, peerKey, queryDigits } from '../contract/address-key.ts';

/** A LIKE pattern that matches `text` anywhere, with `%`, `_` and `\` taken literally (ESCAPE '\'). */
export function likeAnywhere(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
