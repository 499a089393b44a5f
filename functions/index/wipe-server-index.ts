import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { writeAll } from '#functions/index/batch-requests.ts';
import { serverScopes } from '#functions/index/server-scopes.ts';

/**
 * What indexing derives in a server's own partition (the rest there is the catalog, bridges and the reindex
 * marker, which stay): mailbox entities, incoming bodies, clean-up lists, quarantine records, uncertain marks.
 */
const DERIVED_PREFIXES = ['H#MBX#', 'V#MBX#', 'INC#', 'CLEANUP#', 'QUAR#', 'UNCERTAIN#'] as const;
const DERIVED_KEYS = [indexKeys.cursor, indexKeys.directoryCursor] as const;
/** Keys read per query page: a page is deleted before the next is read, so a wipe stops between pages. */
const PAGE = 1000;

export interface WipeProgress {
  deleted: number;
  done: boolean;
}

/**
 * Deletes the index a server's stream produced (the items of its mailboxes and of its directory scope, then
 * what indexing wrote in the server's partition), page by page until `deadline`; a later call goes on where
 * this one stopped. Blob references and account links stay: the reindex writes the same ones again, and a
 * reference left by a lost item only keeps a body longer, never loses one.
 */
export async function wipeServerIndex(
  table: string,
  serverId: string,
  deadline: number,
): Promise<WipeProgress> {
  const progress: WipeProgress = { deleted: 0, done: false };
  const pk = indexKeys.server(serverId);
  // Mailbox partitions first: their ids come from the mailbox entities in the server's partition, deleted last.
  for (const scope of await serverScopes(table, serverId)) {
    for await (const page of pages(table, indexKeys.mailbox(serverId, scope))) {
      await remove(table, page);
      progress.deleted += page.length;
      if (Date.now() > deadline) return progress;
    }
  }
  for (const prefix of DERIVED_PREFIXES) {
    for await (const page of pages(table, pk, prefix)) {
      await remove(table, page);
      progress.deleted += page.length;
      if (Date.now() > deadline) return progress;
    }
  }
  await remove(
    table,
    DERIVED_KEYS.map((sk) => ({ pk, sk })),
  );
  progress.done = true;
  return progress;
}

async function* pages(table: string, pk: string, prefix?: string): AsyncGenerator<Record<string, unknown>[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk, ...(prefix === undefined ? {} : { ':p': prefix }) },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        Limit: PAGE,
        ExclusiveStartKey: start,
      }),
    );
    if (page.Items?.length) yield page.Items;
    start = page.LastEvaluatedKey;
  } while (start);
}

async function remove(table: string, keys: readonly Record<string, unknown>[]): Promise<void> {
  await writeAll(
    table,
    keys.map((k) => ({ DeleteRequest: { Key: { pk: k.pk as string, sk: k.sk as string } } })),
  );
}
