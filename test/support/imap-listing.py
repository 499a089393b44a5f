"""Lists an IMAP mailbox with Python's imaplib: folders, and per message its flags, SHA-256 and date.

Usage: imap-listing.py HOST PORT USER PASSWORD  (prints JSON: {folder: [{flags, sha256, size, internaldate}]})
"""
import hashlib
import imaplib
import json
import re
import sys

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
    folders[name] = messages
imap.logout()
print(json.dumps(folders))
