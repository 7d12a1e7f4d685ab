/**
 * Contacts as vCards: what a card says about someone we can call, and back.
 *
 * Read: FN (else N, else ORG) for the name; TEL (a `tel:`/`sip:` URI with VALUE=uri, or a number
 * as text, as 3.0 and 2.1 write it), IMPP with a `sip:`/`sips:` URI (Linphone), X-SIP (older
 * address books) for the addresses, labelled from TYPE (or Apple/Google's `itemN.X-ABLabel`);
 * NOTE; favourite from X-FAVOURITE / X-FAVORITE or CATEGORIES holding "starred" (Google) or
 * "favourite(s)"/"favorite(s)"; UID, so importing our own export again updates instead of
 * duplicating.
 * Written: vCard 4.0 (RFC 6350) with UID, FN, TEL;VALUE=uri for `tel:`, IMPP for `sip:`/`sips:`,
 * NOTE, CATEGORIES:favourites, REV.
 */
import type { AddressLabel, ContactAddress, ContactSnapshot } from '../contract/api.ts';
import { checkAddress } from './check-address.ts';
import type { CheckedContact } from './contacts.ts';
import { peerKey } from './normalize.ts';
import { escapeText, formatVCard, splitValue, unescapeText, type VCard, type VCardProperty } from './vcard.ts';

export interface CardReading {
  /** Undefined when the card cannot make a contact: see `skipped`. */
  contact?: CheckedContact;
  name?: string;
  skipped?: string;
  /** What was left out of the card. */
  dropped: string[];
}

const FAVOURITE_CATEGORIES = new Set(['starred', 'favourite', 'favourites', 'favorite', 'favorites']);
const UID_SHAPE = /^[A-Za-z0-9._:@-]{1,200}$/;

function labelOf(p: VCardProperty, card: VCard): AddressLabel {
  const types = [...(p.params.TYPE ?? [])];
  if (p.group) {
    const ab = card.properties.find((q) => q.group === p.group && q.name === 'X-ABLABEL');
    if (ab) types.push(unescapeText(ab.value).replace(/^_\$!<(.*)>!\$_$/, '$1').toLowerCase());
  }
  if (types.some((t) => t === 'cell' || t === 'mobile' || t === 'iphone')) return 'mobile';
  if (types.includes('work')) return 'work';
  if (types.includes('home')) return 'home';
  return 'other';
}

/** A telephone number written as text (3.0/2.1: "+33 1 23 45 67 89") as a `tel:` URI (RFC 3966). */
function telFromText(text: string): string | undefined {
  const t = text.trim();
  if (!/^\+?[\d\s\-.()/]+$/.test(t) || !/\d/.test(t)) return undefined;
  const plus = t.startsWith('+');
  // RFC 3966 §5.1.1 allows '-', '.', '(' and ')' as visual separators; spaces and '/' are not.
  const number = t.replace(/[\s/]+/g, '-').replace(/^\+/, '').replace(/^-+|-+$/g, '');
  return `tel:${plus ? '+' : ''}${number}`;
}

function readAddress(p: VCardProperty): { uri?: string; problem?: string } {
  const raw = unescapeText(p.value).trim();
  if (raw === '') return {};
  const valueType = p.params.VALUE?.[0]?.toLowerCase();
  let uri: string | undefined;
  if (p.name === 'TEL') {
    uri = /^(tel|sips?):/i.test(raw) ? raw : valueType === 'uri' ? undefined : telFromText(raw);
    if (!uri) return { problem: `the number '${raw}' cannot be dialled (left out)` };
  } else if (p.name === 'X-SIP') {
    uri = /^sips?:/i.test(raw) ? raw : `sip:${raw}`;
  } else {
    if (!/^(sips?|tel):/i.test(raw)) return { problem: `the ${p.name} address '${raw}' is not a sip:, sips: or tel: URI (left out)` };
    uri = raw;
  }
  try {
    return { uri: checkAddress(uri) };
  } catch (err) {
    return { problem: `${(err as Error).message} (left out)` };
  }
}

function textOf(card: VCard, name: string): string | undefined {
  const p = card.properties.find((q) => q.name === name);
  return p ? unescapeText(p.value).trim() : undefined;
}

/** N: family;given;additional;prefixes;suffixes (§6.2.2), as "prefixes given additional family suffixes". */
function nameFromN(value: string): string {
  const [family = '', given = '', additional = '', prefixes = '', suffixes = ''] = splitValue(value, ';').map((c) =>
    splitValue(c, ',').map(unescapeText).join(' ').trim(),
  );
  return [prefixes, given, additional, family, suffixes].filter(Boolean).join(' ');
}

/** What one card gives: a contact to write, or why not. */
export function cardToContact(card: VCard): CardReading {
  const dropped: string[] = [];
  const addresses: ContactAddress[] = [];
  const seen = new Set<string>();
  for (const p of card.properties) {
    if (p.name !== 'TEL' && p.name !== 'IMPP' && p.name !== 'X-SIP') continue;
    const { uri, problem } = readAddress(p);
    if (problem) dropped.push(problem);
    if (!uri || seen.has(peerKey(uri))) continue;
    seen.add(peerKey(uri));
    addresses.push({ uri, label: labelOf(p, card) });
  }
  const fn = textOf(card, 'FN');
  const n = card.properties.find((q) => q.name === 'N');
  const org = card.properties.find((q) => q.name === 'ORG');
  const name = fn || (n && nameFromN(n.value)) || (org && unescapeText(splitValue(org.value, ';')[0]).trim()) || undefined;
  if (addresses.length === 0) {
    return { ...(name ? { name } : {}), skipped: 'no sip:, sips: or tel: address', dropped };
  }
  const notes = card.properties
    .filter((q) => q.name === 'NOTE')
    .map((q) => unescapeText(q.value).trim())
    .filter(Boolean)
    .join('\n');
  const categories = card.properties.filter((q) => q.name === 'CATEGORIES').flatMap((q) => splitValue(q.value, ',').map((c) => unescapeText(c).trim().toLowerCase()));
  const flag = textOf(card, 'X-FAVOURITE') ?? textOf(card, 'X-FAVORITE');
  const favourite = categories.some((c) => FAVOURITE_CATEGORIES.has(c)) || (flag !== undefined && /^(1|true|yes)$/i.test(flag));
  const uid = textOf(card, 'UID')?.replace(/^urn:uuid:/i, '');
  const displayName = (name ?? addresses[0].uri).slice(0, 500);
  return {
    name: displayName,
    contact: {
      ...(uid && UID_SHAPE.test(uid) ? { id: uid } : {}),
      displayName,
      favourite,
      notes: notes.slice(0, 100_000),
      addresses: addresses.slice(0, 100),
    },
    dropped,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 6350 §6.7.4 REV as a UTC timestamp (basic format). */
function rev(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function contactToCard(c: ContactSnapshot): VCard {
  const props: VCardProperty[] = [
    { name: 'VERSION', params: {}, value: '4.0' },
    { name: 'UID', params: {}, value: UUID.test(c.id) ? `urn:uuid:${c.id}` : escapeText(c.id) },
    { name: 'FN', params: {}, value: escapeText(c.displayName) },
  ];
  for (const a of c.addresses) {
    const type = a.label === 'mobile' ? ['cell'] : a.label === 'other' ? [] : [a.label];
    if (a.uri.startsWith('tel:')) {
      props.push({ name: 'TEL', params: { VALUE: ['uri'], ...(type.length ? { TYPE: [...type, 'voice'] } : {}) }, value: a.uri });
    } else {
      props.push({ name: 'IMPP', params: type.length ? { TYPE: type } : {}, value: a.uri });
    }
  }
  if (c.notes) props.push({ name: 'NOTE', params: {}, value: escapeText(c.notes) });
  if (c.favourite) props.push({ name: 'CATEGORIES', params: {}, value: 'favourites' });
  props.push({ name: 'REV', params: {}, value: rev(c.updatedAt) });
  return { properties: props };
}

export function formatContacts(contacts: ContactSnapshot[]): string {
  return contacts.map((c) => formatVCard(contactToCard(c))).join('');
}
