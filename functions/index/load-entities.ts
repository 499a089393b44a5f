import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { EntityNeed, IncomingBlob } from '#core/index/apply-transaction.ts';
import { isUserFolder, MAX_FOLDER_DEPTH } from '#core/index/conversations.ts';
import { headFromItem, type Item, type StoredHead, versionsOfItem } from '#core/index/entity-items.ts';
import { itemKey, MAILBOX_KEY } from '#core/index/index-entity.ts';
import { storedKey } from '#core/index/stored-key.ts';
import type { EntityHead, EntityVersion, VersionOverlay } from '#core/index/version-overlay.ts';
import { entityKeys, indexKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { getAll } from '#functions/index/batch-requests.ts';
import { IndexIntegrityError } from '#functions/index/errors.ts';
import { queryAll } from '#functions/query/query-all.ts';

export interface LoadScope {
  table: string;
  serverId: string;
  /** Position of the segment's first byte: heads at or after it were written by an earlier try of it. */
  segmentStart: string;
  /**
   * Heads that a run cut short before its commit deleted, as their tombstones would read (see
   * `unfinishedDeletions`): an entity it deleted is walked back from the version the deletion closed.
   */
  deleted?: readonly StoredHead[];
}

/**
 * Loads what a segment's transactions read into the overlay, as it stood when the segment began. A head
 * an interrupted earlier try already moved past the segment start is walked back along its version chain:
 * applying a segment again from its start then computes exactly the same writes. Returns the keys of
 * tombstones that runs of earlier releases left (they wrote one for each deleted entity, then deleted it).
 */
export async function loadEntities(
  scope: LoadScope,
  overlay: VersionOverlay,
  needs: readonly EntityNeed[],
): Promise<Item[]> {
  const whole = new Set<number>();
  const single = new Map<string, { mailboxId: number; key: string }>();
  const paths = new Set<string>();
  let chains: { mailboxId: number; folderId: number }[] = [];
  const conversations = new Map<string, { mailboxId: number; convId: number }>();
  for (const need of needs) {
    if ('incoming' in need) paths.add(need.incoming);
    else if ('all' in need) whole.add(need.mailboxId);
  }
  for (const need of needs) {
    if ('incoming' in need || 'all' in need) continue;
    if (whole.has(need.mailboxId) && !('key' in need && need.key === MAILBOX_KEY)) continue; // comes with it
    if ('conversation' in need) {
      conversations.set(`${need.mailboxId} ${need.conversation}`, {
        mailboxId: need.mailboxId,
        convId: need.conversation,
      });
    } else if ('folderChain' in need) {
      chains.push({ mailboxId: need.mailboxId, folderId: need.folderChain });
      single.set(`${need.mailboxId}\0${itemKey(need.folderChain)}`, {
        mailboxId: need.mailboxId,
        key: itemKey(need.folderChain),
      });
    } else single.set(`${need.mailboxId}\0${need.key}`, need);
  }
  const stale: Item[] = [];
  const deleted = new Map((scope.deleted ?? []).map((d) => [`${d.mailboxId}\0${d.key}`, d]));
  // A conversation's messages: those that joined it (a superset: each one's head says where it is now).
  const members = await Promise.all(
    [...conversations.values()].map(async ({ mailboxId, convId }) =>
      (await conversationJoins(scope, mailboxId, convId)).map((id) => ({ mailboxId, key: itemKey(id) })),
    ),
  );
  for (const member of members.flat()) single.set(`${member.mailboxId}\0${member.key}`, member);
  await loadHeads(scope, overlay, [...single.values()], stale, deleted);
  // A folder's ancestors, one level a round: a user folder is in Trash when one of them is Trash.
  for (let depth = 0; depth < MAX_FOLDER_DEPTH && chains.length > 0; depth++) {
    const parents = chains.flatMap(({ mailboxId, folderId }) => {
      const folder = overlay.get(mailboxId, itemKey(folderId));
      return folder?.kind === 'folder' && isUserFolder(folder.parentId) && folder.parentId !== folderId
        ? [{ mailboxId, folderId: folder.parentId }]
        : [];
    });
    await loadHeads(
      scope,
      overlay,
      parents
        .filter((p) => !overlay.isLoaded(p.mailboxId, itemKey(p.folderId)))
        .map((p) => ({ mailboxId: p.mailboxId, key: itemKey(p.folderId) })),
      stale,
      deleted,
    );
    chains = parents;
  }
  for (const mailboxId of whole) {
    const found = new Set<string>();
    for (const item of await queryHeads(scope, mailboxId)) {
      const stored = headFromItem(item);
      found.add(stored.key);
      const head = await startHead(scope, stored, item, stale);
      if (head) overlay.load(mailboxId, stored.key, head);
    }
    for (const gone of deleted.values()) {
      if (gone.mailboxId !== mailboxId || found.has(gone.key) || gone.key === MAILBOX_KEY) continue;
      const head = await startHead(scope, gone, undefined, stale);
      if (head) overlay.load(mailboxId, gone.key, head);
      overlay.markUnfinished(mailboxId, gone.key);
    }
    overlay.markComplete(mailboxId);
  }
  if (paths.size > 0) {
    const blobs = await getAll(
      scope.table,
      [...paths].map((path) => ({ pk: indexKeys.server(scope.serverId), sk: indexKeys.incoming(path) })),
    );
    for (const item of blobs) overlay.loadIncoming(incomingFromItem(item));
  }
  return stale;
}

/** Loads these entities' heads as they stood when the segment began. */
async function loadHeads(
  scope: LoadScope,
  overlay: VersionOverlay,
  entities: readonly { mailboxId: number; key: string }[],
  stale: Item[],
  deleted: ReadonlyMap<string, StoredHead>,
): Promise<void> {
  // Two needs may name one entity (two folders' parent): BatchGetItem refuses a key twice.
  const unique = [...new Map(entities.map((n) => [`${n.mailboxId}\0${n.key}`, n])).values()];
  if (unique.length === 0) return;
  const keyed = unique.map((n) => ({ ...n, keys: entityKeys(scope.serverId, n.mailboxId, n.key) }));
  const found = await getAll(
    scope.table,
    keyed.map((n) => ({ pk: n.keys.pk, sk: n.keys.head })),
  );
  const byKey = new Map(found.map((item) => [`${item.pk}\0${item.sk}`, item]));
  await Promise.all(
    keyed.map(async (n) => {
      const item = byKey.get(`${n.keys.pk}\0${n.keys.head}`);
      const gone = item ? undefined : deleted.get(`${n.mailboxId}\0${n.key}`);
      if (gone) overlay.markUnfinished(n.mailboxId, n.key);
      overlay.load(
        n.mailboxId,
        n.key,
        item
          ? await startHead(scope, headFromItem(item), item, stale)
          : gone
            ? await startHead(scope, gone, undefined, stale)
            : null,
      );
    }),
  );
}

/** The ids of the messages that ever joined a conversation (its span items, and join items of before). */
async function conversationJoins(scope: LoadScope, mailboxId: number, convId: number): Promise<number[]> {
  const prefix = indexKeys.conversationMembers(convId);
  const { items } = await queryAll({
    TableName: scope.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
    ExpressionAttributeValues: { ':pk': indexKeys.mailbox(scope.serverId, mailboxId), ':c': prefix },
    ConsistentRead: true,
  });
  return items.flatMap((item) => {
    const { ms } = parseOrThrow(joinsSchema, item, `conversation item ${String(item.sk)}`);
    return ms ? [...ms] : [Number(storedKey(item).sk.slice(prefix.length))];
  });
}

const joinsSchema = z.looseObject({ ms: z.set(z.number().int()).optional() });

async function queryHeads(scope: LoadScope, mailboxId: number): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb().send(
      new QueryCommand({
        TableName: scope.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': indexKeys.mailbox(scope.serverId, mailboxId), ':h': 'H#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * The head (`stored`, read from `item`; without one, a head a run cut short deleted) as it was at the
 * segment's start (null: the entity did not exist then).
 */
async function startHead(
  scope: LoadScope,
  stored: StoredHead,
  item: Item | undefined,
  stale: Item[],
): Promise<EntityHead | null> {
  const { mailboxId: _m, key: _k, ...head } = stored;
  if (head.fromPos < scope.segmentStart) {
    if (head.state === null && item) stale.push(storedKey(item));
    return head.state === null ? null : head;
  }
  let prev: { from: string | null; to: number | null } = { from: head.prevFrom, to: head.prevTo };
  // The versions the item in hand carries after the one reached: riders first, then items of their own.
  let carried = stored.riders ?? [];
  while (prev.from !== null) {
    let version: EntityVersion;
    if (carried[0]?.fromPos === prev.from) [version, ...carried] = carried as [EntityVersion];
    else
      [version, ...carried] = versionsOfItem(await getVersion(scope, stored, prev.from, prev.to)) as [
        EntityVersion,
      ];
    if (version.fromPos < scope.segmentStart) {
      if (version.toPos < scope.segmentStart) return null; // deleted before the segment
      const { state, fromPos, fromTime, prevFrom, prevTo, op } = version;
      return {
        state,
        fromPos,
        fromTime,
        prevFrom,
        prevTo,
        op,
        ...(carried.length > 0 ? { riders: carried } : {}),
      };
    }
    prev = { from: version.prevFrom, to: version.prevTo };
  }
  return null;
}

/**
 * A closed version by its key (when it ended, where it began). Without the end (a link written before
 * versions were keyed by it), by the entity: how a mailbox's own versions are keyed still.
 */
async function getVersion(
  scope: LoadScope,
  head: StoredHead,
  fromPos: string,
  toTime: number | null,
): Promise<Item> {
  const keys = entityKeys(scope.serverId, head.mailboxId, head.key);
  const sk = toTime === null ? keys.entityVersion(fromPos) : keys.version(toTime, fromPos);
  const out = await dynamodb().send(
    new GetCommand({
      TableName: scope.table,
      Key: { pk: keys.pk, sk },
      ConsistentRead: true,
    }),
  );
  if (!out.Item)
    throw new IndexIntegrityError(
      `version ${sk} of ${keys.pk} is missing: the chain of ${head.key} is broken`,
    );
  return out.Item;
}

export function incomingItem(serverId: string, blob: IncomingBlob): Item {
  return { pk: indexKeys.server(serverId), sk: indexKeys.incoming(blob.path), ...blob };
}

/** The incoming body's reference under its blob: counted by a purge for a day, then gone by TTL. */
export function incomingRefItem(serverId: string, blob: IncomingBlob, now = Date.now()): Item {
  return {
    pk: indexKeys.blob(blob.sha256),
    sk: indexKeys.incomingRef(serverId, blob.path),
    size: blob.size,
    incomingAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + 7 * 86_400,
  };
}

const incomingSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  size: z.number(),
  pos: z.string().optional(),
  subject: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  attachments: z.array(z.string()).optional(),
});

/** An incoming body's item as read, checked (its key and TTL are not part of it). */
function incomingFromItem(item: Item): IncomingBlob {
  const { pk: _pk, sk: _sk, ...blob } = item;
  return parseOrThrow(incomingSchema, blob, `incoming item ${String(item.sk)}`);
}
