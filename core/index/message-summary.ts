// Subject and sender of a message, from its header block, for search. Only the headers are read (at most
// the first 64 KiB); RFC 2047 encoded words are decoded, so a search for "Rechnung" finds =?utf-8?q?Rechnung?=.

const HEADER_LIMIT = 64 * 1024;
const FIELD_LIMIT = 256;

export interface MessageSummary {
  subject?: string;
  from?: string;
}

export function summarizeMessage(content: Buffer): MessageSummary {
  const head = content.subarray(0, HEADER_LIMIT).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const summary: MessageSummary = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if ((name === 'subject' || name === 'from') && summary[name] === undefined) {
      // Header bytes are usually UTF-8 even when unencoded; latin1 kept them byte for byte.
      const raw = Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
      summary[name] = decodeWords(raw).slice(0, FIELD_LIMIT);
    }
  }
  return summary;
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
