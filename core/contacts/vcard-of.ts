import { fold, text } from '#core/content-lines.ts';

// One folder of contacts as vCard 3.0 (RFC 2426), what address books and CardDAV servers import: the fields
// Zimbra names (ContactConstants) as their vCard properties, and every other field as X-ZIMBRA-<NAME> so
// that nothing the server kept is lost.

const PHONES: Record<string, string> = {
  workPhone: 'WORK,VOICE',
  workPhone2: 'WORK,VOICE',
  homePhone: 'HOME,VOICE',
  homePhone2: 'HOME,VOICE',
  mobilePhone: 'CELL',
  workFax: 'WORK,FAX',
  homeFax: 'HOME,FAX',
  otherFax: 'FAX',
  pager: 'PAGER',
  carPhone: 'CAR',
  companyPhone: 'WORK',
  assistantPhone: 'X-ASSISTANT',
  callbackPhone: 'X-CALLBACK',
  otherPhone: 'VOICE',
};
const ADDRESSES: Record<string, string> = { work: 'WORK', home: 'HOME', other: 'POSTAL' };
const URLS: Record<string, string> = { workURL: 'WORK', homeURL: 'HOME', otherURL: '' };
/** Fields written as properties of their own (the rest become X-ZIMBRA-…). */
const NAME_FIELDS = ['lastName', 'firstName', 'middleName', 'namePrefix', 'nameSuffix'];
const MAPPED = new Set([
  ...NAME_FIELDS,
  'fullName',
  'nickname',
  'company',
  'department',
  'jobTitle',
  'birthday',
  'notes',
  ...Object.keys(PHONES),
  ...Object.keys(URLS),
  ...Object.keys(ADDRESSES).flatMap((a) =>
    ['Street', 'City', 'State', 'PostalCode', 'Country'].map((p) => a + p),
  ),
]);

export function vcardOf(cards: { id: number; uid: string; fields: Record<string, string> }[]): {
  text: string;
  cards: number;
} {
  const lines: string[] = [];
  for (const { uid, fields } of cards) {
    const f = (name: string) => fields[name] ?? '';
    const emails = Object.keys(fields)
      .filter((k) => /^email\d*$/.test(k) && fields[k])
      .sort((a, b) => Number(a.slice(5) || 1) - Number(b.slice(5) || 1));
    const fullName =
      f('fullName') ||
      [f('namePrefix'), f('firstName'), f('middleName'), f('lastName'), f('nameSuffix')]
        .filter(Boolean)
        .join(' ') ||
      f('company') ||
      (emails[0] ? f(emails[0]) : '') ||
      f('fileAs');
    lines.push('BEGIN:VCARD', 'VERSION:3.0', `UID:${text(uid)}`, `FN:${text(fullName)}`);
    lines.push(`N:${NAME_FIELDS.map((n) => text(f(n))).join(';')}`);
    if (f('nickname')) lines.push(`NICKNAME:${text(f('nickname'))}`);
    for (const [i, e] of emails.entries())
      lines.push(`EMAIL;TYPE=INTERNET${i === 0 ? ',PREF' : ''}:${text(f(e))}`);
    if (f('company') || f('department')) lines.push(`ORG:${text(f('company'))};${text(f('department'))}`);
    if (f('jobTitle')) lines.push(`TITLE:${text(f('jobTitle'))}`);
    for (const [field, type] of Object.entries(PHONES))
      if (f(field)) lines.push(`TEL;TYPE=${type}:${text(f(field))}`);
    for (const [prefix, type] of Object.entries(ADDRESSES)) {
      const parts = ['Street', 'City', 'State', 'PostalCode', 'Country'].map((p) => f(prefix + p));
      if (parts.some(Boolean)) lines.push(`ADR;TYPE=${type}:;;${parts.map(text).join(';')}`);
    }
    for (const [field, type] of Object.entries(URLS))
      if (f(field)) lines.push(`URL${type ? `;TYPE=${type}` : ''}:${text(f(field))}`);
    if (f('birthday')) lines.push(`BDAY:${text(f('birthday'))}`);
    if (f('notes')) lines.push(`NOTE:${text(f('notes'))}`);
    for (const [name, value] of Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      if (!MAPPED.has(name) && !emails.includes(name) && value !== '')
        lines.push(`X-ZIMBRA-${name.toUpperCase().replace(/[^A-Z0-9-]/g, '-')}:${text(value)}`);
    lines.push('END:VCARD');
  }
  return { text: lines.length ? `${lines.map(fold).join('\r\n')}\r\n` : '', cards: cards.length };
}
