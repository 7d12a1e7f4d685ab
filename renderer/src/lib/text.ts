/** Text for matching: lower case, accents removed (`Élodie` → `elodie`). */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
