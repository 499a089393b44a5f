import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMetadata } from '#core/scan/zimbra-metadata.ts';
import { type ImportedItem, readZimbraArchive } from '#test/support/zimbra-archive-reader.ts';

// A stand-in for a Zimbra server's admin SOAP and REST import, on loopback, enforcing the contract our
// client must keep: JSON SOAP AuthRequest (admin name and password) and DelegateAuthRequest (the admin token
// in the SOAP header's context), /service/preauth (HMAC-SHA1 of account|by|expires|timestamp), and
// POST /service/home/<account>/?fmt=tgz&resolve=… with the account's token in the ZM_AUTH_TOKEN cookie and a
// gzip body, which it parses as the import would (the reader written from ArchiveFormatter) and files with
// the resolve mode's rules for what is already there. No Zimbra runs here: this is the contract, not Zimbra.

export interface StubMailbox {
  folders: Map<string, { view?: number; color?: number }>;
  tags: Set<string>;
  messages: { folder: string; digest: string; flags: number; tags: string[]; size: number }[];
  contacts: { folder: string; emails: string[] }[];
  calendar: Map<string, { folder: string; type: number; invites: number }>;
  documents: Map<string, number[]>;
  notes: string[];
  imports: number;
}

export interface ZimbraStub {
  port: number;
  mailboxes: Map<string, StubMailbox>;
  /** Requests seen, for assertions on what the client sent (never the body). */
  requests: { method: string; path: string; contentType?: string }[];
  close(): Promise<void>;
}

const RESOLVE = new Set(['skip', 'modify', 'replace', 'reset']);

export async function startZimbraStub(o: {
  admin: string;
  password: string;
  /** The accounts the server has; `any` makes a mailbox for whichever account is asked for. */
  accounts: string[] | 'any';
  preauthKey?: string;
}): Promise<ZimbraStub> {
  const adminTokens = new Set<string>();
  const accountTokens = new Map<string, string>();
  const mailboxes = new Map<string, StubMailbox>(
    o.accounts === 'any' ? [] : o.accounts.map((a) => [a, emptyMailbox()]),
  );
  const exists = (account: string) => {
    if (o.accounts === 'any' && /^[^@\s]+@[^@\s]+$/.test(account) && !mailboxes.has(account))
      mailboxes.set(account, emptyMailbox());
    return mailboxes.has(account);
  };
  const requests: ZimbraStub['requests'] = [];
  const token = () => `0_${randomBytes(16).toString('hex')}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
    });
    const body = await readBody(req);
    if (req.method === 'POST' && url.pathname === '/service/admin/soap') {
      let envelope: {
        Header?: { context?: { authToken?: string } };
        Body?: Record<string, Record<string, unknown>>;
      };
      try {
        envelope = JSON.parse(body.toString('utf8'));
      } catch {
        return fault(res, 'soap:Client', 'invalid JSON', 'service.PARSE_ERROR');
      }
      const [name, request] = Object.entries(envelope.Body ?? {})[0] ?? [];
      if (name === 'AuthRequest') {
        if (request?._jsns !== 'urn:zimbraAdmin')
          return fault(res, 'soap:Client', 'unknown namespace', 'service.UNKNOWN_DOCUMENT');
        if (request.name !== o.admin || request.password !== o.password)
          return fault(
            res,
            'soap:Sender',
            `authentication failed for [${String(request.name)}]`,
            'account.AUTH_FAILED',
          );
        const t = token();
        adminTokens.add(t);
        return json(res, 200, {
          Body: { AuthResponse: { authToken: [{ _content: t }], lifetime: 43_200_000 } },
        });
      }
      if (name === 'DelegateAuthRequest') {
        if (!adminTokens.has(envelope.Header?.context?.authToken ?? ''))
          return fault(res, 'soap:Sender', 'no valid authtoken present', 'service.AUTH_REQUIRED');
        const account = (request?.account as { by?: string; _content?: string } | undefined)?._content ?? '';
        if (!exists(account))
          return fault(res, 'soap:Sender', `no such account: ${account}`, 'account.NO_SUCH_ACCOUNT');
        const t = token();
        accountTokens.set(t, account);
        return json(res, 200, {
          Body: { DelegateAuthResponse: { authToken: [{ _content: t }], lifetime: 3_600_000 } },
        });
      }
      return fault(res, 'soap:Client', `unknown document: ${String(name)}`, 'service.UNKNOWN_DOCUMENT');
    }
    if (req.method === 'GET' && url.pathname === '/service/preauth') {
      const q = url.searchParams;
      const account = q.get('account') ?? '';
      const expected =
        o.preauthKey &&
        createHmac('sha1', o.preauthKey)
          .update(`${account}|${q.get('by')}|${q.get('expires')}|${q.get('timestamp')}`)
          .digest('hex');
      if (!expected || q.get('preauth') !== expected || !exists(account))
        return text(res, 400, 'preauth failed');
      const t = token();
      accountTokens.set(t, account);
      res.setHeader('Set-Cookie', `ZM_AUTH_TOKEN=${t}; Path=/; HttpOnly`);
      return text(res, 302, '');
    }
    const home = /^\/service\/home\/([^/]+)\/?$/.exec(url.pathname);
    if (req.method === 'POST' && home) {
      const account = decodeURIComponent(home[1] ?? '');
      const cookie = /(?:^|;\s*)ZM_AUTH_TOKEN=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (!cookie || !accountTokens.has(cookie)) return text(res, 401, 'must authenticate');
      if (accountTokens.get(cookie) !== account) return text(res, 403, 'permission denied');
      const mailbox = mailboxes.get(account);
      if (!mailbox) return text(res, 404, 'no such account');
      if (url.searchParams.get('fmt') !== 'tgz') return text(res, 400, 'unsupported format');
      const resolve = url.searchParams.get('resolve') ?? 'skip';
      if (!RESOLVE.has(resolve)) return text(res, 500, `No enum constant Resolve.${resolve}`);
      if (
        !/^application\/(x-compressed-tar|x-gzip|gzip|octet-stream)$/.test(req.headers['content-type'] ?? '')
      )
        return text(res, 415, `unsupported content type ${req.headers['content-type']}`);
      let read: ReturnType<typeof readZimbraArchive>;
      try {
        read = readZimbraArchive(body);
      } catch (error) {
        return text(res, 400, `invalid format: ${(error as Error).message}`);
      }
      if (read.errors.length > 0) return text(res, 500, read.errors.join('\n'));
      fileItems(mailbox, read.items, resolve);
      mailbox.imports++;
      return text(res, 200, '');
    }
    return text(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => text(res, 500, error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mailboxes,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function emptyMailbox(): StubMailbox {
  return {
    folders: new Map([['/', {}]]),
    tags: new Set(),
    messages: [],
    contacts: [],
    calendar: new Map(),
    documents: new Map(),
    notes: [],
    imports: 0,
  };
}

/** ArchiveFormatter.addItem's rules for what exists, per kind (skip keeps it, replace/reset put the new one). */
function fileItems(mailbox: StubMailbox, items: ImportedItem[], resolve: string): void {
  if (resolve === 'reset') {
    const fresh = emptyMailbox();
    Object.assign(mailbox, { ...fresh, imports: mailbox.imports });
  }
  const folderOf = (path: string) => path.replace(/\/$/, '') || '/';
  const ensure = (path: string) => {
    let at = '';
    for (const part of path.split('/').filter(Boolean)) {
      at += `/${part}`;
      if (!mailbox.folders.has(at)) mailbox.folders.set(at, {});
    }
  };
  for (const { item, body } of items) {
    const meta = item.metadata ? (decodeMetadata(item.metadata) as Record<string, unknown>) : {};
    switch (item.type) {
      case 1: {
        if (mailbox.folders.has(item.path) && resolve === 'skip') break;
        ensure(item.path);
        mailbox.folders.set(item.path, {
          ...(typeof meta.vt === 'number' ? { view: meta.vt } : {}),
          ...(typeof meta.c === 'number' ? { color: meta.c } : {}),
        });
        break;
      }
      case 3:
        mailbox.tags.add(item.name);
        break;
      case 5: {
        const folder = folderOf(item.path);
        ensure(folder);
        const same = mailbox.messages.findIndex((m) => m.folder === folder && m.digest === item.blobDigest);
        if (same >= 0 && resolve !== 'replace') break;
        if (same >= 0) mailbox.messages.splice(same, 1);
        for (const tag of item.tags) mailbox.tags.add(tag);
        mailbox.messages.push({
          folder,
          digest: item.blobDigest ?? '',
          flags: item.flagBits,
          tags: item.tags,
          size: body?.size ?? 0,
        });
        break;
      }
      case 6: {
        const folder = folderOf(item.path);
        const fields = (meta.fld ?? {}) as Record<string, string>;
        const emails = Object.entries(fields)
          .filter(([k]) => /^email\d*$/.test(k))
          .map(([, v]) => v);
        const same = mailbox.contacts.findIndex(
          (c) => c.folder === folder && c.emails.some((e) => emails.includes(e)),
        );
        if (same >= 0 && resolve !== 'replace') break;
        if (same >= 0) mailbox.contacts.splice(same, 1);
        ensure(folder);
        mailbox.contacts.push({ folder, emails });
        break;
      }
      case 11:
      case 15: {
        const uid = String(meta.u ?? '');
        if (!('tzm' in meta) || !uid) throw new Error(`calendar item ${item.id} has no tzm or uid`);
        if (mailbox.calendar.has(uid) && resolve === 'skip') break;
        ensure(folderOf(item.path));
        mailbox.calendar.set(uid, { folder: folderOf(item.path), type: item.type, invites: Number(meta.nc) });
        break;
      }
      case 8:
      case 14: {
        const version = Number(meta.ver ?? 1);
        const versions = mailbox.documents.get(item.path) ?? [];
        if (versions.includes(version)) break;
        ensure(item.path.slice(0, item.path.lastIndexOf('/')));
        mailbox.documents.set(item.path, [...versions, version]);
        break;
      }
      case 9:
        if (mailbox.notes.includes(body?.data.toString('utf8') ?? '') && resolve === 'skip') break;
        mailbox.notes.push(body?.data.toString('utf8') ?? '');
        break;
      default:
        break;
    }
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function fault(res: ServerResponse, code: string, reason: string, error: string): void {
  json(res, 500, {
    Body: {
      Fault: {
        Code: { Value: code },
        Reason: { Text: reason },
        Detail: { Error: { Code: error, _jsns: 'urn:zimbra' } },
      },
    },
  });
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}
