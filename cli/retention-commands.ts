import type { ControlClient } from '#agent/control-client.ts';
import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { RETENTION_OPTIONS, RetentionCommand } from '#cli/specs/retention-group.ts';
import { textTable } from '#cli/text-table.ts';
import type { RetentionView } from '#core/control-api.ts';
import { OffsiteError } from '#core/errors.ts';
import type { LegalHold } from '#core/retention/retention-policy.ts';

/** `offsite retention …` and `offsite hold …` over the control API; returns the exit code. */
export async function retentionCommand(
  command: RetentionCommand,
  { values, positionals, write, env }: CommandInput<typeof RETENTION_OPTIONS>,
): Promise<number> {
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const show = (body: unknown, human: string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human.join('\n')}\n`);
  const view = () => client.call('retention', {});

  if (command === 'retention show') {
    const current = await view();
    show(current, describe(current));
    return 0;
  }
  if (command === 'retention set') {
    const { policy } = await view();
    const { updatedAt: _u, ...next } = policy;
    const scopes = (['server', 'account', 'cos'] as const).filter((s) => values[s] !== undefined);
    if (values['default-days'] !== undefined) {
      if (scopes.length > 0 || values.days !== undefined || values.unset)
        throw new OffsiteError(`--default-days stands alone`);
      next.defaultDays = days(values['default-days']);
    } else {
      if (scopes.length !== 1)
        throw new OffsiteError(`name one of --server, --account, --cos (or --default-days)`);
      if ((values.days === undefined) === !values.unset) throw new OffsiteError(`give --days N or --unset`);
      const scope = scopes[0] as 'server' | 'account' | 'cos';
      const map = { server: 'servers', account: 'accounts', cos: 'cos' } as const;
      const id =
        scope === 'account' ? await accountId(client, values.account as string) : (values[scope] as string);
      const overrides = { ...next[map[scope]] };
      if (values.unset) delete overrides[id];
      else overrides[id] = days(values.days as string);
      next[map[scope]] = overrides;
    }
    const updated = await client.call('setRetention', {}, { body: next });
    show(updated, describe(updated));
    return 0;
  }
  if (command === 'hold list') {
    const { holds } = await view();
    show({ holds }, holds.length === 0 ? ['no account is on legal hold'] : holds.map(describeHold));
    return 0;
  }
  if (command === 'hold audit') {
    const { audit } = await client.call('retentionAudit', {});
    show(
      { audit },
      audit.length === 0
        ? ['no hold or retention change recorded']
        : [
            textTable(
              ['AT', 'ACTION', 'ACCOUNT', 'BY', 'REASON'],
              audit.map((a) => [a.at, a.action, a.accountId ?? '-', a.by, a.reason ?? '']),
            ),
          ],
    );
    return 0;
  }
  if (command === 'hold add') {
    if (!values.reason) throw new OffsiteError(`a hold needs --reason TEXT (kept with it)`);
    const hold = await client.call(
      'placeHold',
      {},
      { body: { accountId: await accountId(client, positionals[0] as string), reason: values.reason } },
    );
    show(hold, [
      `on hold: ${describeHold(hold)}`,
      `S3 legal holds on its objects: operation ${hold.operationId} (offsite ops show ${hold.operationId})`,
    ]);
    return 0;
  }
  if (command === 'hold release') {
    const id = await accountId(client, positionals[0] as string);
    const out = await client.call('releaseHold', { accountId: id });
    show(out, [
      out.released ? `released the hold on ${id}` : `${id} was not on hold`,
      `S3 legal holds no other hold needs are cleared by operation ${out.operationId}`,
    ]);
    return out.released ? 0 : 1;
  }
  throw new OffsiteError(`unknown command offsite ${command}`);
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 36_500)
    throw new OffsiteError(`days must be a whole number from 0 (keep everything) to 36500, not ${value}`);
  return n;
}

/** A zimbraId as given, or the account id the catalog knows for a name. */
async function accountId(client: ControlClient, account: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(account)) return account;
  return (await client.call('mailbox', { account })).accountId;
}

function describeHold(h: LegalHold): string {
  return `${h.accountId} since ${h.since}${h.placedBy ? ` (by ${h.placedBy})` : ''}: ${h.reason}`;
}

function describe({ policy, holds }: RetentionView): string[] {
  const keep = (n: number) => (n === 0 ? 'everything' : `${n} days`);
  return [
    `default: ${keep(policy.defaultDays)}${policy.updatedAt ? ` (set ${policy.updatedAt})` : ''}`,
    ...Object.entries(policy.servers).map(([id, n]) => `  server ${id}: ${keep(n)}`),
    ...Object.entries(policy.cos).map(([id, n]) => `  class of service ${id}: ${keep(n)}`),
    ...Object.entries(policy.accounts).map(([id, n]) => `  account ${id}: ${keep(n)}`),
    ...holds.map((h) => `  legal hold: ${describeHold(h)}`),
  ];
}
