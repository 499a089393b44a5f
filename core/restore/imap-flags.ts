import { FLAG } from '#core/mail-item.ts';

// Zimbra flag bits and tags as IMAP system flags and keywords (and Maildir's info letters), both ways, so a
// restore written to a mail server can be compared with the index.

const SYSTEM: [bit: number, flag: string, maildir: string][] = [
  [FLAG.draft, '\\Draft', 'D'],
  [FLAG.flagged, '\\Flagged', 'F'],
  [FLAG.forwarded, '$Forwarded', 'P'],
  [FLAG.replied, '\\Answered', 'R'],
  [FLAG.deleted, '\\Deleted', 'T'],
];

/** An IMAP keyword is an atom: tag names with other characters have them replaced by `_`. */
export function keywordOf(tag: string): string {
  return tag.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 128) || '_';
}

/** IMAP flags for a message: system flags (and \Seen unless unread), then its tags as keywords. */
export function imapFlagsOf(flags: number, tags: readonly string[]): string[] {
  const out = SYSTEM.filter(([bit, name]) => flags & bit && name.startsWith('\\')).map(([, name]) => name);
  if (!(flags & FLAG.unread)) out.push('\\Seen');
  if (flags & FLAG.forwarded) out.push('$Forwarded');
  return [...out.sort(), ...tags.map(keywordOf)];
}

/** Maildir info letters (ASCII order, as the spec requires). */
export function maildirLettersOf(flags: number): string {
  const letters = SYSTEM.filter(([bit]) => flags & bit).map(([, , letter]) => letter);
  if (!(flags & FLAG.unread)) letters.push('S');
  return letters.sort().join('');
}
