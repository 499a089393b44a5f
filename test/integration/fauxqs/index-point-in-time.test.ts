// fauxqs only: moto's SQS is too slow for a multi-day workload's announcements.
// A multi-day workload (renames, moves, deletes, emptied folders, deleted mailboxes) is shipped by the real
// agent and indexed by the indexer function; the index then answers "mailbox as of T" exactly as the
// simulator's ground truth has it, at 100 random instants.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { inviteSummary } from '#core/calendar/invite-metadata.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import { scopeKeys, versionsEnded } from '#core/index-keys.ts';
import type { CalendarItemState, MailSnapshot } from '#core/mail-snapshot.ts';
import { plainBlob } from '#core/scan/plain-blob.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { serverScopes } from '#functions/index/server-scopes.ts';
import { upgradeVersionKeys } from '#functions/index/upgrade-version-keys.ts';
import { mailboxAsOf, mailboxesAsOf } from '#functions/query/mailbox-as-of.ts';
import { queryAll } from '#functions/query/query-all.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';
import { forceActions } from '#test/support/forced-actions.ts';
import { indexTable, useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { randomInstants } from '#test/support/random-instants.ts';

// The soak suite asks for more (OFFSITE_INSTANTS).
const INSTANTS = Number(process.env.OFFSITE_INSTANTS ?? 100);

describe('the index answers "mailbox as of T"', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-index-'));
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function snapshotAt(serverId: string, time: number): Promise<MailSnapshot> {
    const table = indexTable(cloud);
    const snapshot: MailSnapshot = { mailboxes: {} };
    const { mailboxes } = await mailboxesAsOf(table, serverId, time);
    for (const mailboxId of mailboxes.keys()) {
      const found = await mailboxAsOf(table, serverId, mailboxId, time);
      if (found) snapshot.mailboxes[String(mailboxId)] = mailboxStateOf(found.mailbox, found.entities);
    }
    return snapshot;
  }

  let sim: MailHostSimulator;
  const serverId = 'srv-pit';

  it(`equals the ground truth at ${INSTANTS} random instants of a three-day workload`, async () => {
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 5,
      accounts: 6,
      rolloverBytes: 192 * 1024,
      tickMaxMs: 120_000,
    });
    sim.run(1500);
    // Whatever the seed drew, these happen (forceActions throws when one cannot).
    forceActions(sim, [
      'rename-account',
      'delete-mailbox',
      'empty-trash',
      'move',
      'rename-folder',
      'create-note',
      'comment-document',
    ]);
    sim.close();
    assert.ok((sim.counts['deliver-shared'] ?? 0) > 0, 'the workload delivered to several mailboxes at once');
    const times = sim.commitTimes();
    const first = times[0] as number;
    const last = times.at(-1) as number;
    assert.ok(last - first > 2 * 86_400_000, 'the workload spans more than two days');

    const config = parseAgentConfig({
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      aws: {
        region: 'us-east-1',
        bucket: cloud.outputs.BackupBucketName,
        ingestQueueUrl: cloud.outputs.IngestQueueUrl,
      },
      segment: { maxMiB: 48 / 1024 },
    });
    const shipper = await Shipper.open({
      config,
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    await shipper.shipOnce();
    useLocalIndex(cloud);
    const cursor = await waitForIndexed(cloud, config.serverId, 240_000);
    assert.equal(cursor.pending.length, 0, 'no transaction is left open after a clean close');

    const instants = randomInstants(times, INSTANTS, seededRandom(3));
    let items = 0;
    for (const t of instants) {
      const truth = sim.truthAt(t);
      assert.deepEqual(await snapshotAt(config.serverId, t), truth, `state at ${new Date(t).toISOString()}`);
      for (const m of Object.values(truth.mailboxes))
        items += Object.keys(m.messages).length + Object.keys(m.contacts).length;
    }
    process.stdout.write(
      `# soak ${JSON.stringify({ step: 'mailbox state as of T', instants: instants.length, itemsCompared: items, mismatches: 0 })}\n`,
    );
    // Before the first commit nothing existed; after the last, everything is as it is now.
    assert.deepEqual(await snapshotAt(config.serverId, first - 1), { mailboxes: {} });
    assert.deepEqual(await snapshotAt(config.serverId, last + 1), sim.current());
  });

  it('the CLI answers over the control API: restore points, accounts, mailbox as of T, item history, search', async () => {
    const cli = async (...args: string[]) => {
      const out = await offsite([...args, '--json', '--url', cloud.outputs.ControlUrl as string], {
        AWS_ENDPOINT_URL_S3: cloud.endpoints.s3,
      });
      assert.equal(out.code, 0, `offsite ${args.join(' ')}: ${out.stderr}`);
      return JSON.parse(out.stdout);
    };
    const times = sim.commitTimes();
    const [points] = await cli('backup', 'list', '--server', serverId);
    assert.equal(points.redo.length, 1, 'one unbroken redo range');
    assert.ok(
      Date.parse(points.redo[0].from) <= (times[0] as number),
      'the range starts by the first commit',
    );
    assert.ok(Date.parse(points.redo[0].to) >= (times.at(-1) as number), 'and ends after the last');
    assert.equal(points.waiting.state, 'ok');
    // Every op the workload writes (calendar ops included) is applied: none is counted as kept only.
    assert.ok((sim.counts.invite ?? 0) > 0, 'the workload files invitations');
    assert.deepEqual(points.notApplied, {});
    assert.deepEqual(points.undecoded.byOp, {});

    const mid = times[Math.floor(times.length / 2)] as number;
    const truth = sim.truthAt(mid);
    const { accounts } = await cli('accounts', '--at', new Date(mid).toISOString(), '--deleted');
    const live = accounts.filter((a: { deletedAt?: string }) => !a.deletedAt);
    assert.deepEqual(
      live.map((a: { mailboxId: number }) => String(a.mailboxId)).sort(),
      Object.keys(truth.mailboxes).sort(),
    );
    const { accounts: now } = await cli('accounts', '--deleted');
    assert.ok(
      now.some((a: { deletedAt?: string }) => a.deletedAt),
      'a deleted mailbox is listed with --deleted',
    );

    // Mailbox as of T, in the Zimbra time form and an operator's zone, addressed by account id: the fullest
    // one then of those that still hold mail now (its history is looked at below).
    const [mailboxId, state] = Object.entries(truth.mailboxes)
      .filter(([id]) => Object.keys(sim.current().mailboxes[id]?.messages ?? {}).length > 0)
      .sort((a, b) => Object.keys(b[1].messages).length - Object.keys(a[1].messages).length)[0] as [
      string,
      (typeof truth.mailboxes)[string],
    ];
    const zimbraTime = new Date(mid)
      .toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' })
      .replaceAll('-', '/');
    const mailbox = await cli('mailbox', state.accountId, '--at', zimbraTime, '--tz', 'Europe/Berlin');
    assert.equal(String(mailbox.mailboxId), mailboxId);
    const atSecond = Math.floor(mid / 1000) * 1000;
    const expected = sim.truthAt(atSecond).mailboxes[mailboxId];
    type Counted = { id: number; messages: number; appointments: number; tasks: number; bytes: number };
    for (const folder of mailbox.folders as Counted[]) {
      const inFolder = Object.values(expected?.messages ?? {}).filter((m) => m.folderId === folder.id);
      assert.equal(folder.messages, inFolder.length, `messages in folder ${folder.id}`);
      const calendar = Object.values(expected?.calendar ?? {}).filter((c) => c.folderId === folder.id);
      assert.deepEqual(
        [folder.appointments, folder.tasks],
        [
          calendar.filter((c) => c.type === 'appointment').length,
          calendar.filter((c) => c.type === 'task').length,
        ],
        `calendar items in folder ${folder.id}`,
      );
      assert.equal(
        folder.bytes,
        inFolder.reduce((sum, m) => sum + m.size, 0),
      );
    }

    // One item's history: every state, the last one now.
    const [itemId, message] = Object.entries(sim.current().mailboxes[mailboxId]?.messages ?? {})[0] ?? [];
    assert.ok(itemId && message, 'the mailbox still has a message');
    const item = await cli('item', `${serverId}:${mailboxId}`, itemId, '--history');
    assert.ok(item.history.length >= 1);
    assert.equal(item.history.at(-1).to, undefined);
    assert.equal(item.history.at(-1).state.folderId, message.folderId);
    // Each state as the truth had it when it began, each ending where the next begins; a deleted message's
    // history (no head to walk back from) ends with its deletion.
    type HistoryEntry = { from: string; to?: string; state: { folderId: number } };
    const checkHistory = (history: HistoryEntry[], id: string) => {
      for (const [i, entry] of history.entries()) {
        const then = sim.truthAt(Date.parse(entry.from)).mailboxes[mailboxId]?.messages[id];
        assert.equal(entry.state.folderId, then?.folderId, `message ${id} from ${entry.from}`);
        if (i > 0) assert.ok((history[i - 1]?.to ?? '') <= entry.from, `message ${id}: in order`);
      }
    };
    checkHistory(item.history, itemId);
    const gone = Object.keys(truth.mailboxes[mailboxId]?.messages ?? {}).find(
      (id) => !(id in (sim.current().mailboxes[mailboxId]?.messages ?? {})),
    );
    assert.ok(gone, 'a message of the mailbox was deleted since the middle of the workload');
    const goneItem = await cli('item', `${serverId}:${mailboxId}`, gone, '--history');
    assert.ok(goneItem.history.length >= 1);
    assert.ok(goneItem.history.at(-1).to, 'its last state ended');
    checkHistory(goneItem.history, gone);
    const file = join(work, 'message.eml');
    await cli(
      'item',
      `${serverId}:${mailboxId}`,
      itemId,
      '--dump-blob',
      file,
      '--bucket',
      cloud.outputs.BackupBucketName as string,
    );
    assert.equal(
      sha256Hex(readFileSync(file)),
      message.sha256,
      'the dumped message is the original, byte for byte',
    );

    const found = await cli(
      'search',
      `${serverId}:${mailboxId}`,
      '--subject',
      item.history.at(-1).state.subject,
    );
    assert.ok(found.items.some((m: { id: number }) => String(m.id) === itemId));
    const deleted = await cli('search', `${serverId}:${mailboxId}`, '--deleted');
    assert.ok(
      deleted.items.every(
        (m: { id: number }) => !(String(m.id) in (sim.current().mailboxes[mailboxId]?.messages ?? {})),
      ),
    );

    // Appointments and tasks by type, with what their series invite says.
    const withCalendar = Object.entries(sim.current().mailboxes).find(([, m]) =>
      Object.values(m.calendar).some((c) => c.type === 'appointment'),
    );
    assert.ok(withCalendar, 'the workload left an appointment');
    for (const type of ['appointment', 'task'] as const) {
      const listed = await cli('search', `${serverId}:${withCalendar[0]}`, '--type', type);
      assert.deepEqual(
        listed.items.map((i: { id: number }) => String(i.id)).sort(),
        Object.entries(withCalendar[1].calendar)
          .filter(([, c]) => c.type === type)
          .map(([id]) => id)
          .sort(),
        `${type}s of mailbox ${withCalendar[0]}`,
      );
      for (const i of listed.items as { id: number; uid: string; subject: string }[]) {
        const truthItem: CalendarItemState | undefined = withCalendar[1].calendar[String(i.id)];
        assert.equal(i.uid, truthItem?.uid);
        assert.equal(i.subject, inviteSummary(truthItem?.invites[0]).summary);
      }
    }
    // Notes and comments by type.
    const final = sim.current();
    for (const type of ['note', 'comment'] as const) {
      const [id, m] =
        Object.entries(final.mailboxes).find(([, m]) =>
          Object.values(m.notes ?? {}).some((n) => n.type === type),
        ) ?? [];
      assert.ok(id && m, `the workload left a ${type}`);
      const listed = await cli('search', `${serverId}:${id}`, '--type', type);
      assert.deepEqual(
        listed.items.map((i: { id: number; subject: string }) => [String(i.id), i.subject]).sort(),
        Object.entries(m.notes ?? {})
          .filter(([, n]) => n.type === type)
          .map(([k, n]) => [k, n.text])
          .sort(),
        `${type}s of mailbox ${id}`,
      );
    }

    // Messages by recipient (a Cc) and by attachment name (an RFC 2231 one), as their bytes say.
    const bytesOf = (id: string) =>
      plainBlob(readFileSync(sim.blobOf(Number(mailboxId), Number(id))?.path as string)).toString('latin1');
    const held = Object.keys(final.mailboxes[mailboxId]?.messages ?? {});
    const header = (text: string) => text.slice(0, text.indexOf('\r\n\r\n'));
    const copied = held.filter((id) => /^Cc: .*copy\d@example\.org/m.test(header(bytesOf(id)))).sort();
    const resumes = held.filter((id) => bytesOf(id).includes("filename*=utf-8''r%C3%A9sum%C3%A9-")).sort();
    assert.ok(
      copied.length > 0 && resumes.length > 0,
      'the mailbox has messages with a Cc and named attachments',
    );
    const byTo = await cli('search', `${serverId}:${mailboxId}`, '--to', 'copy');
    assert.deepEqual(byTo.items.map((i: { id: number }) => String(i.id)).sort(), copied);
    const byName = await cli('search', `${serverId}:${mailboxId}`, '--attachment', 'RÉSUMÉ');
    assert.deepEqual(byName.items.map((i: { id: number }) => String(i.id)).sort(), resumes);

    const badType = await offsite([
      'search',
      `${serverId}:${withCalendar[0]}`,
      '--type',
      'fax',
      '--url',
      cloud.outputs.ControlUrl as string,
    ]);
    assert.equal(badType.code, 2);
    assert.match(
      badType.stderr,
      /'--type <TYPE>' argument 'fax' is invalid\. Allowed choices are message, contact, appointment, task, document, wiki, note, comment, all/,
    );

    const wrong = await offsite([
      'mailbox',
      'nobody@example.com',
      '--url',
      cloud.outputs.ControlUrl as string,
    ]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /404.*no mailbox is known as nobody@example.com/);
  });

  it('versions stored under the old layout are read as they are, then moved to keys by their end once', async () => {
    const table = indexTable(cloud);
    const dynamo = useLocalIndex(cloud);
    const times = sim.commitTimes();
    const instants = randomInstants(times, 12, seededRandom(11));
    // The index as an earlier release wrote it: versions keyed by entity with a gsi1 entry by end time, heads
    // without their predecessor's end, no marker.
    let converted = 0;
    const chained = new Map<string, number>();
    for (const scope of await serverScopes(table, serverId)) {
      const pk = scopeKeys(serverId, scope).pk;
      const ended = versionsEnded(0);
      const { items } = await queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': ended.from, ':to': ended.to },
      });
      for (const item of items) {
        const { pt: _pt, ...old } = item;
        old.sk = `V#${item.k}#${item.fp}`;
        old.gsi1pk = `HIST#${serverId}#${scope}`;
        old.gsi1sk = String(item.tt).padStart(15, '0');
        await dynamo.send(new PutCommand({ TableName: table, Item: old }));
        await dynamo.send(new DeleteCommand({ TableName: table, Key: { pk, sk: item.sk } }));
        converted++;
      }
      const { items: heads } = await queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': pk, ':h': 'H#' },
      });
      for (const { pt, ...head } of heads) {
        if (pt === undefined) continue;
        await dynamo.send(new PutCommand({ TableName: table, Item: head }));
        chained.set(`${pk}\n${head.sk}`, pt as number);
      }
    }
    assert.ok(chained.size > 10, `${chained.size} heads with a version before them`);
    assert.ok(converted > 100, `${converted} versions in the old layout`);
    await dynamo.send(
      new DeleteCommand({ TableName: table, Key: { pk: `SRV#${serverId}`, sk: 'VERSIONKEYS' } }),
    );
    // Until the indexer's next message for the server moves them, readers take the old keys too.
    for (const t of instants)
      assert.deepEqual(await snapshotAt(serverId, t), sim.truthAt(t), `before: ${new Date(t).toISOString()}`);

    assert.equal(await upgradeVersionKeys(table, serverId), converted);
    for (const t of instants)
      assert.deepEqual(
        await snapshotAt(serverId, t),
        sim.truthAt(t),
        `state at ${new Date(t).toISOString()}`,
      );
    assert.equal(await upgradeVersionKeys(table, serverId), 0, 'once');
    // Heads know again when the version before them ended: a retried segment walks back by it.
    for (const [at, pt] of chained) {
      const [pk, sk] = at.split('\n');
      const { Item } = await dynamo.send(new GetCommand({ TableName: table, Key: { pk, sk } }));
      assert.equal(Item?.pt, pt, at);
    }
    let left = 0;
    for (const scope of await serverScopes(table, serverId)) {
      const { items } = await queryAll({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `HIST#${serverId}#${scope}` },
      });
      left += items.length;
    }
    assert.equal(left, 0, 'no gsi1 entry of a version is left');
  });
});
