import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { LdifError } from '#core/ldap/errors.ts';

// RFC 2849: a value is written as-is only when it is a SAFE-STRING; anything else goes base64 (`::`).
const UNSAFE = /[\0\n\r\u0080-\uffff]|^[ :<]| $/;
const LINE_WIDTH = 76;

/** Entries as LDIF content records (RFC 2849), values base64-encoded where the RFC requires. */
export function formatLdif(entries: Iterable<DirectoryEntry>): string {
  let text = '';
  let first = true;
  for (const entry of entries) {
    text += ldifRecord(entry, first);
    first = false;
  }
  return first ? '' : text + LDIF_END;
}

/**
 * One entry's content record as `formatLdif` writes it, for LDIF written an entry at a time: the first
 * record carries the version line, each later one the blank line before it, and `LDIF_END` follows the last.
 */
export function ldifRecord(entry: DirectoryEntry, first: boolean): string {
  const lines = [line('dn', entry.dn)];
  for (const [name, values] of Object.entries(entry.attributes))
    for (const value of values) lines.push(line(name, value));
  return (first ? 'version: 1\n\n' : '\n\n') + lines.join('\n');
}

export const LDIF_END = '\n';

function line(name: string, value: string): string {
  const text = UNSAFE.test(value)
    ? `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`
    : `${name}: ${value}`;
  return fold(text);
}

function fold(text: string): string {
  if (text.length <= LINE_WIDTH) return text;
  const parts = [text.slice(0, LINE_WIDTH)];
  for (let i = LINE_WIDTH; i < text.length; i += LINE_WIDTH - 1)
    parts.push(` ${text.slice(i, i + LINE_WIDTH - 1)}`);
  return parts.join('\n');
}

/**
 * Parses LDIF content records (the form `formatLdif` and `slapcat`/`ldapsearch -LLL` write): folded lines,
 * comments, base64 values. Change records and URL values (`:<`) are rejected, never half-read.
 */
export function parseLdif(text: string): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  let current: DirectoryEntry | undefined;
  let lineNo = 0;
  for (const { text: logical, line: at } of logicalLines(text)) {
    lineNo = at;
    if (logical === '') {
      if (current) entries.push(current);
      current = undefined;
      continue;
    }
    const colon = logical.indexOf(':');
    if (colon <= 0)
      throw new LdifError(`expected "name: value", found ${JSON.stringify(logical.slice(0, 40))}`, at);
    const name = logical.slice(0, colon);
    const value = decodeValue(logical.slice(colon + 1), at);
    if (!current) {
      if (name.toLowerCase() === 'version' && entries.length === 0) {
        if (value !== '1') throw new LdifError(`unsupported LDIF version ${value}`, at);
        continue;
      }
      if (name.toLowerCase() !== 'dn')
        throw new LdifError(`an entry must start with "dn:", found "${name}:"`, at);
      current = { dn: value, attributes: {} };
      continue;
    }
    if (name.toLowerCase() === 'changetype') throw new LdifError('change records are not accepted here', at);
    const key = Object.keys(current.attributes).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    const values = current.attributes[key] ?? [];
    values.push(value);
    current.attributes[key] = values;
  }
  if (current) entries.push(current);
  if (entries.length === 0 && text.trim() !== '' && !/^version:\s*1\s*$/m.test(text.trim()))
    throw new LdifError('no entries found', lineNo);
  return entries;
}

function decodeValue(rest: string, at: number): string {
  if (rest.startsWith(':')) {
    const b64 = rest.slice(1).trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new LdifError('invalid base64 value', at);
    return Buffer.from(b64, 'base64').toString('utf8');
  }
  if (rest.startsWith('<')) throw new LdifError('URL values (":<") are not accepted', at);
  return rest.replace(/^ +/, '');
}

function* logicalLines(text: string): Generator<{ text: string; line: number }> {
  const physical = text.split(/\r?\n/);
  let pending: { text: string; line: number } | undefined;
  let inComment = false;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] as string;
    if (raw.startsWith(' ') && (pending || inComment)) {
      if (pending) pending.text += raw.slice(1);
      continue;
    }
    if (pending) yield pending;
    pending = undefined;
    inComment = raw.startsWith('#');
    if (!inComment) pending = { text: raw, line: i + 1 };
  }
  if (pending) yield pending;
}
