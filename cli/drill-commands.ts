import { readFileSync } from 'node:fs';
import type { ControlClient } from '#agent/control-client.ts';
import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { describeOperation, operationIdArg, waitForOperation } from '#cli/operation-view.ts';
import type { DRILL_OPTIONS, DrillCommand } from '#cli/specs/drill-group.ts';
import { textTable } from '#cli/text-table.ts';
import { isoOption } from '#cli/time-option.ts';
import type { DrillRow } from '#core/control-api.ts';
import { type DrillAttestation, readAttestation, verifyAttestation } from '#core/drill/drill-attestation.ts';
import { OffsiteError } from '#core/errors.ts';

type Values = CommandInput<typeof DRILL_OPTIONS>['values'];

/** `offsite drill …`: start a drill, list the drills kept, show (and verify) one; returns the exit code. */
export async function drillCommand(
  command: DrillCommand,
  { values, positionals, write, env }: CommandInput<typeof DRILL_OPTIONS>,
): Promise<number> {
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const out = (body: unknown, human: string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human.join('\n')}\n`);
  switch (command) {
    case 'run': {
      const created = await client.call(
        'createOperation',
        {},
        { body: { kind: 'drill', params: paramsOf(values) } },
      );
      const op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
      out(op, [
        ...describeOperation(op),
        ...(typeof op.result?.attestation === 'string'
          ? [`  attestation ${op.result.attestation}: offsite drill show ${op.id} --verify`]
          : []),
      ]);
      return !values.wait || op.state === 'succeeded' ? 0 : 1;
    }
    case 'list': {
      const { drills } = await client.call(
        'drills',
        {},
        {
          query: {
            since: values.since,
            limit: values.limit === undefined ? undefined : wholeNumber(values.limit, 'limit'),
          },
        },
      );
      const verified = values.verify ? await verifyAll(client, drills, values) : undefined;
      out(
        { drills: drills.map((d, i) => ({ ...d, ...(verified ? { verified: verified[i] } : {}) })) },
        drills.length === 0
          ? ['no drills in the bucket yet (offsite drill run starts one; the daily schedule runs one)']
          : [
              textTable(
                [
                  'STARTED',
                  'DRILL',
                  'OUTCOME',
                  'ACCOUNTS',
                  'ITEMS',
                  'BODIES',
                  'MISMATCHES',
                  ...(verified ? ['SIGNATURE'] : []),
                ],
                drills.map((d, i) => [
                  d.startedAt.slice(0, 19).replace('T', ' '),
                  d.drillId,
                  d.outcome,
                  d.accounts,
                  d.items,
                  d.bodiesVerified,
                  d.mismatches,
                  ...(verified ? [verified[i] === true ? 'valid' : `INVALID: ${verified[i]}`] : []),
                ]),
              ),
            ],
      );
      const bad = drills.some((d) => d.outcome !== 'passed') || (verified ?? []).some((v) => v !== true);
      return bad ? 1 : 0;
    }
    default: {
      const drillId = operationIdArg(positionals[0] ?? '', 'a drill id');
      const { key, envelope } = await client.call('drill', { operationId: drillId });
      if (values.verify) {
        const result = verifyAttestation(envelope, await publicKeyOf(client, values));
        if (!result.valid) {
          out({ key, keyId: envelope.keyId, verified: false, problem: result.problem }, [
            `drill ${drillId}: the attestation ${key} does NOT verify: ${result.problem}`,
          ]);
          return 1;
        }
        out({ key, keyId: envelope.keyId, verified: true, attestation: result.attestation }, [
          `signature valid (${envelope.algorithm}, key ${envelope.keyId})`,
          ...describeAttestation(key, result.attestation),
        ]);
        return result.attestation.outcome === 'passed' ? 0 : 1;
      }
      const attestation = readAttestation(envelope);
      out({ key, keyId: envelope.keyId, verified: null, attestation }, [
        'signature not checked (--verify checks it)',
        ...describeAttestation(key, attestation),
      ]);
      return attestation.outcome === 'passed' ? 0 : 1;
    }
  }
}

/** The drill's parameters from the options (the control API checks them again). */
function paramsOf(values: Values): Record<string, unknown> {
  const picks = (values.pick ?? []).map((text) => {
    const at = text.lastIndexOf('=');
    if (at <= 0 || at === text.length - 1)
      throw new OffsiteError(
        `--pick ${text}: expected ACCOUNT=TIME, e.g. alice@example.com=2026-12-05T10:15Z`,
      );
    return {
      account: text.slice(0, at),
      at: isoOption(text.slice(at + 1), 'pick', values.tz) as string,
    };
  });
  if (
    picks.length > 0 &&
    (values.accounts !== undefined ||
      values.server !== undefined ||
      values.seed !== undefined ||
      values.days !== undefined)
  )
    throw new OffsiteError(
      '--pick names the accounts and instants: --accounts, --days, --server and --seed do not apply',
    );
  return {
    ...(values.accounts !== undefined ? { accounts: wholeNumber(values.accounts, 'accounts') } : {}),
    ...(values.days !== undefined ? { days: wholeNumber(values.days, 'days') } : {}),
    ...(values.server !== undefined ? { servers: values.server } : {}),
    ...(values.seed !== undefined ? { seed: wholeNumber(values.seed, 'seed') } : {}),
    ...(picks.length > 0 ? { picks } : {}),
  };
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new OffsiteError(`--${flag} ${value}: expected a whole number`);
  return Number(value);
}

/** `--public-key FILE`, else the deployment's (the control API reads it from KMS, or the local key pair). */
async function publicKeyOf(client: ControlClient, values: Values): Promise<string> {
  if (values['public-key'] === undefined) return (await client.call('drillKey', {})).publicKey;
  try {
    return readFileSync(values['public-key'], 'utf8');
  } catch (error) {
    throw new OffsiteError(`--public-key ${values['public-key']}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Each drill's verification: true, or the problem. */
async function verifyAll(
  client: ControlClient,
  drills: readonly DrillRow[],
  values: Values,
): Promise<(true | string)[]> {
  const key = await publicKeyOf(client, values);
  const results: (true | string)[] = [];
  for (const d of drills) {
    const { envelope } = await client.call(
      'drill',
      { operationId: d.drillId },
      { query: { date: d.startedAt.slice(0, 10) } },
    );
    const result = verifyAttestation(envelope, key);
    results.push(result.valid ? true : result.problem);
  }
  return results;
}

/** The evidence, for people: per account the instant, expected and restored counts, and every mismatch. */
export function describeAttestation(key: string, a: DrillAttestation): string[] {
  const lines = [
    `drill ${a.drillId}: ${a.outcome.toUpperCase()} (${a.source}${a.requestedBy ? ` by ${a.requestedBy}` : ''}), ${a.startedAt} → ${a.finishedAt}`,
    `  ${a.totals.accounts} accounts, ${a.totals.items} items restored, ${a.totals.bodiesVerified} bodies read back and verified (${a.totals.bytesVerified} bytes), ${a.totals.mismatches} mismatches`,
    ...(a.reason ? [`  ${a.reason}`] : []),
    `  attestation s3://${a.bucket}/${key}; bundle ${a.bundle.manifest} (sha256 ${a.bundle.sha256})`,
  ];
  for (const account of a.accounts) {
    const kinds = Object.keys(account.expected) as (keyof typeof account.expected)[];
    lines.push(
      `  ${account.account} (${account.serverId}:${account.mailboxId}) at ${account.at}: ${account.mismatches.length === 0 ? 'matches the index' : `${account.mismatches.length} mismatches`}`,
      `    ${
        kinds
          .filter((k) => account.expected[k] > 0 || account.restored[k] > 0)
          .map((k) => `${k} ${account.restored[k]}/${account.expected[k]}`)
          .join(', ') || 'no items'
      } (restored/expected); ${account.bodiesVerified} bodies verified`,
    );
    for (const m of account.mismatches.slice(0, 50))
      lines.push(`    ${m.kind}${m.id === undefined ? '' : ` ${m.id}`}: ${m.reason}: ${m.detail}`);
    if (account.mismatches.length > 50)
      lines.push(`    … and ${account.mismatches.length - 50} more (--json lists all)`);
  }
  return lines;
}
