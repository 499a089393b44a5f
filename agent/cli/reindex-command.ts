import { parseArgs } from 'node:util';
import { controlClientFrom } from '#agent/cli/cli-clients.ts';
import { describeOperation, waitForOperation } from '#agent/cli/operation-view.ts';
import { OffsiteError } from '#core/errors.ts';
import { reindexParamsSchema } from '#core/index/reindex-request.ts';
import type { Operation } from '#core/operation.ts';

export const REINDEX_USAGE =
  'offsite backup reindex --server ID [--server ID…] [--from SEQ] [--wait] [--json] [--url URL] [--region REGION]   (rebuild the index from the bucket)';

/**
 * `offsite backup reindex`: rebuilds servers' index from what their bucket holds (redo segments, LDAP dumps,
 * scan snapshots): after a release that models more ops, or after the index table was lost. The old index
 * of each server is wiped first and queries answer from the new one as it grows; with --wait the command
 * returns when every server has caught up (exit 0) or stopped at a gap or a quarantined segment (exit 1).
 */
export async function reindexCommand(
  argv: string[],
  write: (text: string) => void,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string', multiple: true },
      from: { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
      region: { type: 'string' },
    },
  });
  if (positionals.length > 0 || !values.server?.length) throw new OffsiteError(`usage: ${REINDEX_USAGE}`);
  const parsed = reindexParamsSchema.safeParse({
    servers: values.server,
    ...(values.from !== undefined ? { fromSeq: values.from } : {}),
  });
  if (!parsed.success)
    throw new OffsiteError(
      `${parsed.error.issues.map((i) => i.message).join('; ')}\nusage: ${REINDEX_USAGE}`,
    );
  const client = await controlClientFrom(values.url, values.region ?? env.AWS_REGION ?? 'us-east-1', env);
  const created = await client.request<Operation>('POST', '/operations', {
    kind: 'reindex',
    params: parsed.data,
  });
  const op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
  write(values.json ? `${JSON.stringify(op, null, 2)}\n` : `${describeOperation(op).join('\n')}\n`);
  if (!values.wait && !values.json) write(`follow it with: offsite ops monitor ${op.id}\n`);
  return !values.wait || op.state === 'succeeded' ? 0 : 1;
}
