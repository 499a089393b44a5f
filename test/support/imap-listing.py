"""Lists an IMAP mailbox with Python's imaplib: folders, and per message its flags, SHA-256 and date.

Usage: imap-listing.py HOST PORT USER PASSWORD  (prints JSON: {folder: [{flags, sha256, size, internaldate}]})
"""
import hashlib
import imaplib
import json
import re
import sys



def decode_mutf7(name):
    """RFC 3501 5.1.3 modified UTF-7 to text, with Python's own UTF-7 codec (not the restore's encoder)."""
    out, i = [], 0
    while i < len(name):
        if name[i] == '&':
            end = name.index('-', i)
            chunk = name[i + 1:end]
            out.append('&' if chunk == '' else ('+' + chunk.replace(',', '/') + '-').encode().decode('utf-7'))
            i = end + 1
        else:
            out.append(name[i])
            i += 1
    return ''.join(out)


host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
imap = imaplib.IMAP4(host, port)
imap.login(user, password)
folders = {}
_, listing = imap.list()
for line in listing:
    match = re.match(rb'\((?P<attrs>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$', line)
    name = match.group('name').decode()
    if name.startswith('"'):
        name = name[1:-1].replace('\\"', '"').replace('\\\\', '\\')
    if b'\\Noselect' in match.group('attrs'):
        continue
    quoted = '"' + name.replace('\\', '\\\\').replace('"', '\\"') + '"'
    _, count = imap.select(quoted, readonly=True)
    data = imap.fetch('1:*', '(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])')[1] if int(count[0]) > 0 else []
    messages = []
    for part in data:
        if not isinstance(part, tuple):
            continue
        meta, body = part
        flags = re.search(rb'FLAGS \(([^)]*)\)', meta).group(1).decode().split()
        date = re.search(rb'INTERNALDATE "([^"]+)"', meta).group(1).decode()
        size = int(re.search(rb'RFC822.SIZE (\d+)', meta).group(1))
        messages.append({
            'flags': sorted(f for f in flags if f != '\\Recent'),
            'sha256': hashlib.sha256(body).hexdigest(),
            'size': size,
            'internaldate': date,
        })
    folders[decode_mutf7(name)] = messages
imap.logout()
print(json.dumps(folders))
