import { setTimeout as sleep } from 'node:timers/promises';
import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { BRIDGE_OPTIONS } from '#cli/specs/catalog-group.ts';
import { OffsiteError } from '#core/errors.ts';
import { redoPosition } from '#core/index/redo-position.ts';

/**
 * `offsite backup bridge`: lets a server's indexing go on past a gap whose redo is lost for good (a segment
 * the agent lost before shipping it). Refused unless the operator says `--accept-loss`; waits until the
 * indexer has moved past the gap and says which mailboxes to rescan.
 */
export async function bridgeCommand({
  values,
  write,
  env,
}: CommandInput<typeof BRIDGE_OPTIONS>): Promise<number> {
  if (!values.server) throw new OffsiteError('offsite backup bridge needs --server ID');
  const server = values.server;
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const before = await client.call('restorePoints', { serverId: server });
  const at = before.waiting.at;
  if (before.waiting.state !== 'gap' || !at)
    throw new OffsiteError(
      `indexing of ${server} is ${before.waiting.state}, not held at a gap: nothing to bridge (offsite backup list --server ${server})`,
    );
  if (!values['accept-loss'])
    throw new OffsiteError(
      `indexing of ${server} waits at redo file ${at.seq} offset ${at.offset}: ${before.waiting.reason ?? 'a gap'}.\n` +
        'Bridging goes on with the next segment there is: whatever the missing redo did is lost from the index until a scan restates each mailbox ' +
        '(the next smart scan verifies every mailbox of this server). If the segment can still be shipped, let the agent ship it instead. ' +
        'To bridge, add --accept-loss.',
    );
  await client.call('bridge', { serverId: server }, { body: at });
  const timeout = Number(values['timeout-seconds']);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new OffsiteError(`--timeout-seconds takes a positive number, not ${values['timeout-seconds']}`);
  const deadline = Date.now() + timeout * 1000;
  for (;;) {
    const now = await client.call('restorePoints', { serverId: server });
    const bridge = now.bridges.find((b) => b.from === redoPosition(at.seq, at.offset));
    if (bridge) {
      if (values.json)
        write(`${JSON.stringify({ serverId: server, bridge, indexing: now.waiting }, null, 2)}\n`);
      else
        write(
          `bridged ${server} from ${bridge.from} to ${bridge.to}; indexing is ${now.waiting.state}${now.waiting.reason ? ` (${now.waiting.reason})` : ''}\n` +
            `${bridge.unscanned.length} of ${bridge.mailboxes} mailboxes wait for a scan: run \`offsite scan smart --all --verify\` on the mail host, or let the nightly smart scan do it\n`,
        );
      return 0;
    }
    if (Date.now() > deadline)
      throw new OffsiteError(
        `asked the indexer to bridge ${server} at ${at.seq}:${at.offset}, but it has not yet; see offsite backup list --server ${server}`,
      );
    await sleep(500);
  }
}
