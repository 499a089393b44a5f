// What search needs of a message: subject, sender and recipients from its header block (at most the first
// 64 KiB), and the names of its attachments from the headers of its MIME parts. RFC 2047 encoded words and
// RFC 2231 parameters are decoded, so a search for "Rechnung" finds =?utf-8?q?Rechnung?=.

const HEADER_LIMIT = 64 * 1024;
const FIELD_LIMIT = 256;
/** Parts' headers are looked for in this much of a message (attachments after it go unnamed). */
const PARTS_LIMIT = 64 * 1024 * 1024;
const MAX_ATTACHMENTS = 50;

export interface MessageSummary {
  subject?: string;
  from?: string;
  /** To and Cc, as written (decoded), comma-separated. */
  to?: string;
  /** File names of its parts (Content-Disposition filename, or Content-Type name), first seen first. */
  attachments?: string[];
}

export function summarizeMessage(content: Buffer): MessageSummary {
  const head = content.subarray(0, HEADER_LIMIT).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const summary: MessageSummary = {};
  const recipients: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = () => decodeWords(utf8(line.slice(colon + 1).trim()));
    if ((name === 'subject' || name === 'from') && summary[name] === undefined)
      summary[name] = value().slice(0, FIELD_LIMIT);
    else if (name === 'to' || name === 'cc') recipients.push(value());
  }
  if (recipients.length > 0) summary.to = recipients.join(', ').slice(0, FIELD_LIMIT * 4);
  const attachments = attachmentsOf(content);
  if (attachments.length > 0) summary.attachments = attachments;
  return summary;
}

/** The names of a message's attachments (its parts' file names), first seen first. */
export function attachmentsOf(content: Buffer): string[] {
  const text = content.subarray(0, PARTS_LIMIT).toString('latin1');
  const names: string[] = [];
  for (const match of text.matchAll(PART_HEADER)) {
    const name = fileNameOf((match[1] ?? '').replace(/\r?\n[ \t]+/g, ' '));
    if (name && !names.includes(name)) names.push(name);
    if (names.length >= MAX_ATTACHMENTS) break;
  }
  return names;
}

/** The hints of a summary that are there (an entity keeps no undefined fields). */
export function hintsOf(source: MessageSummary): MessageSummary {
  const hints: MessageSummary = {};
  if (source.subject !== undefined) hints.subject = source.subject;
  if (source.from !== undefined) hints.from = source.from;
  if (source.to !== undefined) hints.to = source.to;
  if (source.attachments !== undefined) hints.attachments = source.attachments;
  return hints;
}

/** Header bytes are usually UTF-8 even when unencoded; latin1 kept them byte for byte. */
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

/** A Content-Disposition or Content-Type header anywhere (a part's), with its folded lines. */
const PART_HEADER = /^content-(?:disposition|type)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/gim;

/** `filename` (or `name`) of a header's parameters: quoted or not, RFC 2231 (`*`, `*0*`…) or RFC 2047. */
function fileNameOf(header: string): string | undefined {
  const params = new Map<string, string>();
  const PARAM = /;\s*([A-Za-z0-9_.-]+(?:\*\d+)?\*?)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (const [, key, raw] of header.matchAll(PARAM))
    if (key && raw !== undefined)
      params.set(key.toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  for (const base of ['filename', 'name']) {
    const extended = rfc2231(params, base);
    if (extended) return extended.slice(0, FIELD_LIMIT);
    const plain = params.get(base);
    if (plain) return decodeWords(utf8(plain)).slice(0, FIELD_LIMIT);
  }
  return undefined;
}

/** An RFC 2231 parameter: `name*=charset'lang'%xx…`, or continued as `name*0*=…; name*1*=…`. */
function rfc2231(params: Map<string, string>, base: string): string | undefined {
  const parts: { value: string; encoded: boolean }[] = [];
  const single = params.get(`${base}*`);
  if (single !== undefined) parts.push({ value: single, encoded: true });
  else
    for (let i = 0; i < 100; i++) {
      const encoded = params.get(`${base}*${i}*`);
      const plain = params.get(`${base}*${i}`);
      if (encoded !== undefined) parts.push({ value: encoded, encoded: true });
      else if (plain !== undefined) parts.push({ value: plain, encoded: false });
      else break;
    }
  if (parts.length === 0) return undefined;
  let charset = 'utf-8';
  const bytes: number[] = [];
  parts.forEach(({ value, encoded }, i) => {
    let text = value;
    if (encoded && i === 0) {
      const [set, , rest] = value.split("'");
      if (rest !== undefined) {
        charset = set || charset;
        text = rest;
      }
    }
    const raw = encoded
      ? text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      : text;
    for (const c of raw) bytes.push(c.charCodeAt(0) & 0xff);
  });
  try {
    return new TextDecoder(charset.toLowerCase()).decode(Buffer.from(bytes));
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

const ENCODED_WORD = /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g;

function decodeWords(text: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(ENCODED_WORD, (word, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toLowerCase() === 'b'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9a-fA-F]{2})/g, (_, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              'latin1',
            );
      try {
        return new TextDecoder(charset.split('*')[0]?.toLowerCase() ?? 'utf-8').decode(bytes);
      } catch {
        return word; // an unknown charset: keep the word as written
      }
    });
}
