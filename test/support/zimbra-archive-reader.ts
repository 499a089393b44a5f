import { gunzipSync } from 'node:zlib';

// A reader of `?fmt=tgz` archives written from Zimbra's import side, not from our writer: the tar dialect of
// com.zimbra.common.util.tar.TarInputStream (the 100-byte name field in UTF-8, GNU `././@LongLink` names; the
// ustar prefix and pax headers are not understood), the pairing rules of ArchiveFormatter.saveCallback (a
// `.meta` entry, then its body entry, checked for type and size), the required keys of ItemData(String) and
// Flag.toBitmask / ItemData.getTagNames for flags and tags. What the import would refuse is an error here.

export interface TarRecord {
  name: string;
  mode: number;
  size: number;
  mtimeMs: number;
  type: string;
  groupName: string;
  devMajor: number;
  data: Buffer;
}

export interface ImportedItem {
  /** The `.meta` entry's name. */
  metaEntry: string;
  meta: TarRecord;
  item: ItemDataRead;
  /** The body entry, when the item has one. */
  body?: TarRecord;
}

export interface ItemDataRead {
  id: number;
  type: number;
  parentId: number;
  folderId: number;
  date: number;
  size: number;
  blobDigest: string | null;
  unread: number;
  flags: number;
  subject: string;
  name: string;
  metadata: string;
  path: string;
  /** Flag.toBitmask(FlagStr), what the import applies. */
  flagBits: number;
  /** ArchiveFormatter.getTagNames, what the import applies. */
  tags: string[];
}

export interface ArchiveRead {
  items: ImportedItem[];
  /** Entries without a `.meta` in an archive with none (the import files them by extension). */
  data: TarRecord[];
  /** What the import would add to its error list (FormatterServiceException codes with the entry). */
  errors: string[];
}

/** Parses a gzipped archive the way the import does; throws where the import's tar reader would fail. */
export function readZimbraArchive(tgz: Buffer): ArchiveRead {
  const records = readTar(gunzipSync(tgz));
  const out: ArchiveRead = { items: [], data: [], errors: [] };
  let pending: { record: TarRecord; item: ItemDataRead } | undefined;
  let sawMeta = false;
  const add = (body: TarRecord | undefined) => {
    if (!pending) return;
    if (pending.item.blobDigest !== null && body === undefined)
      out.errors.push(`MISSING_BLOB ${pending.item.path}`);
    else
      out.items.push({
        metaEntry: pending.record.name,
        meta: pending.record,
        item: pending.item,
        ...(body ? { body } : {}),
      });
  };
  for (const record of records) {
    if (record.name.startsWith('__MACOSX/')) continue;
    if (record.name.endsWith('.meta')) {
      sawMeta = true;
      add(undefined);
      pending = undefined;
      try {
        pending = { record, item: parseItemData(record.data.toString('utf8')) };
      } catch (error) {
        out.errors.push(`INVALID_FORMAT ${record.name}: ${(error as Error).message}`);
      }
      continue;
    }
    if (record.name.endsWith('.err')) out.errors.push(`MISMATCHED_SIZE ${record.name}`);
    else if (!pending) {
      if (sawMeta) out.errors.push(`MISSING_META ${record.name}`);
      else out.data.push(record);
    } else if (
      (record.devMajor !== 0 && pending.item.type !== record.devMajor) ||
      (pending.item.blobDigest !== null && pending.item.size !== record.size)
    )
      out.errors.push(`MISMATCHED_META ${record.name}`);
    else add(record);
    pending = undefined;
  }
  add(undefined);
  return out;
}

/** Tar records as the old Ant reader sees them (regular entries only, GNU long names applied). */
export function readTar(tar: Buffer): TarRecord[] {
  const records: TarRecord[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
    if (sum !== octal(header, 148, 8)) throw new Error(`tar header at ${at}: bad checksum`);
    const size = octal(header, 124, 12);
    const data = tar.subarray(at + 512, at + 512 + size);
    if (data.length !== size) throw new Error(`tar entry at ${at}: truncated`);
    const type = String.fromCharCode(header[156] as number);
    const name = text(header, 0, 100);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L' && name === '././@LongLink') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    records.push({
      name: longName ?? name,
      mode: octal(header, 100, 8),
      size,
      mtimeMs: octal(header, 136, 12) * 1000,
      type,
      groupName: text(header, 297, 32),
      devMajor: octal(header, 329, 8),
      data: Buffer.from(data),
    });
    longName = undefined;
  }
  return records;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const digits = text(block, start, length).trim();
  return digits === '' ? 0 : Number.parseInt(digits, 8);
}

/** ItemData(String): the keys it reads with getInt/getLong are required, the rest default to "". */
export function parseItemData(encoded: string): ItemDataRead {
  const json = JSON.parse(encoded) as Record<string, unknown>;
  const int = (key: string): number => {
    const value = json[key];
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw new Error(`JSONObject["${key}"] not found`);
    return value;
  };
  const opt = (key: string): string => (typeof json[key] === 'string' ? (json[key] as string) : '');
  if (int('Ver') > 10) throw new Error('unsupported data version');
  for (const key of ['imap_id', 'mod_metadata', 'change_date', 'mod_content']) int(key);
  const digest = opt('blob_digest');
  const flagString = opt('FlagStr');
  return {
    id: int('id'),
    type: int('type'),
    parentId: int('parent_id'),
    folderId: int('folder_id'),
    date: int('date'),
    size: int('size'),
    blobDigest: digest === '' ? null : digest,
    unread: int('unread'),
    flags: int('flags'),
    subject: opt('subject'),
    name: opt('name'),
    metadata: opt('metadata'),
    path: opt('Path'),
    flagBits: flagBitmask(flagString),
    tags: tagNames(opt('TagNames') || opt('TagStr')),
  };
}

/** Flag.toBitmask: letters to bits (an unknown letter is ignored, as the server does). */
const LETTER_IDS: Record<string, number> = {
  s: -1,
  a: -2,
  r: -3,
  w: -4,
  f: -6,
  d: -7,
  x: -8,
  n: -9,
  u: -10,
  '!': -11,
  '?': -12,
  '/': -13,
  '(': -19,
  p: -15,
  t: -16,
  '+': -17,
  '^': -18,
  '*': -20,
  b: -21,
  '#': -22,
  i: -23,
  v: -24,
  y: -25,
  '~': -26,
  o: -27,
  '@': -28,
  g: -29,
};
function flagBitmask(letters: string): number {
  let bits = 0;
  for (const letter of letters) {
    const id = LETTER_IDS[letter];
    if (id !== undefined) bits |= 1 << (-id - 1);
  }
  return bits;
}

/** ItemData.getTagNames, quirk included: a string without `:` is one tag, taken as is (no unescaping). */
export function tagNames(serialized: string): string[] {
  if (serialized === '') return [];
  if (!serialized.includes(':')) return [serialized];
  const tags: string[] = [];
  let tag = '';
  let escaped = false;
  for (const c of `${serialized}:`) {
    if (escaped) {
      tag += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ':') {
      if (tag.length > 0) tags.push(tag);
      tag = '';
    } else tag += c;
  }
  return tags;
}
