/** Times and durations as people read them, in the UI's language. Pure; `now` is injected. */

/** `75` → `1:15`, `3725` → `1:02:05`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Today: the time; this week: the weekday and time; older: the date. */
export function formatWhen(ms: number, locale: string, now: number): string {
  const d = new Date(ms);
  const today = new Date(now);
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(d);
  if (sameDay(d, today)) return time;
  const days = (today.getTime() - d.getTime()) / 86_400_000;
  if (days < 6 && days > 0) return `${new Intl.DateTimeFormat(locale, { weekday: 'long' }).format(d)} ${time}`;
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric' }).format(d);
}
