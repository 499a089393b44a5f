// Content lines as iCalendar (RFC 5545 §3.1) and vCard (RFC 2426/6350) write them: escaped TEXT values,
// quoted parameter values, and lines folded at 75 octets.

/** TEXT values escape backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11). */
export function text(value: string): string {
  return value.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
}

/** Parameter values are quoted when they hold a separator; a double quote cannot appear in one at all. */
export function paramValue(value: string): string {
  const clean = value.replace(/["\r\n]/g, '');
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

/** Lines longer than 75 octets are folded (CRLF and a space), never inside a UTF-8 character. */
export function fold(line: string): string {
  if (Buffer.byteLength(line) <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let bytes = 0;
  const limit = () => (parts.length === 0 ? 75 : 74);
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (bytes + size > limit()) {
      parts.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
