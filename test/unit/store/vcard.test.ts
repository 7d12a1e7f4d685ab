/**
 * vCard (RFC 6350): folding, escaping and parameters; contacts out and back in; and cards shaped
 * like what Linphone, Thunderbird, Google Contacts, Apple and Android phones export.
 */
import { describe, expect, it } from 'vitest';
import { escapeText, foldLine, formatVCard, parseContentLine, parseVCards, splitValue, unescapeText } from '../../../main/store/vcard.ts';
import type { ContactInput } from '../../../main/contract/api.ts';
import { fakeClock, openStore } from './helpers.ts';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

describe('vCard text', () => {
  it('§3.4: escapes backslash, comma, semicolon and newlines, and reads them back', () => {
    const text = 'a,b;c\\d\ne\r\nf';
    expect(escapeText(text)).toBe('a\\,b\\;c\\\\d\\ne\\nf');
    expect(unescapeText(escapeText(text))).toBe('a,b;c\\d\ne\nf');
    expect(unescapeText('x\\Ny\\:z')).toBe('x\ny:z');
  });

  it('splits structured values at unescaped separators only', () => {
    expect(splitValue('Doe\\;Smith;John;;Dr.;', ';')).toEqual(['Doe\\;Smith', 'John', '', 'Dr.', '']);
    expect(splitValue('a\\,b,c', ',')).toEqual(['a\\,b', 'c']);
  });

  it('§3.2: folds at 75 octets without splitting a UTF-8 character, and unfolds back', () => {
    const name = 'Ŝtraße-Müller '.repeat(12) + 'Éloïse';
    const folded = foldLine(`FN:${escapeText(name)}`);
    const lines = folded.split('\r\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const [i, l] of lines.entries()) {
      expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
      if (i > 0) expect(l.startsWith(' ')).toBe(true);
      expect(Buffer.from(l).toString('utf8')).toBe(l); // no broken sequence
    }
    const [card] = parseVCards(`BEGIN:VCARD\r\n${folded}\r\nEND:VCARD\r\n`);
    expect(unescapeText(card.properties[0].value)).toBe(name);
  });

  it('unfolds a tab continuation and bare LF line ends', () => {
    const [card] = parseVCards('BEGIN:VCARD\nNOTE:one \n\ttwo\nEND:VCARD\n');
    expect(card.properties[0].value).toBe('one two');
  });

  it('reads groups, quoted parameter values, caret escapes (RFC 6868) and 2.1 bare types', () => {
    expect(parseContentLine('item1.TEL;TYPE="work,voice";PREF=1:+1 555')).toEqual({
      group: 'item1',
      name: 'TEL',
      params: { TYPE: ['work', 'voice'], PREF: ['1'] },
      value: '+1 555',
    });
    expect(parseContentLine('ADR;LABEL="Rue ^\'A^\'^n75000: Paris":;;Rue A')?.params.LABEL).toEqual(['Rue "A"\n75000: Paris']);
    expect(parseContentLine('TEL;CELL;VOICE:0612')?.params).toEqual({ TYPE: ['cell', 'voice'] });
    expect(parseContentLine('no colon here')).toBeUndefined();
  });

  it('decodes 2.1 quoted-printable values in their charset, with soft line breaks', () => {
    const [card] = parseVCards(
      crlf([
        'BEGIN:VCARD',
        'VERSION:2.1',
        'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lodie =C3=89lise =',
        '=C3=A0 Paris',
        'NOTE;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:caf=E9',
        'END:VCARD',
      ]),
    );
    expect(card.properties.map((p) => p.value)).toEqual(['2.1', 'Élodie Élise à Paris', 'café']);
  });

  it('writes quoted parameters where needed, CRLF line ends, and reads its own output back', () => {
    const text = formatVCard({
      properties: [
        { name: 'VERSION', params: {}, value: '4.0' },
        { name: 'ADR', params: { LABEL: ['a;b: "c"'] }, value: ';;x' },
      ],
    });
    expect(text).toBe('BEGIN:VCARD\r\nVERSION:4.0\r\nADR;LABEL="a;b: ^\'c^\'":;;x\r\nEND:VCARD\r\n');
    expect(parseVCards(text)[0].properties[1].params.LABEL).toEqual(['a;b: "c"']);
  });
});

describe('contacts as vCards', () => {
  const people: ContactInput[] = [
    {
      displayName: 'Dupont, Jean; "JD" \\ Sr.',
      favourite: true,
      notes: 'Line one, with comma; semicolon\nLine two \\ backslash\nÉté 2025 — ☎',
      addresses: [
        { uri: 'sip:jean@example.com', label: 'work' },
        { uri: 'sips:jean@secure.example.com;transport=tls', label: 'home' },
        { uri: 'tel:+33-1-23-45-67-89;ext=12', label: 'mobile' },
        { uri: 'tel:7042;phone-context=example.com', label: 'other' },
      ],
    },
    { displayName: 'Zoë', addresses: [{ uri: 'sip:zoe@example.org', label: 'other' }] },
  ];

  it('export writes vCard 4.0 with UID, FN, IMPP, TEL;VALUE=uri, NOTE, CATEGORIES, REV', () => {
    const store = openStore({ now: fakeClock(Date.UTC(2025, 2, 4, 5, 6, 7)).now });
    const jean = store.contacts.save(people[0]);
    const { text, count } = store.exportVCard([jean.id]);
    expect(count).toBe(1);
    expect(text.split('\r\n')).toEqual([
      'BEGIN:VCARD',
      'VERSION:4.0',
      `UID:urn:uuid:${jean.id}`,
      'FN:Dupont\\, Jean\\; "JD" \\\\ Sr.',
      'IMPP;TYPE=work:sip:jean@example.com',
      'IMPP;TYPE=home:sips:jean@secure.example.com;transport=tls',
      'TEL;VALUE=uri;TYPE=cell,voice:tel:+33-1-23-45-67-89;ext=12',
      'TEL;VALUE=uri:tel:7042;phone-context=example.com',
      'NOTE:Line one\\, with comma\\; semicolon\\nLine two \\\\ backslash\\nÉté 2025 ', // 74 octets: '—' takes 3
      ' — ☎',
      'CATEGORIES:favourites',
      'REV:20250304T050607Z',
      'END:VCARD',
      '',
    ]);
  });

  it('round trip: what is exported imports into another store as it was', () => {
    const from = openStore();
    const saved = people.map((p) => from.contacts.save(p));
    const { text } = from.exportVCard();
    const to = openStore();
    const result = to.importVCard(text);
    expect(result).toEqual({ imported: 2, ids: saved.map((c) => c.id), skipped: [], dropped: [] });
    const strip = ({ createdAt: _c, updatedAt: _u, ...rest }: { createdAt: number; updatedAt: number }) => rest;
    expect(to.contacts.list().map(strip)).toEqual(from.contacts.list().map(strip));
  });

  it('importing our own export again updates the same contacts instead of doubling them', () => {
    const store = openStore();
    const jean = store.contacts.save(people[0]);
    const { text } = store.exportVCard();
    store.contacts.save({ ...people[0], id: jean.id, displayName: 'Renamed since' });
    expect(store.importVCard(text).imported).toBe(1);
    expect(store.contacts.list().map((c) => c.displayName)).toEqual([people[0].displayName]);
  });

  it('an unknown id in the export is refused', () => {
    const store = openStore();
    expect(() => store.exportVCard(['nope'])).toThrow("id: no contact 'nope'");
  });
});

describe('real-world-shaped imports', () => {
  it('Linphone (4.0, IMPP sip:)', () => {
    const store = openStore();
    const r = store.importVCard(
      crlf(['BEGIN:VCARD', 'VERSION:4.0', 'FN:Pauline Dupont', 'IMPP:sip:pauline@sip.linphone.org', 'N:Dupont;Pauline;;;', 'END:VCARD']),
    );
    expect(r).toMatchObject({ imported: 1, skipped: [], dropped: [] });
    expect(store.contacts.list()[0]).toMatchObject({ displayName: 'Pauline Dupont', addresses: [{ uri: 'sip:pauline@sip.linphone.org', label: 'other' }] });
  });

  it('Thunderbird (4.0, numbers as text, escaped note, UID)', () => {
    const store = openStore();
    const r = store.importVCard(
      crlf([
        'BEGIN:VCARD',
        'VERSION:4.0',
        'EMAIL;PREF=1:john@example.com',
        'FN:John Smith',
        'N:Smith;John;;;',
        'TEL;TYPE=work;VALUE=TEXT:+1 (555) 010-2000',
        'TEL;TYPE=cell;VALUE=TEXT:555 010 3000',
        'NOTE:Met at FOSDEM\\, room H.1302\\; ask about SIP\\nsecond line',
        'UID:2e7f07a6-8e4a-4f0f-9b52-1e5d0c2b8f11',
        'END:VCARD',
      ]),
    );
    expect(r).toMatchObject({ imported: 1, ids: ['2e7f07a6-8e4a-4f0f-9b52-1e5d0c2b8f11'] });
    expect(store.contacts.get('2e7f07a6-8e4a-4f0f-9b52-1e5d0c2b8f11')).toMatchObject({
      displayName: 'John Smith',
      notes: 'Met at FOSDEM, room H.1302; ask about SIP\nsecond line',
      addresses: [
        { uri: 'tel:+1-(555)-010-2000', label: 'work' },
        { uri: 'tel:555-010-3000', label: 'mobile' },
      ],
    });
    // The number is found by its digits however it was written.
    expect(store.contacts.list({ text: '5550102000' })).toHaveLength(1);
  });

  it('Google Contacts (3.0, item groups with X-ABLabel, starred, contacts without a number skipped)', () => {
    const store = openStore();
    const r = store.importVCard(
      crlf([
        'BEGIN:VCARD',
        'VERSION:3.0',
        'FN:Marie Curie',
        'N:Curie;Marie;;;',
        'TEL;TYPE=CELL:+33 6 12 34 56 78',
        'item1.TEL:+33 1 44 27 00 00',
        'item1.X-ABLabel:Work',
        'item2.IMPP;X-SERVICE-TYPE=Skype:skype:marie.curie',
        'CATEGORIES:myContacts,starred',
        'END:VCARD',
        'BEGIN:VCARD',
        'VERSION:3.0',
        'FN:Only Email',
        'EMAIL;TYPE=INTERNET:only@example.com',
        'END:VCARD',
      ]),
    );
    expect(r.imported).toBe(1);
    expect(r.skipped).toEqual([{ card: 2, name: 'Only Email', reason: 'no sip:, sips: or tel: address' }]);
    expect(r.dropped).toEqual([{ card: 1, name: 'Marie Curie', reason: "the IMPP address 'skype:marie.curie' is not a sip:, sips: or tel: URI (left out)" }]);
    expect(store.contacts.list()[0]).toMatchObject({
      displayName: 'Marie Curie',
      favourite: true,
      addresses: [
        { uri: 'tel:+33-6-12-34-56-78', label: 'mobile' },
        { uri: 'tel:+33-1-44-27-00-00', label: 'work' },
      ],
    });
  });

  it('Apple (3.0, N only, _$!<Mobile>!$_ labels, X-FAVORITE)', () => {
    const store = openStore();
    store.importVCard(
      crlf(['BEGIN:VCARD', 'VERSION:3.0', 'N:Lovelace;Ada;King;Countess;', 'item1.TEL:+44 20 7946 0000', 'item1.X-ABLabel:_$!<Mobile>!$_', 'X-FAVORITE:1', 'END:VCARD']),
    );
    expect(store.contacts.list()[0]).toMatchObject({ displayName: 'Countess Ada King Lovelace', favourite: true, addresses: [{ uri: 'tel:+44-20-7946-0000', label: 'mobile' }] });
  });

  it('an Android phone (2.1, quoted-printable name, bare types, X-SIP)', () => {
    const store = openStore();
    const r = store.importVCard(
      crlf([
        'BEGIN:VCARD',
        'VERSION:2.1',
        'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lise;=C3=89lodie;;;',
        'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lodie =C3=89lise',
        'TEL;CELL:+33612345678',
        'TEL;HOME;VOICE:01 23 45 67 89',
        'TEL;WORK:1-800-FLOWERS',
        'X-SIP:elodie@sip.example.com',
        'END:VCARD',
      ]),
    );
    expect(r.dropped).toEqual([{ card: 1, name: 'Élodie Élise', reason: "the number '1-800-FLOWERS' cannot be dialled (left out)" }]);
    expect(store.contacts.list({ text: 'elodie' })[0]).toMatchObject({
      displayName: 'Élodie Élise',
      addresses: [
        { uri: 'tel:+33612345678', label: 'mobile' },
        { uri: 'tel:01-23-45-67-89', label: 'home' },
        { uri: 'sip:elodie@sip.example.com', label: 'other' },
      ],
    });
  });

  it('a card with a password in its SIP address keeps the address out, and the secret too', () => {
    const store = openStore();
    const r = store.importVCard(crlf(['BEGIN:VCARD', 'VERSION:4.0', 'FN:Leaky', 'IMPP:sip:leaky:hunter2@example.com', 'TEL:tel:+15550100', 'END:VCARD']));
    expect(r.imported).toBe(1);
    expect(r.dropped[0].reason).toMatch(/carries a password/);
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(store.contacts.list()[0].addresses).toEqual([{ uri: 'tel:+15550100', label: 'other' }]);
  });

  it('text without any card is refused in words', () => {
    const store = openStore();
    expect(() => store.importVCard('hello')).toThrow('text: no vCard in it (BEGIN:VCARD … END:VCARD)');
  });
});
