import { z } from 'zod';
import { SEARCH_TYPES, type SearchType } from '#core/control-api.ts';
import { ValidationError } from '#core/errors.ts';
import { bodiesOf } from '#core/index/index-entity.ts';
import { parseTime } from '#core/parse-time.ts';
import { parseOrThrow } from '#core/validation.ts';
import { listQuarantine } from '#functions/coherency/quarantine-records.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';
import { itemHistory } from '#functions/query/item-history.ts';
import { listAccounts, listDomains } from '#functions/query/list-accounts.ts';
import { listRestorePoints } from '#functions/query/list-restore-points.ts';
import { listScans } from '#functions/query/list-scans.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import { summarizeMailbox } from '#functions/query/mailbox-summary.ts';
import { listServers, resolveAccount } from '#functions/query/resolve-account.ts';
import { searchItems } from '#functions/query/search-items.ts';
import { uncertainAt } from '#functions/query/uncertain-marks.ts';
import { locateBodies } from '#functions/storage/body-store.ts';

const SERVER_POINTS = /^\/servers\/([A-Za-z0-9._-]{1,64})\/restore-points$/;
const SERVER_SCANS = /^\/servers\/([A-Za-z0-9._-]{1,64})\/scans$/;
const MAILBOX = /^\/mailboxes\/([^/]{1,320})(?:\/(items\/(\d{1,10})|search))?$/;

const flag = z.enum(['true', 'false']).optional();

/**
 * The catalog queries (read-only): restore points, scans, accounts, a mailbox as of T, one item's history, search.
 * Undefined when the path is not one of them. Times are ISO 8601, the Zimbra forms, or epoch ms; UTC unless
 * they carry an offset (the CLI converts from the operator's zone before asking).
 */
export async function queryRoute(table: string, request: ApiRequest): Promise<ApiResponse | undefined> {
  if (request.method !== 'GET') return undefined;
  const q = request.query;
  if (request.path === '/servers') return ok({ servers: await listServers(table) });
  if (request.path === '/quarantine') return ok({ quarantined: await listQuarantine(table) });
  const points = SERVER_POINTS.exec(request.path);
  if (points) {
    const from = time(q.from, 'from');
    const to = time(q.to, 'to');
    return ok(
      await listRestorePoints(table, points[1] as string, {
        ...(from !== undefined ? { from: new Date(from).toISOString() } : {}),
        ...(to !== undefined ? { to: new Date(to).toISOString() } : {}),
      }),
    );
  }
  const scans = SERVER_SCANS.exec(request.path);
  if (scans) {
    const scan = parseOrThrow(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,80}$/)
        .optional(),
      q.scan,
      'query parameter "scan"',
    );
    return ok({ scans: await listScans(table, scans[1] as string, scan) });
  }
  if (request.path === '/accounts') {
    const deleted = parseOrThrow(flag, q.deleted, 'query parameter "deleted"') === 'true';
    return ok({ accounts: await listAccounts(table, time(q.at, 'at') ?? Date.now(), deleted) });
  }
  if (request.path === '/domains')
    return ok({ domains: await listDomains(table, time(q.at, 'at') ?? Date.now()) });
  const mailbox = MAILBOX.exec(request.path);
  if (!mailbox) return undefined;
  const at = time(q.at, 'at') ?? Date.now();
  const ref = await resolveAccount(table, decodeURIComponent(mailbox[1] as string), at);
  if (mailbox[3] !== undefined) {
    const history = await itemHistory(table, ref, Number(mailbox[3]));
    // Where each body of the item lies, so that a reader with bucket access can fetch it (--dump-blob).
    const located = await locateBodies(
      table,
      history.flatMap((h) => bodiesOf(h.state).map((b) => b.sha256)),
    );
    return ok({ ...ref, itemId: Number(mailbox[3]), history, bodies: Object.fromEntries(located) });
  }
  if (mailbox[2] === 'search') {
    const folder = q.folder === undefined ? undefined : Number(q.folder);
    if (folder !== undefined && !Number.isInteger(folder))
      throw new ValidationError(
        `query parameter "folder" must be a folder id, not ${JSON.stringify(q.folder)}`,
      );
    const before = time(q.before, 'before');
    const after = time(q.after, 'after');
    const type = q.type ?? 'message';
    if (!(SEARCH_TYPES as readonly string[]).includes(type))
      throw new ValidationError(
        `query parameter "type" must be one of ${SEARCH_TYPES.join(', ')}, not ${JSON.stringify(type)}`,
      );
    const deleted = parseOrThrow(flag, q.deleted, 'query parameter "deleted"') === 'true';
    if (type !== 'message' && !deleted && (before !== undefined || after !== undefined))
      throw new ValidationError(
        'query parameters "before" and "after" are about when a message was received: with another type, use them with "deleted" only',
      );
    const items = await searchItems(table, ref, {
      at,
      type: type as SearchType,
      ...(folder !== undefined ? { folderId: folder } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.subject !== undefined ? { subject: q.subject } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.attachment !== undefined ? { attachment: q.attachment } : {}),
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
      deleted,
    });
    return ok({ ...ref, items });
  }
  const found = await mailboxAsOf(table, ref.serverId, ref.mailboxId, at);
  if (!found)
    return {
      status: 404,
      body: {
        error: 'MailboxNotFound',
        message: `mailbox ${ref.serverId}:${ref.mailboxId} did not exist at ${new Date(at).toISOString()}`,
      },
    };
  return ok({
    ...ref,
    at: new Date(at).toISOString(),
    accountId: found.mailbox.accountId,
    name: found.mailbox.renamedTo,
    folders: summarizeMailbox(found),
    uncertain: await uncertainAt(table, ref.serverId, ref.mailboxId, at),
    cost: { itemsRead: found.itemsRead, readUnits: found.readUnits },
  });
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(value);
  } catch (cause) {
    throw new ValidationError(`query parameter "${name}": ${(cause as Error).message}`, [], { cause });
  }
}
