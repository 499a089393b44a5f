import { createHash } from 'node:crypto';

/** One object a CalDAV or CardDAV server stores as a resource of its own: its UID and its text. */
export interface DavObject {
  readonly uid: string;
  /** A safe resource name (the UID hashed: UIDs may hold `/`, `@` or anything else). */
  readonly name: string;
  readonly text: string;
}

const CRLF = '\r\n';
const PRODID = 'PRODID:-//offsite//restore//EN';

/** Logical lines (RFC 5545 §3.1: a line starting with a space or tab continues the one before), folding kept. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  for (const physical of text.split(/\r?\n/)) {
    if ((physical.startsWith(' ') || physical.startsWith('\t')) && lines.length > 0)
      lines[lines.length - 1] += `${CRLF}${physical}`;
    else if (physical !== '') lines.push(physical);
  }
  return lines;
}

const unfold = (line: string) => line.replace(/\r\n[ \t]/g, '');
const nameOf = (uid: string, ext: string) =>
  `${createHash('sha256').update(uid).digest('hex').slice(0, 40)}.${ext}`;

/**
 * Splits an iCalendar file into the objects a CalDAV server keeps one per resource (RFC 4791 §4.1): every
 * component with one UID (a recurring event and its moved or cancelled instances) together, with the
 * VTIMEZONEs they name. A component without a UID is refused by CalDAV servers: it is left out and counted.
 */
export function splitCalendar(text: string): { objects: DavObject[]; withoutUid: number } {
  const timezones = new Map<string, string[]>();
  const byUid = new Map<string, string[][]>();
  let withoutUid = 0;
  let block: string[] | undefined;
  let depth = 0;
  for (const line of logicalLines(text)) {
    const flat = unfold(line).trim();
    const begin = /^BEGIN:(\w[\w-]*)$/i.exec(flat)?.[1]?.toUpperCase();
    const end = /^END:(\w[\w-]*)$/i.exec(flat)?.[1]?.toUpperCase();
    if (begin) depth++;
    // Depth 2: a component directly inside VCALENDAR (VEVENT, VTODO, VJOURNAL, VTIMEZONE).
    if (begin && depth === 2) block = [];
    if (block && depth >= 2) block.push(line);
    if (end) {
      if (depth === 2 && block) {
        const kind = /^BEGIN:(\w[\w-]*)$/i.exec(unfold(block[0] ?? ''))?.[1]?.toUpperCase();
        const property = (name: string) =>
          block
            ?.map(unfold)
            .find((l) => l.toUpperCase().startsWith(`${name}:`) || l.toUpperCase().startsWith(`${name};`))
            ?.replace(/^[^:]*:/, '');
        if (kind === 'VTIMEZONE') {
          const tzid = property('TZID');
          if (tzid) timezones.set(tzid, block);
        } else {
          const uid = property('UID');
          if (uid) byUid.set(uid, [...(byUid.get(uid) ?? []), block]);
          else withoutUid++;
        }
        block = undefined;
      }
      depth--;
    }
  }
  const objects = [...byUid].map(([uid, components]) => {
    const lines = components.flat();
    const named = [...timezones].filter(([tzid]) =>
      lines.some((l) => unfold(l).includes(`TZID=${tzid}`) || unfold(l).includes(`TZID="${tzid}"`)),
    );
    const body = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      PRODID,
      ...named.flatMap(([, zone]) => zone),
      ...lines,
      'END:VCALENDAR',
    ];
    return { uid, name: nameOf(uid, 'ics'), text: `${body.join(CRLF)}${CRLF}` };
  });
  return { objects, withoutUid };
}

/** Splits a vCard file into its cards, each a resource of its own (RFC 6352 §5.1); a card without a UID too. */
export function splitVcards(text: string): { objects: DavObject[]; withoutUid: number } {
  const objects: DavObject[] = [];
  let withoutUid = 0;
  let card: string[] | undefined;
  for (const line of logicalLines(text)) {
    const flat = unfold(line).trim().toUpperCase();
    if (flat === 'BEGIN:VCARD') card = [];
    if (card) card.push(line);
    if (flat === 'END:VCARD' && card) {
      const uid = card
        .map(unfold)
        .find((l) => /^UID[:;]/i.test(l))
        ?.replace(/^[^:]*:/, '');
      if (uid) objects.push({ uid, name: nameOf(uid, 'vcf'), text: `${card.join(CRLF)}${CRLF}` });
      else withoutUid++;
      card = undefined;
    }
  }
  return { objects, withoutUid };
}
