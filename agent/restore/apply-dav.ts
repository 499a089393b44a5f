import { selectedAccounts } from '#agent/restore/apply-report.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { type DavObject, splitCalendar, splitVcards } from '#core/restore/dav-objects.ts';

export type DavKind = 'caldav' | 'carddav';

export interface DavTarget {
  readonly kind: DavKind;
  /** `https://host[:port]/base/` (`http://` only with `insecure`): each account's collections go under it. */
  readonly base: string;
  readonly user: string;
  readonly password: string;
}

export interface DavAccountReport {
  readonly account: string;
  readonly target: string;
  /** Calendars or address books (one per source folder). */
  readonly collections: number;
  readonly added: number;
  /** Already there (same resource name: the same UID): a re-run adds nothing. */
  readonly present: number;
  readonly withoutUid: number;
  readonly failed: { collection: string; uid: string; reason: string }[];
}

/**
 * `caldav://host[:port]/base` or `carddav://…`: HTTPS, or HTTP with `insecure` (a trusted network only); no
 * credentials in it.
 */
export function parseDavUrl(url: string, insecure: boolean): { kind: DavKind; base: string } {
  const match = /^(caldav|carddav):\/\/(.*)$/i.exec(url);
  if (!match)
    throw new RestoreTargetError(`not a CalDAV or CardDAV URL: ${url.replace(/\/\/[^@/]*@/, '//')}`);
  let parsed: URL;
  try {
    parsed = new URL(`${insecure ? 'http' : 'https'}://${match[2]}`);
  } catch {
    throw new RestoreTargetError(`not a CalDAV or CardDAV URL: ${url.replace(/\/\/[^@/]*@/, '//')}`);
  }
  if (parsed.username || parsed.password)
    throw new RestoreTargetError(
      'do not put credentials in the URL: use --user USER and --password-env VAR or --password-file FILE',
    );
  if (parsed.search || parsed.hash) throw new RestoreTargetError(`a DAV target takes no query: ${url}`);
  const base = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
  return { kind: (match[1] as string).toLowerCase() as DavKind, base };
}

/**
 * Writes each selected account's calendars (CalDAV) or address books (CardDAV): one collection per source
 * folder, `<base>/<account>/<folder name>/`, each event, task or card PUT once under a name derived from its
 * UID with `If-None-Match: *`, so a re-run (or a resumed one) adds nothing and never replaces what is there.
 */
export async function applyToDav(
  bundle: OpenBundle,
  target: DavTarget,
  options: { accounts?: readonly string[]; onObject?: () => void } = {},
): Promise<DavAccountReport[]> {
  const auth = `Basic ${Buffer.from(`${target.user}:${target.password}`).toString('base64')}`;
  const request = async (
    method: string,
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    try {
      return await fetch(url, {
        method,
        headers: { authorization: auth, ...headers },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (cause) {
      throw new RestoreTargetError(`cannot reach ${new URL(url).origin}: ${(cause as Error).message}`, {
        cause,
      });
    }
  };
  const reports: DavAccountReport[] = [];
  for (const [index] of selectedAccounts(bundle.accounts, options.accounts ?? [])) {
    const account = bundle.accounts[index] as OpenBundle['accounts'][number];
    const home = `${target.base}${encodeURIComponent(account.target)}/`;
    const report = {
      account: account.account.name,
      target: home,
      collections: 0,
      added: 0,
      present: 0,
      withoutUid: 0,
      failed: [] as DavAccountReport['failed'],
    };
    const files = target.kind === 'caldav' ? account.calendars : account.addressBooks;
    if (files.length > 0) await ensure(await request('MKCOL', home), home, 'the account home');
    for (const file of files) {
      const folder = account.folders.find((f) => f.id === file.folderId);
      const name = folder?.name ?? `folder-${file.folderId}`;
      const collection = `${home}${encodeURIComponent(name)}/`;
      // Made unless there already (servers answer a second MKCALENDAR with 405 or 409: asked first).
      const there = await request('PROPFIND', collection, undefined, { depth: '0' });
      await there.body?.cancel();
      if (there.status !== 207)
        await ensure(
          target.kind === 'caldav'
            ? await request('MKCALENDAR', collection, mkcalendarBody(name), {
                'content-type': 'application/xml',
              })
            : await request('MKCOL', collection, addressBookBody(name), {
                'content-type': 'application/xml',
              }),
          collection,
          target.kind === 'caldav' ? 'the calendar' : 'the address book',
        );
      report.collections++;
      const text = (await bundle.file(`accounts/${index}/${file.file}`, file.sha256)).toString('utf8');
      const { objects, withoutUid } = target.kind === 'caldav' ? splitCalendar(text) : splitVcards(text);
      report.withoutUid += withoutUid;
      for (const object of objects) {
        const outcome = await put(request, collection, object, target.kind);
        if (outcome === 'added') report.added++;
        else if (outcome === 'present') report.present++;
        else report.failed.push({ collection: name, uid: object.uid, reason: outcome.reason });
        options.onObject?.();
      }
    }
    reports.push(report);
  }
  return reports;
}

type Request = (
  method: string,
  url: string,
  body?: string,
  headers?: Record<string, string>,
) => Promise<Response>;

async function put(
  request: Request,
  collection: string,
  object: DavObject,
  kind: DavKind,
): Promise<'added' | 'present' | { reason: string }> {
  const response = await request('PUT', `${collection}${object.name}`, object.text, {
    'content-type': kind === 'caldav' ? 'text/calendar; charset=utf-8' : 'text/vcard; charset=utf-8',
    'if-none-match': '*',
  });
  await response.body?.cancel();
  if (response.status === 201 || response.status === 204) return 'added';
  if (response.status === 412) return 'present';
  return { reason: `HTTP ${response.status} ${response.statusText}` };
}

/** A collection made (201) or there already (405: MKCOL on an existing resource); anything else stops. */
async function ensure(response: Response, url: string, what: string): Promise<void> {
  await response.body?.cancel();
  if (response.status === 201 || response.status === 405) return;
  if (response.status === 401 || response.status === 403)
    throw new RestoreTargetError(
      `${new URL(url).origin} refused the credentials for ${what} (HTTP ${response.status}): check --user and the password`,
    );
  throw new RestoreTargetError(
    `cannot create ${what} ${url}: HTTP ${response.status} ${response.statusText}`,
  );
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function mkcalendarBody(name: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>${xml(name)}</D:displayname></D:prop></D:set>
</C:mkcalendar>`;
}

function addressBookBody(name: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>${xml(name)}</D:displayname>
  </D:prop></D:set>
</D:mkcol>`;
}
