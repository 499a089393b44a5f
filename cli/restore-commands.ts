import { readFileSync } from 'node:fs';
import { applyToMbox, applyToTgz } from '#agent/restore/apply-archive.ts';
import { applyToDav, parseDavUrl } from '#agent/restore/apply-dav.ts';
import { applyToImap, parseImapUrl } from '#agent/restore/apply-imap.ts';
import { applyToLdap, DIRECTORY_ADMIN_DN, parseLdapUrl } from '#agent/restore/apply-ldap.ts';
import { applyToMaildir } from '#agent/restore/apply-maildir.ts';
import { type ApplyAccountReport, selectedAccounts } from '#agent/restore/apply-report.ts';
import { applyToZimbra, parseZimbraUrl } from '#agent/restore/apply-zimbra.ts';
import { type BundleSource, directoryBundleSource, s3BundleSource } from '#agent/restore/bundle-source.ts';
import { bundleFileCount, downloadBundle } from '#agent/restore/download-bundle.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import { parallelOption, preauthKeyOption, resolveOption } from '#cli/apply-options.ts';
import { bucketFrom, controlClientFrom, regionFrom, s3ClientFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { describeOperation, waitForOperation } from '#cli/operation-view.ts';
import { ProgressBar } from '#cli/progress-bar.ts';
import { readRestoreReport } from '#cli/restore-report.ts';
import type { RESTORE_OPTIONS, RestoreSubcommand } from '#cli/specs/restore-group.ts';
import { isoOption } from '#cli/time-option.ts';
import { OffsiteError } from '#core/errors.ts';
import type { Operation } from '#core/operation.ts';
import type { RestoreReport } from '#core/restore/restore-report.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `offsite restore …`: start a restore, follow it, read its report, download or apply its bundle. */
export async function restoreCommand(
  sub: RestoreSubcommand,
  { values, positionals, write, env }: CommandInput<typeof RESTORE_OPTIONS>,
): Promise<number> {
  const region = regionFrom(values.region, env);
  const time = (value: string | undefined, flag: string) => isoOption(value, flag, values.tz);
  const show = (body: unknown, human: () => string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human().join('\n')}\n`);
  const operationArg = () => {
    const id = positionals[0];
    if (positionals.length !== 1 || !id || !UUID.test(id))
      throw new OffsiteError(`offsite restore ${sub} takes one operation id (a UUID)`);
    return id;
  };

  if (sub === 'status' || sub === 'stop') {
    const client = await controlClientFrom(values.url, region, env);
    const id = operationArg();
    const op =
      sub === 'stop'
        ? await client.call('stopOperation', { operationId: id })
        : values.wait
          ? await waitForOperation(client, id, values.json)
          : await client.call('operation', { operationId: id });
    show(op, () => describeOperation(op));
    return op.state === 'failed' ? 1 : 0;
  }
  if (sub === 'report') {
    const id = operationArg();
    const s3 = s3ClientFrom(region, env);
    const bucket = bucketFrom(values.bucket, env, 'offsite restore report');
    const report = await readRestoreReport(s3, bucket, id);
    show(report, () => describeReport(report));
    return 0;
  }
  if (sub === 'download') {
    const id = operationArg();
    if (!values.dir) throw new OffsiteError(`offsite restore download needs --dir DIR`);
    const bundle = await bundleOf(id, undefined);
    const bar = new ProgressBar('download', bundleFileCount(bundle));
    const report = await downloadBundle(bundle, values.dir, (bytes) => bar.tick(bytes));
    bar.finish();
    show({ operationId: id, dir: values.dir, ...report }, () => [
      `downloaded ${report.files} files (${report.bytes} bytes) to ${values.dir}, ${report.kept} already there; every SHA-256 checked`,
    ]);
    return 0;
  }
  if (sub === 'apply') {
    if (!values.to) throw new OffsiteError(`offsite restore apply needs --to TARGET`);
    if (
      !/^(imaps?:\/\/|ldaps?:\/\/|caldav:\/\/|carddav:\/\/|zimbra:\/\/|maildir:|mbox:|tgz:)/i.test(values.to)
    )
      throw unknownTarget(values.to);
    const fromDir = values['from-dir'];
    if (fromDir !== undefined && positionals.length > 0)
      throw new OffsiteError('give an operation id or --from-dir, not both');
    const bundle = await bundleOf(fromDir === undefined ? operationArg() : undefined, fromDir);
    if (/^ldaps?:/.test(values.to)) return applyDirectory(bundle, values.to);
    if (/^(caldav|carddav):/i.test(values.to)) return applyDav(bundle, values.to);
    if (values.user) throw new OffsiteError('--user applies to caldav:// and carddav:// targets only');
    if (!/^zimbra:/i.test(values.to) && (values.resolve || values['preauth-key-env']))
      throw new OffsiteError('--resolve and --preauth-key-env apply to zimbra:// targets only');
    if (values['bind-dn'] || values.replace || values['mail-host'])
      throw new OffsiteError('--bind-dn, --replace and --mail-host apply to ldap:// targets only');
    const accounts = values.account ?? [];
    const total = selectedAccounts(bundle.accounts, accounts).reduce(
      (sum, [, a]) => sum + a.messages.length,
      0,
    );
    const bar = new ProgressBar('apply', total);
    const parallel = parallelOption(values.parallel);
    if (parallel !== undefined && !/^imaps?:/i.test(values.to))
      throw new OffsiteError('--parallel applies to imap:// targets');
    const options = {
      accounts,
      onMessage: (bytes: number) => bar.tick(bytes),
      ...(parallel !== undefined ? { parallel } : {}),
    };
    const reports = await applyTo(bundle, values.to, options, values, env);
    bar.finish();
    show({ target: values.to.replace(/\/\/[^@/]*@/, '//'), accounts: reports }, () =>
      reports.flatMap((r) => [
        r.items
          ? `${r.account} → ${r.target}: ${Object.entries(r.items)
              .map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`)
              .join(', ')} (${r.bytes} bytes of mail)`
          : `${r.account} → ${r.target}: ${r.appended} appended (${r.bytes} bytes), ${r.skipped} already present, ${r.folders} folders${r.contactsNotApplied ? `, ${r.contactsNotApplied} contacts kept in the bundle only` : ''}`,
        ...(r.notApplied ?? []).map((n) => `  not applied: ${n.kind} ${n.id}: ${n.reason}`),
        ...(r.failed ?? []).map((n) => `  FAILED: ${n.kind} ${n.id}: ${n.reason}`),
      ]),
    );
    // An item left out because its body failed its check is a finding.
    return reports.some((r) => (r.failed?.length ?? 0) > 0) ? 1 : 0;
  }

  // Starting a restore.
  if (values['new-account'] !== undefined && values.prefix !== undefined)
    throw new OffsiteError('give --new-account or --prefix, not both');
  const newAccount =
    values['new-account'] !== undefined
      ? { name: values['new-account'] }
      : values.prefix !== undefined
        ? { prefix: values.prefix }
        : undefined;
  const selection = {
    accounts: sub === 'item' ? positionals.slice(0, 1) : positionals,
    ...(values.domain ? { domains: values.domain } : {}),
    ...(values.all ? { all: true } : {}),
    ...(values.server ? { serverId: values.server } : {}),
  };
  let params: Record<string, unknown>;
  switch (sub) {
    case 'undelete':
      if (!values.from) throw new OffsiteError(`offsite restore undelete needs --from TIME`);
      params = {
        mode: sub,
        ...selection,
        from: time(values.from, 'from'),
        to: time(values.to, 'to'),
        folder: values.folder,
      };
      break;
    case 'item': {
      const ids = positionals.slice(1).map(Number);
      if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1))
        throw new OffsiteError(`offsite restore item takes an account and item ids (positive integers)`);
      params = { mode: sub, ...selection, itemIds: ids, at: time(values.at, 'at'), folder: values.folder };
      break;
    }
    case 'deleted-account':
      params = { mode: sub, ...selection };
      break;
    case 'ldap':
      params = {
        mode: sub,
        ...selection,
        at: time(values.at, 'at'),
        ...(values['with-secrets'] ? { withSecrets: true } : {}),
      };
      break;
    default:
      params = {
        mode: 'point-in-time',
        ...selection,
        at: time(values.at, 'at'),
        sequence: values.seq,
        skipDeletes: values['skip-deletes'] || undefined,
      };
  }
  if (newAccount) params.newAccount = newAccount;
  const client = await controlClientFrom(values.url, region, env);
  const created = await client.call(
    'createOperation',
    {},
    {
      body: {
        kind: 'restore',
        params: JSON.parse(JSON.stringify(params)),
      },
    },
  );
  const apply = values.apply;
  if (apply === undefined && (values['bind-dn'] || values.replace || values['mail-host'] || values.insecure))
    throw new OffsiteError('--bind-dn, --replace, --mail-host and --insecure go with --apply ldap[s]://…');
  if (apply !== undefined) parseLdapUrl(apply);
  const op =
    values.wait || apply !== undefined ? await waitForOperation(client, created.id, values.json) : created;
  if (apply === undefined || op.state !== 'succeeded') {
    show(op, () => describeOperation(op));
    return op.state === 'failed' ? 1 : 0;
  }
  return applyDirectory(await bundleOf(op.id, undefined), apply, op);

  /** Writes the bundle's calendars or address books to a DAV server; 1 when an object could not be written. */
  async function applyDav(bundle: OpenBundle, url: string): Promise<number> {
    const { kind, base } = parseDavUrl(url, values.insecure);
    if (!values.user) throw new OffsiteError(`a ${kind}:// target needs --user USER`);
    const password = passwordFrom(values, env, 'OFFSITE_DAV_PASSWORD', 'DAV');
    const accounts = values.account ?? [];
    const total = selectedAccounts(bundle.accounts, accounts).reduce(
      (sum, [, a]) =>
        sum +
        (kind === 'caldav' ? a.calendars : a.addressBooks).reduce(
          (n, f) => n + ('components' in f ? f.components : f.cards),
          0,
        ),
      0,
    );
    const bar = new ProgressBar(kind, total);
    const reports = await applyToDav(
      bundle,
      { kind, base, user: values.user, password },
      { accounts, onObject: () => bar.tick(0) },
    );
    bar.finish();
    show({ target: base, accounts: reports }, () =>
      reports.flatMap((r) => [
        `${r.account} → ${r.target}: ${r.added} added, ${r.present} already there, ${r.collections} ${kind === 'caldav' ? 'calendars' : 'address books'}${r.withoutUid ? `, ${r.withoutUid} without a UID left out` : ''}`,
        ...r.failed.map((f) => `  not written: ${f.collection} ${f.uid}: ${f.reason}`),
      ]),
    );
    return reports.some((r) => r.failed.length > 0) ? 1 : 0;
  }

  /** Loads the bundle's directory into an LDAP server; 1 when an entry could not be loaded. */
  async function applyDirectory(bundle: OpenBundle, url: string, op?: Operation): Promise<number> {
    const password = passwordFrom(values, env, 'OFFSITE_LDAP_PASSWORD', 'LDAP');
    const entries = bundle.manifest.directory?.entries ?? 0;
    const bar = new ProgressBar('directory', entries);
    const report = await applyToLdap(
      bundle,
      {
        url: parseLdapUrl(url),
        bindDn: values['bind-dn'] ?? DIRECTORY_ADMIN_DN,
        password,
        ...(values.insecure ? { insecure: true } : {}),
      },
      {
        replace: values.replace,
        ...(values['mail-host'] ? { mailHost: values['mail-host'] } : {}),
        onEntry: () => bar.tick(0),
      },
    );
    bar.finish();
    show({ ...(op ? { operationId: op.id } : {}), ...report }, () => [
      `${report.target}: ${report.added} of ${report.entries} entries added${report.ancestorsAdded ? ` (and ${report.ancestorsAdded} parents they needed)` : ''}, ${report.replaced} replaced, ${report.existing.length} already there and left alone${report.existing.length && !values.replace ? ' (--replace changes them)' : ''}`,
      ...report.failed.map((f) => `  not loaded: ${f.dn}: ${f.reason}`),
    ]);
    return report.failed.length > 0 ? 1 : 0;
  }

  async function bundleOf(operationId: string | undefined, dir: string | undefined): Promise<OpenBundle> {
    if (dir !== undefined) return openBundle(directoryBundleSource(dir));
    const id = operationId as string;
    const client = await controlClientFrom(values.url, region, env);
    const op = await client.call('operation', { operationId: id });
    if (op.kind !== 'restore') throw new OffsiteError(`operation ${id} is a ${op.kind}, not a restore`);
    if (op.state !== 'succeeded')
      throw new OffsiteError(
        `restore ${id} is ${op.state}${op.error ? ` (${op.error})` : ''}: its bundle is not complete`,
      );
    const source: BundleSource = s3BundleSource(
      s3ClientFrom(region, env),
      bucketFrom(values.bucket, env, `offsite restore ${sub}`),
      id,
    );
    return openBundle(source, op.result?.sha256 as string | undefined);
  }
}

async function applyTo(
  bundle: OpenBundle,
  to: string,
  options: { accounts: string[]; onMessage: (bytes: number) => void; parallel?: number },
  values: {
    'master-user'?: string;
    'admin-user'?: string;
    'password-env'?: string;
    'password-file'?: string;
    insecure?: boolean;
    resolve?: string;
    'preauth-key-env'?: string;
  },
  env: NodeJS.ProcessEnv,
): Promise<ApplyAccountReport[]> {
  const colon = to.indexOf(':');
  const scheme = colon > 0 ? to.slice(0, colon) : '';
  const rest = to.slice(colon + 1);
  const remote = scheme === 'imap' || scheme === 'imaps' || scheme === 'zimbra';
  if (!remote && (values['password-env'] || values['password-file'] || values.insecure))
    throw new OffsiteError('--insecure and the password options apply to imap:// and zimbra:// targets only');
  if (scheme === 'zimbra' && (values['master-user'] || values['admin-user']))
    throw new OffsiteError(
      'a zimbra:// URL names its administrator (zimbra://ADMIN@host); --admin-user is for imap://',
    );
  if (!remote && (values['master-user'] || values['admin-user']))
    throw new OffsiteError('--admin-user and --master-user apply to imap:// targets only');
  switch (scheme) {
    case 'maildir':
      return applyToMaildir(bundle, rest, options);
    case 'mbox':
      return applyToMbox(bundle, rest, options);
    case 'tgz':
      return applyToTgz(bundle, rest, options);
    case 'imap':
    case 'imaps': {
      const password = passwordFrom(values, env, 'OFFSITE_IMAP_PASSWORD', 'IMAP');
      return applyToImap(
        bundle,
        {
          ...parseImapUrl(to),
          password,
          ...(values['master-user'] ? { masterUser: values['master-user'] } : {}),
          ...(values['admin-user'] ? { adminUser: values['admin-user'] } : {}),
          ...(values.insecure ? { insecure: true } : {}),
        },
        options,
      );
    }
    case 'zimbra': {
      const resolve = resolveOption(values.resolve);
      if (values['preauth-key-env'] && (values['password-env'] || values['password-file']))
        throw new OffsiteError('give a password or --preauth-key-env, not both');
      const preauthKey = preauthKeyOption(values['preauth-key-env'], env);
      return applyToZimbra(
        bundle,
        {
          ...parseZimbraUrl(to, values.insecure),
          ...(preauthKey
            ? { preauthKey }
            : { password: passwordFrom(values, env, 'OFFSITE_ZIMBRA_PASSWORD', 'Zimbra administrator') }),
          resolve,
          ...(values.insecure ? { insecure: true } : {}),
        },
        options,
      );
    }
    default:
      throw unknownTarget(to);
  }
}

/** A target's password: from --password-file (its last newline dropped), --password-env, or `defaultEnv`. */
function passwordFrom(
  values: { 'password-env'?: string; 'password-file'?: string },
  env: NodeJS.ProcessEnv,
  defaultEnv: string,
  what: string,
): string {
  const password = values['password-file']
    ? readFileSync(values['password-file'], 'utf8').replace(/\r?\n$/, '')
    : env[values['password-env'] ?? defaultEnv];
  if (password === undefined || password === '')
    throw new OffsiteError(
      `the ${what} password: --password-env VAR, --password-file FILE, or ${defaultEnv}`,
    );
  return password;
}

function unknownTarget(to: string): OffsiteError {
  return new OffsiteError(
    `unknown target ${JSON.stringify(to)}: imap://…, imaps://…, zimbra://…, caldav://…, carddav://…, ldap://…, ldaps://…, maildir:DIR, mbox:DIR or tgz:FILE`,
  );
}

function describeReport(report: RestoreReport): string[] {
  const lines = [
    `restore ${report.operationId} (${report.mode}) at ${report.point.time ?? report.point.position}`,
  ];
  for (const a of report.accounts) {
    lines.push(
      `${a.name}${a.target !== a.name ? ` → ${a.target}` : ''}: ${a.restored} restored (${a.bytes} bytes), ${a.unrestored.length} unrestored`,
    );
    for (const u of a.unrestored) lines.push(`  ${u.kind} ${u.id}: ${u.reason} — ${u.detail}`);
    // Reports of operations finished before uncertain marks were recorded have none.
    for (const u of a.uncertain ?? [])
      lines.push(
        `  UNCERTAIN since ${u.since}: a ${u.op} record (${u.version}) at ${u.offset} of ${u.s3Key} did not decode (${u.reason}); the account may lack what it did until a scan restates it`,
      );
  }
  lines.push(
    `total: ${report.totals.restored} restored, ${report.totals.unrestored} unrestored, ${report.totals.bytes} bytes`,
  );
  return lines;
}
