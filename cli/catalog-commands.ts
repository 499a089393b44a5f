import { writeFileSync } from 'node:fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { bucketFrom, controlClientFrom, regionFrom, s3ClientFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { CATALOG_OPTIONS, CatalogCommand } from '#cli/specs/catalog-group.ts';
import { STATUS_HEAD, statusFindings, statusRow } from '#cli/status-view.ts';
import { textTable } from '#cli/text-table.ts';
import { isoOption } from '#cli/time-option.ts';
import type { ItemView, RestorePoints, ScanRow, ServerStatus } from '#core/control-api.ts';
import { OffsiteError } from '#core/errors.ts';
import { describeEntity } from '#core/index/describe-entity.ts';
import { bodiesOf } from '#core/index/index-entity.ts';
import { describePosition } from '#core/index/redo-position.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { bodyOfFrame, PackError } from '#core/storage/body-pack.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { plaintextOf } from '#core/storage/plaintext.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

/** The catalog queries over the control API: restore points, accounts, a mailbox as of T, an item, search. */
export async function catalogCommand(
  command: CatalogCommand,
  { values, positionals, write, env }: CommandInput<typeof CATALOG_OPTIONS>,
): Promise<number> {
  const iso = (value: string | undefined, flag: string) => isoOption(value, flag, values.tz);
  const region = regionFrom(values.region, env);
  const client = await controlClientFrom(values.url, region, env);
  const account = positionals[0] ?? '';
  const show = (body: unknown, human: () => string[]) => {
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human().join('\n')}\n`);
  };
  const allServers = async () =>
    values.server ? [values.server] : (await client.call('servers', {})).servers;

  switch (command) {
    case 'quarantine': {
      const { quarantined } = await client.call('quarantine', {});
      show({ quarantined }, () =>
        quarantined.length === 0
          ? ['nothing is in quarantine']
          : quarantined.map(
              (r) =>
                `${r.key}\n    → ${r.quarantinedAs} (${r.problem}, check ${r.operationId}, ${r.at}): ${r.detail}`,
            ),
      );
      return 0;
    }
    case 'status': {
      const maxLag = values['max-lag'] === undefined ? undefined : Number(values['max-lag']);
      if (maxLag !== undefined && !(maxLag >= 0))
        throw new OffsiteError(`--max-lag takes a number of seconds, not ${values['max-lag']}`);
      const statuses = values.server
        ? [await client.call('serverStatus', { serverId: values.server })]
        : (await client.call('status', {})).servers;
      const now = Date.now();
      const findings = statuses.flatMap((s) => statusFindings(s, now, maxLag));
      show({ servers: statuses, findings }, () => [
        statuses.length === 0
          ? 'no server has shipped anything yet'
          : textTable(
              STATUS_HEAD,
              statuses.map((s) => statusRow(s, now)),
            ),
        ...findings.map((f) => `FINDING: ${f}`),
      ]);
      return findings.length > 0 ? 1 : 0;
    }
    case 'backup list': {
      const all: (RestorePoints & { status: ServerStatus })[] = [];
      const window = { from: iso(values.from, 'from'), to: iso(values.to, 'to') };
      for (const serverId of await allServers()) {
        // One request per server: the restore points and the status come from one read of its index.
        const { status, ...points } = await client.call(
          'restorePoints',
          { serverId },
          { query: { ...window, status: '1' } },
        );
        all.push({ ...points, status: status ?? (await client.call('serverStatus', { serverId })) });
      }
      const now = Date.now();
      show(all, () => all.flatMap((p) => [...describeRestorePoints(p), ...describeCurrency(p.status, now)]));
      return 0;
    }
    case 'scans': {
      const all: (ScanRow & { serverId: string })[] = [];
      for (const serverId of await allServers()) {
        const body = await client.call('scans', { serverId }, { query: { scan: values.scan } });
        all.push(...body.scans.map((row) => ({ ...row, serverId })));
      }
      show({ scans: all }, () => [
        textTable(
          ['TAKEN AT', 'KIND', 'SCAN', 'SERVER:MAILBOX', 'STATE', 'ADDED CHANGED DELETED'],
          all.map((r) => [
            r.takenAt,
            r.scanKind,
            r.scanId,
            `${r.serverId}:${r.mailboxId}`,
            r.state,
            r.changes ? `${r.changes.added} ${r.changes.changed} ${r.changes.deleted}` : (r.reason ?? ''),
          ]),
        ),
        ...all.flatMap((r) =>
          (r.details ?? []).map(
            (d) =>
              `  ${r.serverId}:${r.mailboxId}: ${d.change} ${d.key}${d.fields ? ` (${d.fields.join(', ')})` : ''}`,
          ),
        ),
      ]);
      return 0;
    }
    case 'accounts': {
      const body = await client.call(
        'accounts',
        {},
        { query: { at: iso(values.at, 'at'), deleted: values.deleted } },
      );
      show(body, () => [
        textTable(
          ['SERVER:MAILBOX', 'ACCOUNT ID', 'NAME', 'CREATED', 'DELETED'],
          body.accounts.map((a) => [
            `${a.serverId}:${a.mailboxId}`,
            a.accountId,
            a.name ?? '-',
            a.createdAt,
            a.deletedAt ?? '',
          ]),
        ),
      ]);
      return 0;
    }
    case 'domains': {
      const body = await client.call('domains', {}, { query: { at: iso(values.at, 'at') } });
      show(body, () => [
        textTable(
          ['DOMAIN', 'STATUS', 'ZIMBRA ID', 'SERVER'],
          body.domains.map((d) => [d.name, d.status ?? '', d.zimbraId, d.serverId]),
        ),
      ]);
      return 0;
    }
    case 'mailbox': {
      const body = await client.call('mailbox', { account }, { query: { at: iso(values.at, 'at') } });
      show(body, () => [
        `${body.serverId}:${body.mailboxId} account ${body.accountId}${body.name ? ` (${body.name})` : ''} as of ${body.at}`,
        textTable(
          ['FOLDER', 'ID', 'MESSAGES', 'CONTACTS', 'APPOINTMENTS', 'TASKS', 'DOCUMENTS', 'NOTES', 'BYTES'],
          body.folders.map((f) => [
            `${f.path}${f.kind ? ` (${f.kind === 'search' ? 'saved search' : 'mountpoint'})` : ''}`,
            f.id,
            f.messages,
            f.contacts,
            f.appointments,
            f.tasks,
            f.documents,
            f.notes,
            f.bytes,
          ]),
        ),
        ...body.uncertain.map(
          (u) =>
            `UNCERTAIN since ${u.since}: a ${u.op} record (${u.version}) at ${u.offset} of ${u.s3Key} did not decode (${u.reason}); a scan of this mailbox restates it`,
        ),
      ]);
      return 0;
    }
    case 'item': {
      const body = await client.call('item', { account, itemId: positionals[1] ?? '' });
      if (body.history.length === 0)
        throw new OffsiteError(`item ${positionals[1]} of ${positionals[0]} is not in the index`);
      const states = values.history ? body.history : body.history.slice(-1);
      if (values['dump-blob'])
        await dumpBlob(body, values['dump-blob'], values.bucket ?? env.OFFSITE_BUCKET, region, env);
      show(values.history ? body : { ...body, history: states }, () =>
        states.map(
          (s) =>
            `${s.from} → ${s.to ?? 'now'}  ${s.op}${s.endedBy ? ` (ended by ${s.endedBy})` : ''}  ${describeEntity(s.state)}`,
        ),
      );
      return 0;
    }
    case 'search': {
      const body = await client.call(
        'search',
        { account },
        {
          query: {
            at: iso(values.at, 'at'),
            type: values.type,
            folder: values.folder,
            from: values.from,
            subject: values.subject,
            to: values.to,
            attachment: values.attachment,
            before: iso(values.before, 'before'),
            after: iso(values.after, 'after'),
            deleted: values.deleted,
          },
        },
      );
      show(body, () => [
        textTable(
          ['ID', 'TYPE', 'FOLDER', 'RECEIVED / DELETED', 'FROM', 'SUBJECT'],
          body.items.map((m) => [
            m.id,
            m.type,
            m.folderId,
            m.deletedAt ? `deleted ${m.deletedAt}` : (m.receivedDate ?? m.start ?? ''),
            m.from ?? '',
            m.subject ?? '',
          ]),
        ),
      ]);
      return 0;
    }
  }
}

/** Records that leave their mailboxes uncertain: counted by op, the first twenty listed. */
function uncertainLines(marks: RestorePoints['undecoded'], title: (n: number) => string): string[] {
  if (marks.records.length === 0) return [];
  return [
    `  ${title(marks.records.length)} (${Object.entries(marks.byOp)
      .map(([op, n]) => `${op} ×${n}`)
      .join(', ')}); their mailboxes are uncertain until a scan restates them:`,
    ...marks.records
      .slice(0, 20)
      .map(
        (u) =>
          `    ${u.s3Key} at ${u.offset}: ${u.op} (${u.version}) mailbox ${u.mailboxId < 0 ? 'all' : u.mailboxId}: ${u.reason}${u.restatedAt ? ` (restated by a scan since)` : ''}`,
      ),
    ...(marks.records.length > 20 ? [`    … ${marks.records.length - 20} more (--json)`] : []),
  ];
}

/** Under a server's restore points: what its agent shipped against what is indexed. */
function describeCurrency(s: ServerStatus, now: number): string[] {
  const [, contact, shipped, applied, behind] = statusRow(s, now);
  return [
    `  agent: shipped up to ${shipped}, last contact ${contact}; indexed up to ${applied}; behind: ${behind}`,
  ];
}

function describeRestorePoints(p: RestorePoints): string[] {
  return [
    `server ${p.serverId}: indexing ${p.waiting.state}${p.waiting.reason ? ` (${p.waiting.reason})` : ''}${p.waiting.reindex ? ` (operation ${p.waiting.reindex.operationId}, ${p.waiting.reindex.phase} since ${p.waiting.reindex.startedAt})` : ''}, ${p.waiting.segments} segments waiting`,
    ...p.redo.map(
      (r) =>
        `  redo ${r.from} → ${r.to}  files ${r.firstSeq}-${r.lastSeq}, ${r.segments} segments, ${r.bytes} bytes (${r.storedBytes} stored)`,
    ),
    ...p.ldapDumps.map((d) => `  ldap ${d.dumpedAt}  ${d.entries} entries, ${d.bytes} bytes`),
    ...p.quarantined.map((q) => `  QUARANTINED ${q.s3Key}: ${q.reason}`),
    ...(Object.keys(p.notApplied).length === 0
      ? []
      : [
          `  NOT RESTORABLE YET: ${Object.entries(p.notApplied)
            .map(([op, n]) => `${op} ×${n}`)
            .join(', ')} (kept in the redo segments; this release does not index their data)`,
        ]),
    ...uncertainLines(p.undecoded, (n) => `UNDECODED ${n} records skipped`),
    ...uncertainLines(
      // Older control APIs do not answer this.
      p.resultNotRecorded ?? { byOp: {}, records: [] },
      (n) => `RESULT NOT IN THE REDO for ${n} ops`,
    ),
    ...p.bridges.map(
      (b) =>
        `  BRIDGED ${describePosition(b.from)} → ${describePosition(b.to)} at ${b.bridgedAt}${b.requestedBy ? ` by ${b.requestedBy}` : ''} (${b.reason}): ` +
        (b.unscanned.length > 0
          ? `${b.unscanned.length} of ${b.mailboxes} mailboxes approximate until scanned (${b.unscanned.slice(0, 10).join(', ')}${b.unscanned.length > 10 ? ', …' : ''})`
          : `every mailbox rescanned since`),
    ),
  ];
}

/**
 * Writes the body of the item's newest state (a message, a contact's blob, a document's current revision),
 * fetched from the blob store and checked against its digest.
 */
async function dumpBlob(
  body: ItemView,
  file: string,
  bucket: string | undefined,
  region: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const last = body.history.at(-1)?.state;
  const sha256 = last ? bodiesOf(last).at(-1)?.sha256 : undefined;
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256))
    throw new OffsiteError(
      'the item has no body (not a message, contact or document, or its body was never shipped)',
    );
  const name = bucketFrom(bucket, env, '--dump-blob');
  const location = body.bodies?.[sha256];
  let plain: Buffer;
  if (location) {
    // A packed body: its frame alone, by a ranged GET, decoded and checked as every reader does.
    const got = await s3ClientFrom(region, env).send(
      new GetObjectCommand({
        Bucket: name,
        Key: location.pack,
        Range: `bytes=${location.offset}-${location.offset + location.length - 1}`,
      }),
    );
    try {
      plain = bodyOfFrame(await objectBody(got, location.length), location);
    } catch (error) {
      if (!(error instanceof PackError)) throw error;
      throw new OffsiteError(
        `body ${sha256} in pack ${location.pack} ${error.message}: refusing to write it`,
      );
    }
  } else {
    const got = await s3ClientFrom(region, env).send(
      new GetObjectCommand({ Bucket: name, Key: blobKey(sha256) }),
    );
    // Decoded like every reader does (zstd, gzip or none), bounded: a forged object cannot fill the memory.
    plain = plaintextOf(await objectBody(got), got.Metadata?.codec);
    const actual = sha256Hex(plain);
    if (actual !== sha256)
      throw new OffsiteError(`blob ${blobKey(sha256)} has digest ${actual}: refusing to write it`);
  }
  writeFileSync(file, plain, { mode: 0o600 });
}
