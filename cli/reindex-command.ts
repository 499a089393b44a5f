import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { describeOperation, waitForOperation } from '#cli/operation-view.ts';
import type { REINDEX_OPTIONS } from '#cli/specs/catalog-group.ts';
import { OffsiteError } from '#core/errors.ts';
import { reindexParamsSchema } from '#core/index/reindex-request.ts';

/**
 * `offsite backup reindex`: rebuilds servers' index from what their bucket holds (redo segments, LDAP dumps,
 * scan snapshots): after a release that models more ops, or after the index table was lost. The old index
 * of each server is wiped first and queries answer from the new one as it grows; with --wait the command
 * returns when every server has caught up (exit 0) or stopped at a gap or a quarantined segment (exit 1).
 */
export async function reindexCommand({
  values,
  write,
  env,
}: CommandInput<typeof REINDEX_OPTIONS>): Promise<number> {
  if (!values.server?.length)
    throw new OffsiteError('offsite backup reindex needs --server ID (one or more)');
  const parsed = reindexParamsSchema.safeParse({
    servers: values.server,
    ...(values.from !== undefined ? { fromSeq: values.from } : {}),
  });
  if (!parsed.success)
    throw new OffsiteError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const created = await client.call(
    'createOperation',
    {},
    {
      body: {
        kind: 'reindex',
        params: parsed.data,
      },
    },
  );
  const op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
  write(values.json ? `${JSON.stringify(op, null, 2)}\n` : `${describeOperation(op).join('\n')}\n`);
  if (!values.wait && !values.json) write(`follow it with: offsite ops monitor ${op.id}\n`);
  return !values.wait || op.state === 'succeeded' ? 0 : 1;
}
