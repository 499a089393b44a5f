import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ControlClient } from '#agent/control-client.ts';
import { applyToDav, type DavAccountReport, parseDavUrl } from '#agent/restore/apply-dav.ts';
import { applyToImap, DEFAULT_IMAP_PARALLEL, parseImapUrl } from '#agent/restore/apply-imap.ts';
import {
  applyToLdap,
  DIRECTORY_ADMIN_DN,
  type LdapApplyReport,
  parseLdapUrl,
} from '#agent/restore/apply-ldap.ts';
import type { ApplyAccountReport } from '#agent/restore/apply-report.ts';
import { applyToZimbra, parseZimbraUrl } from '#agent/restore/apply-zimbra.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import { parallelOption, preauthKeyOption, resolveOption } from '#cli/apply-options.ts';
import { bucketFrom, controlClientFrom, regionFrom, s3ClientFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { waitForOperation } from '#cli/operation-view.ts';
import { ProgressBar } from '#cli/progress-bar.ts';
import type { REBUILD_OPTIONS } from '#cli/specs/rebuild-command-spec.ts';
import { isoOption } from '#cli/time-option.ts';
import { OffsiteError } from '#core/errors.ts';
import type { Operation } from '#core/operation.ts';

interface RebuildState {
  serverId: string;
  at: string;
  /** The directory restore carries password hashes (absent: it does not). */
  withSecrets?: true;
  directoryOperation?: string;
  mailOperation?: string;
}

export interface RebuildReport {
  serverId: string;
  at: string;
  directoryOperation: string;
  mailOperation: string;
  directory: LdapApplyReport;
  accounts: number;
  mail?: { appended: number; alreadyThere: number; bytes: number; folders: number };
  /** What Zimbra's import was given, per item kind, and what was left out. */
  zimbra?: { items: Record<string, number>; bytes: number; notApplied: number; failed: number };
  calendars?: { added: number; alreadyThere: number; failed: number };
  contacts?: { added: number; alreadyThere: number; failed: number };
  /** Items the restore could not bring back, by reason (the restore report has each one). */
  unrestored: number;
  seconds: number;
}

/** `offsite rebuild …`: one command from a lost server to new ones; returns the exit code. */
export async function rebuildCommand({
  values,
  write,
  env,
}: CommandInput<typeof REBUILD_OPTIONS>): Promise<number> {
  if (!values.server || !values.at || !values.ldap || (!values.mail && !values.zimbra))
    throw new OffsiteError(`offsite rebuild needs --server, --at, --ldap and --mail or --zimbra`);
  if (values.zimbra && (values.mail || values.calendar || values.contacts))
    throw new OffsiteError(
      '--zimbra brings back every item kind: give it without --mail, --calendar or --contacts',
    );
  if (!values.zimbra && (values.resolve || values['preauth-key-env']))
    throw new OffsiteError('--resolve and --preauth-key-env go with --zimbra');
  if (values.mail && !values['admin-user'])
    throw new OffsiteError(`--admin-user: the one IMAP credential that acts for every account`);
  const secret = (name: string) => {
    const value = env[name];
    if (!value)
      throw new OffsiteError(`${name} must hold the password (it is never taken from a URL or flag)`);
    return value;
  };
  const needsDav = values.calendar !== undefined || values.contacts !== undefined;
  if (needsDav && !values['dav-user'])
    throw new OffsiteError('--calendar and --contacts need --dav-user USER (and OFFSITE_DAV_PASSWORD)');
  // Every target is checked before anything starts: a typo fails now, not after an hour of restoring.
  const parallel = parallelOption(values.parallel) ?? DEFAULT_IMAP_PARALLEL;
  const ldapUrl = parseLdapUrl(values.ldap);
  const imap = values.mail ? parseImapUrl(values.mail) : undefined;
  const zimbra = values.zimbra ? parseZimbraUrl(values.zimbra, values.insecure) : undefined;
  const resolve = resolveOption(values.resolve);
  const preauthKey = preauthKeyOption(values['preauth-key-env'], env);
  const calendar = values.calendar ? parseDavUrl(values.calendar, values.insecure) : undefined;
  const contacts = values.contacts ? parseDavUrl(values.contacts, values.insecure) : undefined;
  if (calendar && calendar.kind !== 'caldav') throw new OffsiteError('--calendar takes a caldav:// URL');
  if (contacts && contacts.kind !== 'carddav') throw new OffsiteError('--contacts takes a carddav:// URL');
  const passwords = {
    ldap: secret('OFFSITE_LDAP_PASSWORD'),
    imap: imap ? secret('OFFSITE_IMAP_PASSWORD') : '',
    zimbra: zimbra && !preauthKey ? secret('OFFSITE_ZIMBRA_PASSWORD') : '',
    dav: needsDav ? secret('OFFSITE_DAV_PASSWORD') : '',
  };
  const at = isoOption(values.at, 'at', values.tz) as string;
  const started = Date.now();
  const region = regionFrom(values.region, env);
  const client = await controlClientFrom(values.url, region, env);
  const s3 = s3ClientFrom(region, env);
  const bucket = bucketFrom(values.bucket, env, 'offsite rebuild');
  const stateFile = values.state ?? `offsite-rebuild-${values.server}.json`;
  const state = readState(stateFile, values.server, at, values['with-secrets']);
  const progress = (line: string) => {
    if (!values.json) process.stderr.write(`${line}\n`);
  };

  // 1. The directory, so the accounts exist before their mail comes.
  const directoryOp = await restored(
    client,
    state,
    'directoryOperation',
    stateFile,
    {
      mode: 'ldap',
      all: true,
      serverId: values.server,
      at,
      // The accounts' password hashes, so users log in as before (operators only).
      ...(values['with-secrets'] ? { withSecrets: true } : {}),
    },
    values.json,
  );
  progress(`directory: restore ${directoryOp.id} done; loading into ${ldapUrl}`);
  const directoryBundle = await bundleOf(s3, bucket, directoryOp);
  const directory = await withBar('directory', directoryBundle.manifest.directory?.entries ?? 0, (tick) =>
    applyToLdap(
      directoryBundle,
      {
        url: ldapUrl,
        bindDn: values['bind-dn'] ?? DIRECTORY_ADMIN_DN,
        password: passwords.ldap,
        ...(values.insecure ? { insecure: true } : {}),
      },
      { ...(values['mail-host'] ? { mailHost: values['mail-host'] } : {}), onEntry: () => tick(0) },
    ),
  );
  // 2. Every account's mail, calendars and address books.
  const mailOp = await restored(
    client,
    state,
    'mailOperation',
    stateFile,
    {
      mode: 'point-in-time',
      all: true,
      serverId: values.server,
      at,
    },
    values.json,
  );
  const bundle = await bundleOf(s3, bucket, mailOp);
  const messages = bundle.accounts.reduce((n, a) => n + a.messages.length, 0);
  if (imap) progress(`mail: restore ${mailOp.id} done; applying to ${imap.host}:${imap.port}`);
  const mail = imap
    ? await withBar('mail', messages, (tick) =>
        applyToImap(
          bundle,
          {
            ...imap,
            password: passwords.imap,
            adminUser: values['admin-user'] as string,
            ...(values.insecure ? { insecure: true } : {}),
          },
          { onMessage: tick, parallel },
        ),
      )
    : undefined;
  if (zimbra) progress(`accounts: restore ${mailOp.id} done; importing into ${zimbra.host}:${zimbra.port}`);
  const imported = zimbra
    ? await withBar('accounts', messages, (tick) =>
        applyToZimbra(
          bundle,
          {
            ...zimbra,
            ...(preauthKey ? { preauthKey } : { password: passwords.zimbra }),
            resolve,
            ...(values.insecure ? { insecure: true } : {}),
          },
          { onMessage: tick },
        ),
      )
    : undefined;
  const dav = async (target: { kind: 'caldav' | 'carddav'; base: string } | undefined) => {
    if (!target) return undefined;
    const objects = bundle.accounts.reduce(
      (n, a) =>
        n +
        (target.kind === 'caldav'
          ? a.calendars.reduce((m, c) => m + c.components, 0)
          : a.addressBooks.reduce((m, c) => m + c.cards, 0)),
      0,
    );
    return totals(
      await withBar(target.kind === 'caldav' ? 'calendars' : 'contacts', objects, (tick) =>
        applyToDav(
          bundle,
          { ...target, user: values['dav-user'] as string, password: passwords.dav },
          { onObject: () => tick(0) },
        ),
      ),
    );
  };
  const report: RebuildReport = {
    serverId: values.server,
    at,
    directoryOperation: directoryOp.id,
    mailOperation: mailOp.id,
    directory,
    accounts: bundle.accounts.length,
    ...(mail ? { mail: mailTotals(mail) } : {}),
    ...(imported ? { zimbra: zimbraTotals(imported) } : {}),
    ...(calendar ? { calendars: await dav(calendar) } : {}),
    ...(contacts ? { contacts: await dav(contacts) } : {}),
    unrestored: Number(mailOp.result?.unrestored ?? 0),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${describe(report).join('\n')}\n`);
  const failed =
    directory.failed.length +
      (report.calendars?.failed ?? 0) +
      (report.contacts?.failed ?? 0) +
      (report.zimbra?.failed ?? 0) >
    0;
  return failed ? 1 : 0;
}

/** Runs a step with a progress bar (count, rate, ETA) on a terminal; nothing when not one. */
async function withBar<T>(
  label: string,
  total: number,
  step: (tick: (bytes: number) => void) => Promise<T>,
): Promise<T> {
  const bar = new ProgressBar(label, total);
  try {
    return await step((bytes) => bar.tick(bytes));
  } finally {
    bar.finish();
  }
}

function readState(file: string, serverId: string, at: string, withSecrets: boolean): RebuildState {
  if (!existsSync(file)) return { serverId, at, ...(withSecrets ? { withSecrets: true as const } : {}) };
  const state = JSON.parse(readFileSync(file, 'utf8')) as RebuildState;
  if (state.serverId !== serverId || state.at !== at)
    throw new OffsiteError(
      `${file} is the state of a rebuild of ${state.serverId} at ${state.at}: give another --state, or remove it`,
    );
  if ((state.withSecrets ?? false) !== withSecrets)
    throw new OffsiteError(
      `${file} is the state of a rebuild ${state.withSecrets ? 'with' : 'without'} --with-secrets: run it the same way, or give another --state`,
    );
  return state;
}

/** The restore the state names when it succeeded, else a new one; its id is kept before waiting for it. */
async function restored(
  client: ControlClient,
  state: RebuildState,
  key: 'directoryOperation' | 'mailOperation',
  stateFile: string,
  params: Record<string, unknown>,
  quiet: boolean,
): Promise<Operation> {
  const known = state[key];
  if (known) {
    const op = await client.call('operation', { operationId: known });
    if (op.state === 'succeeded') return op;
    if (op.state === 'queued' || op.state === 'running') return finished(client, op.id, quiet);
  }
  const created = await client.call('createOperation', {}, { body: { kind: 'restore', params } });
  state[key] = created.id;
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  return finished(client, created.id, quiet);
}

/** The restore once it ended (its progress shown on a terminal), or an error saying how to go on. */
async function finished(client: ControlClient, id: string, quiet: boolean): Promise<Operation> {
  const op = await waitForOperation(client, id, quiet);
  if (op.state !== 'succeeded')
    throw new OffsiteError(
      `restore ${id} ${op.state}${op.error ? `: ${op.error}` : ''}; run rebuild again to retry`,
    );
  return op;
}

async function bundleOf(
  s3: ReturnType<typeof s3ClientFrom>,
  bucket: string,
  op: Operation,
): Promise<OpenBundle> {
  return openBundle(s3BundleSource(s3, bucket, op.id), op.result?.sha256 as string | undefined);
}

function mailTotals(reports: ApplyAccountReport[]): RebuildReport['mail'] {
  return {
    appended: reports.reduce((n, r) => n + r.appended, 0),
    alreadyThere: reports.reduce((n, r) => n + r.skipped, 0),
    bytes: reports.reduce((n, r) => n + r.bytes, 0),
    folders: reports.reduce((n, r) => n + r.folders, 0),
  };
}

function zimbraTotals(reports: ApplyAccountReport[]): RebuildReport['zimbra'] {
  const items: Record<string, number> = {};
  for (const r of reports)
    for (const [kind, n] of Object.entries(r.items ?? {})) items[kind] = (items[kind] ?? 0) + n;
  return {
    items,
    bytes: reports.reduce((n, r) => n + r.bytes, 0),
    notApplied: reports.reduce((n, r) => n + (r.notApplied?.length ?? 0), 0),
    failed: reports.reduce((n, r) => n + (r.failed?.length ?? 0), 0),
  };
}

function totals(reports: DavAccountReport[]): { added: number; alreadyThere: number; failed: number } {
  return {
    added: reports.reduce((n, r) => n + r.added, 0),
    alreadyThere: reports.reduce((n, r) => n + r.present, 0),
    failed: reports.reduce((n, r) => n + r.failed.length, 0),
  };
}

function describe(r: RebuildReport): string[] {
  return [
    `rebuilt ${r.serverId} as of ${r.at} in ${r.seconds} s (restores ${r.directoryOperation}, ${r.mailOperation})`,
    `  directory: ${r.directory.added} entries added (${r.directory.ancestorsAdded} parents), ${r.directory.existing.length} already there, ${r.directory.failed.length} not loaded`,
    ...(r.mail
      ? [
          `  mail: ${r.accounts} accounts, ${r.mail.appended} messages appended (${r.mail.bytes} bytes), ${r.mail.alreadyThere} already there`,
        ]
      : []),
    ...(r.zimbra
      ? [
          `  zimbra import: ${r.accounts} accounts, ${Object.entries(r.zimbra.items)
            .map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`)
            .join(
              ', ',
            )} (${r.zimbra.bytes} bytes of mail), ${r.zimbra.notApplied} the import cannot take, ${r.zimbra.failed} failed their check`,
        ]
      : []),
    ...(r.calendars
      ? [
          `  calendars: ${r.calendars.added} added, ${r.calendars.alreadyThere} already there, ${r.calendars.failed} failed`,
        ]
      : []),
    ...(r.contacts
      ? [
          `  contacts: ${r.contacts.added} added, ${r.contacts.alreadyThere} already there, ${r.contacts.failed} failed`,
        ]
      : []),
    `  not restored: ${r.unrestored} items (see the restore's report)`,
    ...r.directory.failed.map((f) => `  directory entry not loaded: ${f.dn}: ${f.reason}`),
  ];
}
