import type { ControlClient } from '#agent/control-client.ts';
import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { describeOperation, waitForOperation } from '#cli/operation-view.ts';
import type { TRANSFER_OPTIONS } from '#cli/specs/transfer-group.ts';
import { isoOption } from '#cli/time-option.ts';
import type { ScanRow } from '#core/control-api.ts';
import { OffsiteError } from '#core/errors.ts';
import type { Operation } from '#core/operation.ts';

/** `offsite export …` and `offsite import …` over the control API; returns the exit code. */
export async function transferCommand(
  group: 'export' | 'import',
  { values, positionals, write, env }: CommandInput<typeof TRANSFER_OPTIONS>,
): Promise<number> {
  let params: Record<string, unknown>;
  if (group === 'export') {
    const at = isoOption(values.at, 'at', values.tz);
    params = {
      accounts: positionals,
      ...(values.domain ? { domains: values.domain } : {}),
      ...(values.all ? { all: true } : {}),
      ...(values.server ? { serverId: values.server } : {}),
      ...(at ? { at } : {}),
      ...(values.to ? s3Location(values.to, '--to') : {}),
    };
  } else {
    params = s3Location(positionals[0] as string, 'the export');
  }
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const created = await client.call('createOperation', {}, { body: { kind: group, params } });
  let op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
  let indexed: { applied: number; rejected: ScanRow[] } | undefined;
  if (values.wait && group === 'import' && op.state === 'succeeded') {
    indexed = await waitForIndexing(
      client,
      op,
      values.json ? undefined : (text) => process.stderr.write(text),
    );
    op = { ...op, result: { ...op.result, indexed: indexed.applied, rejected: indexed.rejected } };
  }
  write(
    values.json
      ? `${JSON.stringify(op, null, 2)}\n`
      : `${[
          ...describeOperation(op),
          ...(indexed
            ? [
                `  indexed ${indexed.applied} mailbox(es)${indexed.rejected.length ? `, ${indexed.rejected.length} refused:` : ''}`,
                ...indexed.rejected.map((r) => `    mailbox ${r.mailboxId}: ${r.reason}`),
              ]
            : []),
        ].join('\n')}\n`,
  );
  if (!values.wait) return 0;
  return op.state === 'succeeded' && (indexed?.rejected.length ?? 0) === 0 ? 0 : 1;
}

/** `s3://bucket/prefix` as operation parameters. */
function s3Location(url: string, what: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new OffsiteError(`${what} must be s3://BUCKET/PREFIX, not ${url}`);
  return { bucket: match[1] as string, prefix: match[2] as string };
}

/** Waits until the indexer has applied (or refused) every mailbox an import announced. */
async function waitForIndexing(
  client: ControlClient,
  op: Operation,
  progress: ((text: string) => void) | undefined,
): Promise<{ applied: number; rejected: ScanRow[] }> {
  const servers = (op.result?.serverIds ?? []) as string[];
  const expected = Number(op.result?.mailboxes ?? 0);
  const scanId = String(op.result?.scanId);
  for (let shown = -1; ; ) {
    const rows: ScanRow[] = [];
    for (const server of servers)
      rows.push(...(await client.call('scans', { serverId: server }, { query: { scan: scanId } })).scans);
    const done = rows.filter((r) => r.state !== 'pending');
    if (progress && done.length !== shown) progress(`indexed ${done.length} of ${expected} mailboxes\n`);
    shown = done.length;
    if (done.length >= expected)
      return {
        applied: done.filter((r) => r.state === 'applied').length,
        rejected: done.filter((r) => r.state === 'rejected'),
      };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
