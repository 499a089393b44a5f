// IMAP's modified UTF-7 (RFC 3501 5.1.3), how mail servers name mailboxes on the wire and Dovecot names
// Maildir folders on disk: printable ASCII stands for itself, `&` is `&-`, anything else is `&`, the UTF-16
// code units in base64 (`,` for `/`, no padding), `-`.

export function encodeModifiedUtf7(name: string): string {
  let out = '';
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const units = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) units.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += `&${units.toString('base64').replace(/=+$/, '').replaceAll('/', ',')}-`;
    pending = '';
  };
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += c === '&' ? '&-' : c;
    } else pending += c;
  }
  flush();
  return out;
}
