import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UncertainNote } from '#core/control-api.ts';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { queryAll } from '#functions/query/query-all.ts';

async function marksOf(table: string, serverId: string, mailboxIds: number[]) {
  const marks = await Promise.all(
    mailboxIds.map((m) =>
      queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':prefix': indexKeys.uncertainOf(m) },
        ConsistentRead: true,
      }).then((r) => r.items),
    ),
  );
  return marks.flat();
}

/**
 * The undecoded records that make a mailbox uncertain at `at` (ms): written at or before it, and not restated
 * by a scan taken at or before it.
 */
export async function uncertainAt(
  table: string,
  serverId: string,
  mailboxId: number,
  at: number,
): Promise<UncertainNote[]> {
  // Records that name every mailbox (−1) count for each one.
  return (await marksOf(table, serverId, [mailboxId, -1]))
    .filter((m) => (m.time as number) <= at && ((m.restatedTime as number | undefined) ?? Infinity) > at)
    .map((m) => ({
      since: new Date(m.time as number).toISOString(),
      op: m.op as string,
      version: m.version as string,
      s3Key: m.s3Key as string,
      offset: m.offset as number,
      reason: m.reason as string,
    }));
}

/**
 * A scan restated the mailbox at `position`, valid from `time` (ms, the redo clock): its marks before that
 * position are resolved from then on. Marks of records that name every mailbox wait for every mailbox.
 */
export async function resolveUncertain(
  table: string,
  serverId: string,
  mailboxId: number,
  position: string,
  time: number,
): Promise<void> {
  for (const mark of await marksOf(table, serverId, [mailboxId])) {
    if ((mark.position as string) >= position || mark.restatedAt !== undefined) continue;
    await dynamodb().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: mark.pk, sk: mark.sk },
        UpdateExpression: 'SET restatedAt = :position, restatedTime = :time',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':position': position, ':time': time },
      }),
    );
  }
}
