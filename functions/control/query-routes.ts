import { z } from 'zod';
import { SEARCH_TYPES, type SearchType } from '#core/control-api.ts';
import { ValidationError } from '#core/errors.ts';
import { bodiesOf } from '#core/index/index-entity.ts';
import { parseTime } from '#core/parse-time.ts';
import { parseOrThrow } from '#core/validation.ts';
import { listQuarantine } from '#functions/coherency/quarantine-records.ts';
import { ok, type RouteContext, type RouteHandlers } from '#functions/control/route-context.ts';
import { itemHistory } from '#functions/query/item-history.ts';
import { listAccounts, listDomains } from '#functions/query/list-accounts.ts';
import { listScans } from '#functions/query/list-scans.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import { summarizeMailbox } from '#functions/query/mailbox-summary.ts';
import { listServers, resolveAccount } from '#functions/query/resolve-account.ts';
import { searchItems } from '#functions/query/search-items.ts';
import { uncertainAt } from '#functions/query/uncertain-marks.ts';
import { locateBodies } from '#functions/storage/body-store.ts';

const flag = z.enum(['true', 'false']).optional();
const scanIdQuery = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,80}$/)
  .optional();

type Query = RouteContext<{ readonly indexTable: string }>;
const param = (c: Query, name: string) => c.params[name] as string;

/**
 * The catalog queries (read-only): scans, accounts, a mailbox as of T, one item's history, search.
 * Times are ISO 8601, the Zimbra forms, or epoch ms; UTC unless they carry an offset (the CLI converts from the
 * operator's zone before asking).
 */
export const QUERY_ROUTES: RouteHandlers<{ readonly indexTable: string }> = {
  servers: async (c) => ok({ servers: await listServers(c.config.indexTable) }),
  quarantine: async (c) => ok({ quarantined: await listQuarantine(c.config.indexTable) }),
  scans: async (c) => {
    const scan = parseOrThrow(scanIdQuery, c.request.query.scan, 'query parameter "scan"');
    return ok({ scans: await listScans(c.config.indexTable, param(c, 'serverId'), scan) });
  },
  accounts: async (c) => {
    const q = c.request.query;
    const deleted = parseOrThrow(flag, q.deleted, 'query parameter "deleted"') === 'true';
    return ok({ accounts: await listAccounts(c.config.indexTable, time(q.at, 'at') ?? Date.now(), deleted) });
  },
  domains: async (c) =>
    ok({ domains: await listDomains(c.config.indexTable, time(c.request.query.at, 'at') ?? Date.now()) }),
  item: async (c) => {
    const table = c.config.indexTable;
    const ref = await resolveAccount(
      table,
      param(c, 'account'),
      time(c.request.query.at, 'at') ?? Date.now(),
    );
    const itemId = Number(param(c, 'itemId'));
    const history = await itemHistory(table, ref, itemId);
    // Where each body of the item lies, so that a reader with bucket access can fetch it (--dump-blob).
    const located = await locateBodies(
      table,
      history.flatMap((h) => bodiesOf(h.state).map((b) => b.sha256)),
    );
    return ok({ ...ref, itemId, history, bodies: Object.fromEntries(located) });
  },
  search: async (c) => {
    const table = c.config.indexTable;
    const q = c.request.query;
    const at = time(q.at, 'at') ?? Date.now();
    const ref = await resolveAccount(table, param(c, 'account'), at);
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
  },
  mailbox: async (c) => {
    const table = c.config.indexTable;
    const at = time(c.request.query.at, 'at') ?? Date.now();
    const ref = await resolveAccount(table, param(c, 'account'), at);
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
  },
};

/** The window `from`/`to` query parameters give (ISO times; each optional). */
export function timeWindow(query: Record<string, string | undefined>): { from?: string; to?: string } {
  const from = time(query.from, 'from');
  const to = time(query.to, 'to');
  return {
    ...(from !== undefined ? { from: new Date(from).toISOString() } : {}),
    ...(to !== undefined ? { to: new Date(to).toISOString() } : {}),
  };
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(value);
  } catch (cause) {
    throw new ValidationError(`query parameter "${name}": ${(cause as Error).message}`, [], { cause });
  }
}
