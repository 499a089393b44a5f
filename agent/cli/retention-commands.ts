import { parseArgs } from 'node:util';
import { controlClientFrom } from '#agent/cli/cli-clients.ts';
import type { ControlClient } from '#agent/control-client.ts';
import { OffsiteError } from '#core/errors.ts';
import type { LegalHold, RetentionAuditEntry, RetentionPolicy } from '#core/retention/retention-policy.ts';

export const RETENTION_USAGE = `usage: offsite retention show
       offsite retention set --default-days N | (--server ID | --account ACCOUNT | --cos COS_ID) (--days N | --unset)
       offsite hold list | add ACCOUNT --reason TEXT | release ACCOUNT | audit
  N days of history are kept (0: everything); an account's setting beats its class of service's, which beats
  its server's, which beats the default; an account on legal hold is never purged, and every object its
  history needs (redo, LDAP dumps, its scans, its bodies) carries an S3 legal hold until the last hold needing it
  is released (a legal-hold operation each time, and daily). \`hold audit\` lists every hold placed and
  released and every retention change, with who made it.
  ACCOUNT: a zimbraId or a name the catalog knows; each takes --json, --url URL (or OFFSITE_CONTROL_URL)`;

interface RetentionView {
  policy: RetentionPolicy & { updatedAt?: string };
  holds: LegalHold[];
}

/** `offsite retention …` and `offsite hold …` over the control API; returns the exit code. */
export async function retentionCommand(
  group: 'retention' | 'hold',
  argv: string[],
  write: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
      region: { type: 'string' },
      'default-days': { type: 'string' },
      server: { type: 'string' },
      account: { type: 'string' },
      cos: { type: 'string' },
      days: { type: 'string' },
      unset: { type: 'boolean', default: false },
      reason: { type: 'string' },
    },
  });
  const expect = (allowed: string[], args: number) => {
    for (const [name, value] of Object.entries(values))
      if (
        !['json', 'url', 'region'].includes(name) &&
        value !== undefined &&
        value !== false &&
        !allowed.includes(name)
      )
        throw new OffsiteError(`--${name} does not apply to offsite ${group} ${command}\n${RETENTION_USAGE}`);
    if (positionals.length !== args)
      throw new OffsiteError(`offsite ${group} ${command} takes ${args} argument(s)\n${RETENTION_USAGE}`);
  };
  const client = await controlClientFrom(values.url, values.region ?? env.AWS_REGION ?? 'us-east-1', env);
  const show = (body: unknown, human: string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human.join('\n')}\n`);
  const view = () => client.request<RetentionView>('GET', '/retention');

  if (group === 'retention' && command === 'show') {
    expect([], 0);
    const current = await view();
    show(current, describe(current));
    return 0;
  }
  if (group === 'retention' && command === 'set') {
    expect(['default-days', 'server', 'account', 'cos', 'days', 'unset'], 0);
    const { policy } = await view();
    const { updatedAt: _u, ...next } = policy;
    const scopes = (['server', 'account', 'cos'] as const).filter((s) => values[s] !== undefined);
    if (values['default-days'] !== undefined) {
      if (scopes.length > 0 || values.days !== undefined || values.unset)
        throw new OffsiteError(`--default-days stands alone\n${RETENTION_USAGE}`);
      next.defaultDays = days(values['default-days']);
    } else {
      if (scopes.length !== 1)
        throw new OffsiteError(
          `name one of --server, --account, --cos (or --default-days)\n${RETENTION_USAGE}`,
        );
      if ((values.days === undefined) === !values.unset)
        throw new OffsiteError(`give --days N or --unset\n${RETENTION_USAGE}`);
      const scope = scopes[0] as 'server' | 'account' | 'cos';
      const map = { server: 'servers', account: 'accounts', cos: 'cos' } as const;
      const id =
        scope === 'account' ? await accountId(client, values.account as string) : (values[scope] as string);
      const overrides = { ...next[map[scope]] };
      if (values.unset) delete overrides[id];
      else overrides[id] = days(values.days as string);
      next[map[scope]] = overrides;
    }
    const updated = await client.request<RetentionView>('POST', '/retention', next);
    show(updated, describe(updated));
    return 0;
  }
  if (group === 'hold' && command === 'list') {
    expect([], 0);
    const { holds } = await view();
    show({ holds }, holds.length === 0 ? ['no account is on legal hold'] : holds.map(describeHold));
    return 0;
  }
  if (group === 'hold' && command === 'audit') {
    expect([], 0);
    const { audit } = await client.request<{ audit: RetentionAuditEntry[] }>('GET', '/retention/audit');
    show(
      { audit },
      audit.length === 0
        ? ['no hold or retention change recorded']
        : audit.map(
            (a) =>
              `${a.at}  ${a.action.padEnd(9)}  ${a.accountId ?? '-'}  by ${a.by}${a.reason ? `: ${a.reason}` : ''}`,
          ),
    );
    return 0;
  }
  if (group === 'hold' && command === 'add') {
    expect(['reason'], 1);
    if (!values.reason)
      throw new OffsiteError(`a hold needs --reason TEXT (kept with it)\n${RETENTION_USAGE}`);
    const hold = await client.request<LegalHold & { operationId: string }>('POST', '/holds', {
      accountId: await accountId(client, positionals[0] as string),
      reason: values.reason,
    });
    show(hold, [
      `on hold: ${describeHold(hold)}`,
      `S3 legal holds on its objects: operation ${hold.operationId} (offsite ops show ${hold.operationId})`,
    ]);
    return 0;
  }
  if (group === 'hold' && command === 'release') {
    expect([], 1);
    const id = await accountId(client, positionals[0] as string);
    const out = await client.request<{ accountId: string; released: boolean; operationId: string }>(
      'POST',
      `/holds/${encodeURIComponent(id)}/release`,
    );
    show(out, [
      out.released ? `released the hold on ${id}` : `${id} was not on hold`,
      `S3 legal holds no other hold needs are cleared by operation ${out.operationId}`,
    ]);
    return out.released ? 0 : 1;
  }
  throw new OffsiteError(`unknown command offsite ${group} ${command ?? ''}\n${RETENTION_USAGE}`);
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
  const found = await client.request<{ accountId: string }>(
    'GET',
    `/mailboxes/${encodeURIComponent(account)}`,
  );
  return found.accountId;
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
