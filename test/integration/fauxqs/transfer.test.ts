// fauxqs only: two local clouds (the source deployment and an empty one) in one run.
// Export and import against the ground truth: a simulated host is backed up into one deployment, its
// accounts are exported as they were at an instant, the export is read back with the AWS CLI alone, copied
// into an empty deployment's bucket (one body damaged on the way) and imported there; restores of the new
// deployment equal the source's truth at that instant, less exactly the items whose body was damaged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import {
  type ExportManifest,
  exportManifestSchema,
  parseExportMailbox,
} from '#core/transfer/export-format.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite } from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { shipLdapDumps } from '#test/support/ldap-dumps.ts';
import { localControl } from '#test/support/local-control.ts';
import { bodyLocation, damageFrame, storedBodies } from '#test/support/packed-bodies.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-transfer';
const TRANSFER_BUCKET = 'offsite-transfer';

describe('export, and import into an empty deployment', () => {
  let source: LocalCloud;
  let target: LocalCloud | undefined;
  let sim: MailHostSimulator;
  let at: number;
  let exported: Operation;
  let manifest: ExportManifest;
  const work = mkdtempSync(join(tmpdir(), 'offsite-transfer-'));
  const exportDir = join(work, 'export');
  const env = (cloud: LocalCloud) => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });
  const aws = async (cloud: LocalCloud, args: string[]) =>
    (
      await promisify(execFile)('aws', [...args, '--endpoint-url', cloud.endpoints.s3], {
        env: LOCAL_AWS_ENV,
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
  const clientOf = (cloud: LocalCloud) => localControl(cloud);
  async function run(cloud: LocalCloud, args: string[]): Promise<Operation> {
    const out = await offsite([...args, '--wait', '--json'], env(cloud));
    assert.ok(out.stdout, `offsite ${args.join(' ')}: ${out.stderr}`);
    return JSON.parse(out.stdout) as Operation;
  }
  async function restoreAll(cloud: LocalCloud, params: Record<string, unknown>) {
    const client = clientOf(cloud);
    const created = await client.request<Operation>('POST', '/operations', { kind: 'restore', params });
    const op = await operationEnded(client, created.id, 180_000, `restore ${created.id}`);
    assert.equal(op.state, 'succeeded', op.error);
    return openBundle(
      s3BundleSource(cloud.clients.s3, cloud.outputs.BackupBucketName as string, op.id),
      op.result?.sha256 as string,
    );
  }
  /** Every body the truth needs at `t` (messages, contacts and document revisions), by SHA-256. */
  const bodiesOf = (snapshot: MailSnapshot) =>
    new Set(
      Object.values(snapshot.mailboxes).flatMap((m) => [
        ...Object.values(m.messages).map((x) => x.sha256),
        ...Object.values(m.contacts).flatMap((c) => (c.sha256 ? [c.sha256] : [])),
        ...Object.values(m.documents).flatMap((d) => d.revisions.map((r) => r.sha256)),
      ]),
    );
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(join(dir, f)).isFile())
      .map((f) => relative(dir, join(dir, f)));

  before(async () => {
    source = await startTestCloud({ context: { offsite: { transferBuckets: [TRANSFER_BUCKET] } } });
    await source.clients.s3.send(new CreateBucketCommand({ Bucket: TRANSFER_BUCKET }));
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 31, accounts: 6, tickMaxMs: 120_000 });
    sim.run(400);
    sim.close();
    await shipSimulatedHost(
      source,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
    const times = sim.commitTimes();
    const dumps = Array.from({ length: 9 }, (_, i) =>
      Math.round((times[0] as number) - 1 + (((times.at(-1) as number) + 1 - (times[0] as number)) * i) / 8),
    );
    await shipLdapDumps(source, serverId, dumps, (t) => sim.directoryAt(t));
    // An instant in the second half, when an LDAP dump was taken: the export's directory (the last dump at or
    // before the instant) then names every account that has a mailbox, whatever the workload drew.
    at = dumps[6] as number;
    exported = await run(source, ['export', '--all', '--at', new Date(at).toISOString()]);
    process.stdout.write(`# export: ${JSON.stringify(exported.result)}\n`);
  });
  after(async () => {
    await target?.stop();
    await source?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes a self-contained export that the AWS CLI alone reads back: every body once, every file as its manifest says', async () => {
    assert.equal(exported.state, 'succeeded', exported.error);
    const url = exported.result?.export as string;
    assert.equal(url, `s3://${source.outputs.BackupBucketName}/exports/${exported.id}/`);
    await aws(source, ['s3', 'sync', url, exportDir, '--only-show-errors']);
    const manifestText = readFileSync(join(exportDir, 'manifest.json'));
    assert.equal(createHash('sha256').update(manifestText).digest('hex'), exported.result?.sha256);
    manifest = exportManifestSchema.parse(JSON.parse(manifestText.toString('utf8')));
    assert.equal(manifest.time, new Date(at).toISOString());
    const plain = (file: string, sha256: string) => {
      const bytes = zstdDecompressSync(readFileSync(join(exportDir, file)));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), sha256, file);
      return bytes;
    };
    // The mailboxes, item by item, are the truth at the instant.
    const truth = sim.truthAt(at);
    assert.deepEqual(
      manifest.mailboxes.map((m) => String(m.mailboxId)).sort(),
      Object.keys(truth.mailboxes).sort(),
    );
    for (const entry of manifest.mailboxes) {
      const mailbox = parseExportMailbox(plain(entry.file, entry.sha256).toString('utf8'));
      const expected = truth.mailboxes[String(entry.mailboxId)];
      assert.ok(expected);
      assert.equal(mailbox.header.accountId, expected.accountId);
      assert.deepEqual(
        Object.fromEntries(
          mailbox.messages.map(
            ({ id, folderId, flags, tags, digest, size, sha256, receivedDate, custom }) => [
              String(id),
              { folderId, flags, tags, digest, size, sha256, receivedDate, ...(custom ? { custom } : {}) },
            ],
          ),
        ),
        expected.messages,
        `messages of mailbox ${entry.mailboxId}`,
      );
      assert.deepEqual(
        Object.fromEntries(
          mailbox.contacts.map(({ id, folderId, fields, sha256, custom }) => [
            String(id),
            { folderId, fields, sha256, ...(custom ? { custom } : {}) },
          ]),
        ),
        expected.contacts,
      );
    }
    // Each body once (the workload delivers some messages to several mailboxes), each what its name says.
    const needed = bodiesOf(truth);
    const references = Object.values(truth.mailboxes).reduce((n, m) => n + Object.keys(m.messages).length, 0);
    const blobs = filesUnder(exportDir).filter((f) => f.startsWith('blobs/'));
    assert.equal(blobs.length, needed.size);
    assert.equal(manifest.blobs.count, needed.size);
    assert.ok(references > needed.size, `deduplicated: ${references} references, ${needed.size} bodies`);
    for (const file of blobs) {
      const sha256 = file.split('/').at(-1) as string;
      assert.ok(needed.has(sha256), `${file} is needed`);
      plain(file, sha256);
    }
    // The directory: every account, its domain, every class of service, as the LDAP dumps had them.
    const directory = manifest.servers.find((s) => s.serverId === serverId)?.directory;
    assert.ok(directory);
    const entries = parseLdif(plain(directory.file, directory.sha256).toString('utf8'));
    const accounts = new Set(Object.values(truth.mailboxes).map((m) => m.accountId));
    const ids = new Set(entries.flatMap((e) => e.attributes.zimbraId ?? []));
    for (const id of accounts) assert.ok(ids.has(id), `account ${id} is in the directory`);
    assert.deepEqual(manifest.unexported, []);
    // Plain zstd-compressed files: nothing else is needed to read them.
    assert.ok(Number(exported.result?.storedBytes) < Number(exported.result?.bytes));
  });

  it('imports it into an empty deployment, whose restores then equal the source at the instant, less what was damaged', async () => {
    target = await startTestCloud();
    const bucket = target.outputs.BackupBucketName as string;
    // A manifest that fails its schema changes nothing and says what is wrong.
    await target.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'exports/broken/manifest.json',
        Body: JSON.stringify({
          ...manifest,
          mailboxes: [{ ...manifest.mailboxes[0], file: '../../etc/passwd' }],
        }),
      }),
    );
    const broken = await run(target, ['import', `s3://${bucket}/exports/broken/`]);
    assert.equal(broken.state, 'failed');
    assert.match(broken.error ?? '', /mailboxes\.0\.file.*must be mailboxes\/000000\.jsonl\.zst/);
    const missing = await run(target, ['import', `s3://${bucket}/exports/nothing-here/`]);
    assert.equal(missing.state, 'failed');
    assert.match(missing.error ?? '', /no export at .*manifest\.json cannot be read/);

    // The export travels to the new deployment's bucket with the AWS CLI; one body is damaged on the way.
    const truth = sim.truthAt(at);
    const shared = Object.values(truth.mailboxes)
      .flatMap((m) => Object.values(m.messages).map((x) => x.sha256))
      .find((sha, i, all) => all.indexOf(sha) !== i) as string;
    assert.ok(shared, 'a body several messages share');
    const damaged = join(exportDir, blobKey(shared));
    const original = readFileSync(damaged);
    writeFileSync(damaged, zstdCompressSync(Buffer.from('not the message you are looking for')));
    await aws(target, ['s3', 'sync', exportDir, `s3://${bucket}/exports/migrated/`, '--only-show-errors']);
    writeFileSync(damaged, original);

    const imported = await run(target, ['import', `s3://${bucket}/exports/migrated/`]);
    process.stdout.write(`# import: ${JSON.stringify(imported.result)}\n`);
    assert.equal(imported.state, 'succeeded', imported.error);
    const expected = structuredClone(truth);
    let lost = 0;
    for (const mailbox of Object.values(expected.mailboxes))
      for (const [id, message] of Object.entries(mailbox.messages))
        if (message.sha256 === shared) {
          delete mailbox.messages[id];
          lost++;
        }
    assert.ok(lost >= 2);
    assert.equal(imported.result?.unimported, lost, 'exactly the messages of the damaged body are left out');
    assert.equal(imported.result?.indexed, manifest.mailboxes.length, 'the indexer applied every mailbox');
    assert.deepEqual(imported.result?.rejected, []);

    for (const point of [{ at }, {}]) {
      const bundle = await restoreAll(target, { mode: 'point-in-time', all: true, ...point });
      assert.deepEqual(await snapshotOfBundle(bundle), comparableSnapshot(expected), JSON.stringify(point));
      const names = Object.fromEntries(bundle.accounts.map((a) => [a.account.zimbraId, a.account.name]));
      const sourceNames = Object.fromEntries(
        (await restoreAll(source, { mode: 'point-in-time', all: true, at })).accounts.map((a) => [
          a.account.zimbraId,
          a.account.name,
        ]),
      );
      assert.deepEqual(names, sourceNames, 'accounts are named as in the source');
    }
    // The directory as the source had it at the instant.
    const ldifOf = async (cloud: LocalCloud) => {
      const bundle = await restoreAll(cloud, { mode: 'ldap', all: true, at });
      const file = bundle.manifest.directory;
      assert.ok(file);
      return parseLdif((await bundle.file(file.file, file.sha256)).toString('utf8'))
        .map((e) => e.dn)
        .sort();
    };
    assert.deepEqual(await ldifOf(target), await ldifOf(source));

    // The body left out is not in the new store; the others are, packed and located, each once; nothing was
    // stored one object per body.
    const wanted = [...bodiesOf(truth)].filter((sha256) => sha256 !== shared);
    for (const sha256 of wanted) assert.ok(await bodyLocation(target, sha256), `body ${sha256} is located`);
    assert.equal(await bodyLocation(target, shared), undefined, 'the damaged body is not taken in');
    const packed = await storedBodies(target);
    assert.deepEqual([...packed].sort(), wanted.sort(), 'the packs hold every body taken in');
    const single = await aws(target, ['s3', 'ls', `s3://${bucket}/blobs/`, '--recursive']).catch(() => '');
    assert.equal(single.trim(), '', 'no body stored alone');

    // A second import would mix two histories of one server: refused.
    const again = await run(target, ['import', `s3://${bucket}/exports/migrated/`]);
    assert.equal(again.state, 'failed');
    assert.match(again.error ?? '', new RegExp(`already backs up server ${serverId}`));

    // Once applied, the imported snapshots are inputs like any other: a purge past them removes the objects,
    // not what the index took from them, and what is left checks clean.
    assert.equal((await offsite(['retention', 'set', '--default-days', '1'], env(target))).code, 0);
    const purge = await run(target, ['ops', 'start', 'purge']);
    assert.equal(purge.state, 'succeeded', purge.error);
    assert.equal(purge.result?.scanSnapshotsPurged, manifest.mailboxes.length);
    assert.equal(purge.result?.ldapDumpsPurged, 0, 'the one dump is the directory at the cutoff');
    const left = await aws(target, [
      's3api',
      'list-objects-v2',
      '--bucket',
      bucket,
      '--prefix',
      `servers/${serverId}/scans/`,
      '--query',
      'length(Contents || `[]`)',
    ]);
    assert.equal(left.trim(), '0', 'the snapshots are gone from the bucket');
    const after = await restoreAll(target, { mode: 'point-in-time', all: true, at });
    assert.deepEqual(await snapshotOfBundle(after), comparableSnapshot(expected));
    const check = await run(target, ['ops', 'start', 'coherency', '--params', '{"readData":true}']);
    assert.equal(check.state, 'succeeded', check.error);
  });

  it('exports a domain to a transfer bucket, reports a body the backup lost, and refuses a used or foreign destination', async () => {
    const bucket = source.outputs.BackupBucketName as string;
    const truth = sim.truthAt(at);
    // The accounts of example.org at the instant, as the first export (of everything) named them.
    const inDomain = manifest.mailboxes
      .filter((m) => m.accountName.endsWith('@example.org'))
      .map((m) => [String(m.mailboxId), truth.mailboxes[String(m.mailboxId)]] as const);
    assert.ok(inDomain.length > 0 && inDomain.length < manifest.mailboxes.length);
    const [, victim] = inDomain.find(([, m]) => Object.keys(m?.messages ?? {}).length > 0) ?? [];
    assert.ok(victim);
    const lostBody = Object.values(victim.messages)[0]?.sha256 as string;
    // Its frame in its pack damaged: that body alone is lost (the pack's other bodies read).
    const lostAt = await bodyLocation(source, lostBody);
    assert.ok(lostAt);
    await damageFrame(source, lostAt);

    const to = `s3://${TRANSFER_BUCKET}/archive/2026/`;
    const op = await run(source, [
      'export',
      '--domain',
      'example.org',
      '--at',
      new Date(at).toISOString(),
      '--to',
      to,
    ]);
    assert.equal(op.state, 'succeeded', op.error);
    assert.equal(op.result?.export, to);
    const domainManifest = exportManifestSchema.parse(
      JSON.parse(await aws(source, ['s3', 'cp', `${to}manifest.json`, '-'])),
    );
    assert.deepEqual(
      domainManifest.mailboxes.map((m) => String(m.mailboxId)).sort(),
      inDomain.map(([id]) => id).sort(),
    );
    const lostItems = inDomain.flatMap(([id, m]) =>
      Object.entries(m?.messages ?? {})
        .filter(([, x]) => x.sha256 === lostBody)
        .map(([item]) => `${id}:${item}`),
    );
    assert.deepEqual(
      domainManifest.unexported
        .map((u) => `${domainManifest.mailboxes[u.mailbox]?.mailboxId}:${u.id}`)
        .sort(),
      lostItems.sort(),
    );
    assert.ok(domainManifest.unexported.every((u) => ['digest-mismatch', 'broken-item'].includes(u.reason)));

    for (const [args, error] of [
      [['--to', to], /already holds an export/],
      [['--to', 's3://someone-elses-bucket/x/'], /not a transfer bucket of this deployment/],
      [['--to', `s3://${bucket}/servers/`], /under exports\/<name>\//],
    ] as const) {
      const refused = await run(source, ['export', '--domain', 'example.org', ...args]);
      assert.equal(refused.state, 'failed', JSON.stringify(args));
      assert.match(refused.error ?? '', error);
    }
    const bad = await offsite(['export', '--all', '--to', `s3://${TRANSFER_BUCKET}/a/../b`], env(source));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /prefix/);
  });
});
