// Zimbra's `metadata` column: its own bencoding (com.zimbra.common.util.BEncoding). Maps are `d…e` with
// keys sorted, strings `<length>:<chars>` where the length counts UTF-16 code units (Java's
// String.length()), integers `i<n>e`, lists `l…e`. Contacts keep their fields in the map under `fld`.

export type MetadataValue = string | number | MetadataValue[] | { [key: string]: MetadataValue };

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
}

export function encodeMetadata(value: MetadataValue): string {
  if (typeof value === 'string') return `${value.length}:${value}`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new MetadataError(`not an integer: ${value}`);
    return `i${value}e`;
  }
  if (Array.isArray(value)) return `l${value.map(encodeMetadata).join('')}e`;
  const keys = Object.keys(value).sort();
  return `d${keys.map((k) => encodeMetadata(k) + encodeMetadata(value[k] as MetadataValue)).join('')}e`;
}

/** Parses a whole metadata string; anything malformed or trailing is an error (never a partial result). */
export function decodeMetadata(text: string): MetadataValue {
  let at = 0;
  const fail = (why: string): never => {
    throw new MetadataError(`metadata at ${at}: ${why}`);
  };
  const value = (): MetadataValue => {
    const c = text[at];
    if (c === undefined) return fail('ends early');
    if (c === 'i') {
      const end = text.indexOf('e', at);
      if (end < 0) return fail('unterminated integer');
      const digits = text.slice(at + 1, end);
      if (!/^-?\d{1,16}$/.test(digits)) return fail(`bad integer ${JSON.stringify(digits)}`);
      at = end + 1;
      return Number(digits);
    }
    if (c === 'l') {
      at++;
      const list: MetadataValue[] = [];
      while (text[at] !== 'e') list.push(value());
      at++;
      return list;
    }
    if (c === 'd') {
      at++;
      const map: Record<string, MetadataValue> = {};
      while (text[at] !== 'e') {
        const key = value();
        if (typeof key !== 'string') return fail('a map key is not a string');
        map[key] = value();
      }
      at++;
      return map;
    }
    const colon = text.indexOf(':', at);
    const digits = colon < 0 ? '' : text.slice(at, colon);
    if (!/^\d{1,9}$/.test(digits)) return fail(`unexpected ${JSON.stringify(c)}`);
    const length = Number(digits);
    if (colon + 1 + length > text.length) return fail('string runs past the end');
    at = colon + 1 + length;
    return text.slice(colon + 1, at);
  };
  const out = value();
  if (at !== text.length) fail('trailing characters');
  return out;
}

/** A contact's fields from its metadata (`fld`), as strings. */
/** An item's metadata column as a map (null or empty: an empty map); a MetadataError when it is not one. */
export function decodeMetadataMap(text: string | null): Record<string, MetadataValue> {
  const decoded = text ? decodeMetadata(text) : {};
  if (typeof decoded !== 'object' || Array.isArray(decoded)) throw new MetadataError('metadata is not a map');
  return decoded;
}

export function contactFieldsOf(metadata: string | null): Record<string, string> {
  if (!metadata) return {};
  const decoded = decodeMetadata(metadata);
  const fields = typeof decoded === 'object' && !Array.isArray(decoded) ? decoded.fld : undefined;
  if (fields === undefined) return {};
  if (typeof fields !== 'object' || Array.isArray(fields))
    throw new MetadataError('contact metadata: "fld" is not a map');
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}
