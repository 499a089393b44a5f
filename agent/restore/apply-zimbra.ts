import { createHmac } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApplyAccountReport, type ApplyOptions, selectedAccounts } from '#agent/restore/apply-report.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { writeZimbraArchive } from '#agent/restore/zimbra-archive.ts';

// Restores accounts into a Zimbra server through its own import: each account's archive (`?fmt=tgz`, every
// item with its .meta) is POSTed to the REST service as that account. The operator authenticates once as an
// administrator (SOAP AuthRequest on the admin port), then each account is reached with a delegated token
// (DelegateAuthRequest); with a domain preauth key instead, each account's token comes from /service/preauth.
// HTTPS unless --insecure; the password and tokens never appear in an error.

export const RESOLVE_MODES = ['skip', 'modify', 'replace', 'reset'] as const;
export type ResolveMode = (typeof RESOLVE_MODES)[number];

export interface ZimbraTarget {
  host: string;
  /** The mailbox (REST) port: 443, or 80 with --insecure. */
  port: number;
  /** The admin SOAP port (7071). */
  adminPort: number;
  adminUser: string;
  /** The administrator's password (for delegated auth), or… */
  password?: string;
  /** …the domain's preauth key (zimbraPreAuthKey), which needs no administrator. */
  preauthKey?: string;
  /** What the import does with an item that is already there (ArchiveFormatter.Resolve); default skip. */
  resolve?: ResolveMode;
  /** Plain HTTP, for a server on a network the operator trusts. */
  insecure?: boolean;
  /** Where the per-account archives are written before upload (a private temporary directory by default). */
  workDir?: string;
}

/** `zimbra://admin@host[:port][?admin-port=7071]` → the target without secrets. */
export function parseZimbraUrl(
  url: string,
  insecure = false,
): Pick<ZimbraTarget, 'host' | 'port' | 'adminPort' | 'adminUser'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new RestoreTargetError(`${JSON.stringify(url)} is not a zimbra://admin@host[:port] URL`, { cause });
  }
  if (parsed.protocol !== 'zimbra:')
    throw new RestoreTargetError(`${JSON.stringify(url)} is not a zimbra://admin@host[:port] URL`);
  if (parsed.password)
    throw new RestoreTargetError(
      'a zimbra:// URL does not carry a password: use OFFSITE_ZIMBRA_PASSWORD, --password-env or --password-file',
    );
  const adminUser = decodeURIComponent(parsed.username);
  if (!adminUser || !parsed.hostname)
    throw new RestoreTargetError(`${url} names no administrator or host: zimbra://admin@host[:port]`);
  const adminPort = Number(parsed.searchParams.get('admin-port') ?? 7071);
  const port = Number(parsed.port || (insecure ? 80 : 443));
  for (const [what, value] of [
    ['port', port],
    ['admin-port', adminPort],
  ] as const)
    if (!Number.isInteger(value) || value < 1 || value > 65_535)
      throw new RestoreTargetError(`${url}: ${what} ${value} is not a port`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, adminPort, adminUser };
}

/** Applies each selected account of a bundle to a Zimbra server through its REST import. */
export async function applyToZimbra(
  bundle: OpenBundle,
  target: ZimbraTarget,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport[]> {
  const client = new ZimbraRestClient(target);
  const work = target.workDir ?? mkdtempSync(join(tmpdir(), 'offsite-zimbra-'));
  const reports: ApplyAccountReport[] = [];
  try {
    for (const [index, account] of selectedAccounts(bundle.accounts, options.accounts)) {
      const file = join(work, `${index}.tgz`);
      const report = await writeZimbraArchive(bundle, index, account, file, options);
      try {
        await client.importArchive(account.target, file);
      } finally {
        rmSync(file, { force: true });
      }
      reports.push(report);
    }
  } finally {
    if (!target.workDir) rmSync(work, { recursive: true, force: true });
  }
  return reports;
}

interface HttpReply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export class ZimbraRestClient {
  private adminToken: string | undefined;
  private readonly target: ZimbraTarget;

  constructor(target: ZimbraTarget) {
    if (!target.password && !target.preauthKey)
      throw new RestoreTargetError(
        "a Zimbra target needs the administrator's password (OFFSITE_ZIMBRA_PASSWORD) or a domain preauth key",
      );
    this.target = target;
  }

  /** POSTs one account's archive to its REST import; the server's answer decides success. */
  async importArchive(account: string, file: string): Promise<void> {
    const token = await this.accountToken(account);
    const resolve = this.target.resolve ?? 'skip';
    const path = `/service/home/${encodeURIComponent(account)}/?fmt=tgz&resolve=${resolve}`;
    const reply = await this.send(this.target.port, 'POST', path, {
      headers: {
        Cookie: `ZM_AUTH_TOKEN=${token}`,
        'Content-Type': 'application/x-compressed-tar',
        'Content-Length': String(statSync(file).size),
      },
      file,
    });
    if (reply.status >= 200 && reply.status < 300) return;
    throw new RestoreTargetError(
      `${this.where(this.target.port)} refused the import of ${account} (HTTP ${reply.status}): ${this.scrub(excerpt(reply.body))}`,
    );
  }

  /** A token that acts as `account`: delegated by the administrator, or from the domain's preauth key. */
  private async accountToken(account: string): Promise<string> {
    if (this.target.preauthKey) return this.preauth(account);
    const admin = await this.adminLogin();
    const reply = await this.soap(
      'DelegateAuthRequest',
      { account: { by: 'name', _content: account } },
      admin,
    );
    return tokenOf(reply, 'DelegateAuthResponse', `delegated login as ${account}`);
  }

  private async adminLogin(): Promise<string> {
    if (this.adminToken) return this.adminToken;
    const reply = await this.soap('AuthRequest', {
      name: this.target.adminUser,
      password: this.target.password ?? '',
    });
    this.adminToken = tokenOf(reply, 'AuthResponse', `administrator login as ${this.target.adminUser}`);
    return this.adminToken;
  }

  /** /service/preauth: HMAC-SHA1 over `account|by|expires|timestamp` with the domain key; the token is a cookie. */
  private async preauth(account: string): Promise<string> {
    const timestamp = String(Date.now());
    const mac = createHmac('sha1', this.target.preauthKey ?? '')
      .update(`${account}|name|0|${timestamp}`)
      .digest('hex');
    const query = new URLSearchParams({ account, by: 'name', timestamp, expires: '0', preauth: mac });
    const reply = await this.send(this.target.port, 'GET', `/service/preauth?${query}`, {});
    const cookie = [reply.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => /^ZM_AUTH_TOKEN=([^;]+)/.exec(c)?.[1])
      .find(Boolean);
    if (!cookie)
      throw new RestoreTargetError(
        `${this.where(this.target.port)} refused the preauth of ${account} (HTTP ${reply.status}): check the domain's preauth key`,
      );
    return cookie;
  }

  private async soap(request: string, body: Record<string, unknown>, authToken?: string): Promise<unknown> {
    const envelope = {
      Header: { context: { _jsns: 'urn:zimbra', ...(authToken ? { authToken } : {}) } },
      Body: { [request]: { _jsns: 'urn:zimbraAdmin', ...body } },
    };
    const payload = JSON.stringify(envelope);
    const reply = await this.send(this.target.adminPort, 'POST', '/service/admin/soap', {
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) },
      payload,
    });
    let json: unknown;
    try {
      json = JSON.parse(reply.body);
    } catch {
      throw new RestoreTargetError(
        `${this.where(this.target.adminPort)} answered ${request} with HTTP ${reply.status} and no SOAP: is it Zimbra's admin port?`,
      );
    }
    const fault = faultOf(json);
    if (fault)
      throw new RestoreTargetError(
        `${this.where(this.target.adminPort)} refused ${request}: ${this.scrub(fault)}`,
      );
    return json;
  }

  private send(
    port: number,
    method: string,
    path: string,
    o: { headers?: Record<string, string>; payload?: string; file?: string },
  ): Promise<HttpReply> {
    const request = this.target.insecure ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.target.host, port, method, path, headers: o.headers ?? {}, timeout: 600_000 },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            // Only the start of an answer is kept: enough for an error message.
            if (size < 65_536) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 10 minutes')));
      req.on('error', (cause) =>
        reject(new RestoreTargetError(`cannot reach ${this.where(port)}: ${cause.message}`, { cause })),
      );
      if (o.file) createReadStream(o.file).on('error', reject).pipe(req);
      else req.end(o.payload);
    });
  }

  /** What a server says goes into an error: never with a secret of ours in it, should it echo one. */
  private scrub(text: string): string {
    let out = text;
    for (const secret of [this.target.password, this.target.preauthKey, this.adminToken])
      if (secret) out = out.replaceAll(secret, '***');
    return out;
  }

  private where(port: number): string {
    return `${this.target.insecure ? 'http' : 'https'}://${this.target.host}:${port}`;
  }
}

/** The token of an AuthResponse or DelegateAuthResponse (a string, `{_content}` or a list of those). */
function tokenOf(reply: unknown, response: string, what: string): string {
  const body = (reply as { Body?: Record<string, { authToken?: unknown }> }).Body?.[response];
  const raw = body?.authToken;
  const first = Array.isArray(raw) ? raw[0] : raw;
  const token = typeof first === 'string' ? first : (first as { _content?: unknown } | undefined)?._content;
  if (typeof token !== 'string' || token === '')
    throw new RestoreTargetError(`${what}: the answer has no token`);
  return token;
}

/** A SOAP fault's reason and code, or undefined. */
function faultOf(reply: unknown): string | undefined {
  const fault = (reply as { Body?: { Fault?: Record<string, unknown> } }).Body?.Fault;
  if (!fault) return undefined;
  const reason = (fault.Reason as { Text?: unknown } | undefined)?.Text;
  const code = (fault.Detail as { Error?: { Code?: unknown } } | undefined)?.Error?.Code;
  return `${typeof reason === 'string' ? reason : 'a SOAP fault'}${typeof code === 'string' ? ` (${code})` : ''}`;
}

function excerpt(body: string): string {
  const text = body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || 'no detail';
}
